"""Stream and queue pollers deliver moto's records to handlers with Lambda's batch semantics."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.pollers import DynamoDBStreamPoller, SQSPoller


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    # Current botocore derives an account-specific endpoint that mock_aws's streams mock misses.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    with mock_aws():
        yield


class Recorder:
    """A stream handler that records every batch and reports the failures it is told to."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.contexts: list[Any] = []
        self.fail_keys: set[str] = set()
        self.fail_once_keys: set[str] = set()
        self.raise_next = False

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.batches.append(event["Records"])
        self.contexts.append(context)
        if self.raise_next:
            self.raise_next = False
            raise RuntimeError("downstream unavailable")
        failures = []
        for record in event["Records"]:
            key = record["dynamodb"]["Keys"]["pk"]["S"]
            if key in self.fail_keys or key in self.fail_once_keys:
                self.fail_once_keys.discard(key)
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}

    @staticmethod
    def keys(batch: list[dict[str, Any]]) -> list[str]:
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in batch]


@pytest.fixture
def table(aws: None) -> dict[str, Any]:
    dynamodb = boto3.client("dynamodb")
    description = dynamodb.create_table(
        TableName="ratings",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return {"client": dynamodb, "stream_arn": description["LatestStreamArn"]}


def put(table: dict[str, Any], key: str, score: int = 1) -> None:
    table["client"].put_item(TableName="ratings", Item={"pk": {"S": key}, "score": {"N": str(score)}})


def stream_poller(table: dict[str, Any], handler: Any, **kwargs: Any) -> DynamoDBStreamPoller:
    return DynamoDBStreamPoller(
        boto3.client("dynamodbstreams"), table["stream_arn"], handler, function_name="index", **kwargs
    )


class TestStreamEvents:
    def test_insert_modify_remove_arrive_in_order_with_lambdas_fields(self, table: dict[str, Any]) -> None:
        # Given a rating that is written, changed and deleted
        put(table, "R1", score=1)
        table["client"].update_item(
            TableName="ratings",
            Key={"pk": {"S": "R1"}},
            UpdateExpression="SET score = :s",
            ExpressionAttributeValues={":s": {"N": "5"}},
        )
        table["client"].delete_item(TableName="ratings", Key={"pk": {"S": "R1"}})
        handler = Recorder()
        poller = stream_poller(table, handler)

        # When the poller makes one pass
        delivered = poller.poll_once()

        # Then one batch held the three changes in order, shaped as Lambda delivers them
        assert delivered == 3
        assert len(handler.batches) == 1
        insert, modify, remove = handler.batches[0]
        assert [r["eventName"] for r in handler.batches[0]] == ["INSERT", "MODIFY", "REMOVE"]
        for record in handler.batches[0]:
            assert record["eventSourceARN"] == table["stream_arn"]
            assert record["eventSource"] == "aws:dynamodb"
            assert record["awsRegion"] == "us-east-1"
            assert record["dynamodb"]["Keys"] == {"pk": {"S": "R1"}}
            assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
            assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
            assert abs(record["dynamodb"]["ApproximateCreationDateTime"] - time.time()) < 60
        assert insert["dynamodb"]["NewImage"]["score"] == {"N": "1"}
        assert "OldImage" not in insert["dynamodb"]
        assert modify["dynamodb"]["OldImage"]["score"] == {"N": "1"}
        assert modify["dynamodb"]["NewImage"]["score"] == {"N": "5"}
        assert remove["dynamodb"]["OldImage"]["score"] == {"N": "5"}
        assert "NewImage" not in remove["dynamodb"]
        sequence_numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in handler.batches[0]]
        assert sequence_numbers == sorted(sequence_numbers)
        # And the handler got a Lambda-like context
        context = handler.contexts[0]
        assert context.function_name == "index"
        assert context.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:index"
        assert context.get_remaining_time_in_millis() > 0

        # When it polls again with nothing new
        # Then nothing is redelivered
        assert poller.poll_once() == 0
        assert len(handler.batches) == 1

    def test_batches_respect_batch_size_and_continue_where_they_stopped(self, table: dict[str, Any]) -> None:
        # Given five ratings and a batch size of two
        for key in ["A", "B", "C", "D", "E"]:
            put(table, key)
        handler = Recorder()
        poller = stream_poller(table, handler, batch_size=2)

        # When the poller passes until it is drained
        counts = [poller.poll_once() for _ in range(4)]

        # Then every record came once, in order, two at a time
        assert counts == [2, 2, 1, 0]
        assert [Recorder.keys(b) for b in handler.batches] == [["A", "B"], ["C", "D"], ["E"]]

    def test_latest_skips_what_was_written_before_the_mapping(self, table: dict[str, Any]) -> None:
        # Given a record written before the mapping exists
        put(table, "OLD")
        handler = Recorder()
        poller = stream_poller(table, handler, starting_position="LATEST")
        assert poller.poll_once() == 0

        # When a record is written after it started
        put(table, "NEW")
        poller.poll_once()

        # Then only the new one is delivered
        assert [Recorder.keys(b) for b in handler.batches] == [["NEW"]]


class TestStreamFailures:
    def test_a_reported_failure_redelivers_from_that_record_only(self, table: dict[str, Any]) -> None:
        # Given three ratings and a handler that fails the second one once
        for key in ["A", "B", "C"]:
            put(table, key)
        handler = Recorder()
        handler.fail_once_keys = {"B"}
        poller = stream_poller(table, handler)

        # When the poller passes twice
        poller.poll_once()
        poller.poll_once()

        # Then the retry started at B and carried C again, but not A
        assert [Recorder.keys(b) for b in handler.batches] == [["A", "B", "C"], ["B", "C"]]
        # And once it succeeded, nothing comes back
        assert poller.poll_once() == 0

    def test_an_exception_retries_the_whole_batch(self, table: dict[str, Any]) -> None:
        # Given two ratings and a handler that crashes on its first call
        put(table, "A")
        put(table, "B")
        handler = Recorder()
        handler.raise_next = True
        poller = stream_poller(table, handler)

        # When the poller passes twice
        poller.poll_once()
        poller.poll_once()

        # Then the same batch came twice
        assert [Recorder.keys(b) for b in handler.batches] == [["A", "B"], ["A", "B"]]
        assert poller.poll_once() == 0

    def test_an_unknown_item_identifier_fails_the_whole_batch(self, table: dict[str, Any]) -> None:
        # Given a handler answering with a sequence number that is not in its batch, once
        put(table, "A")
        answers = [{"batchItemFailures": [{"itemIdentifier": "999"}]}, None]
        seen: list[list[str]] = []

        def handler(event: dict[str, Any], context: Any) -> Any:
            seen.append(Recorder.keys(event["Records"]))
            return answers.pop(0)

        poller = stream_poller(table, handler)

        # When the poller passes twice
        poller.poll_once()
        poller.poll_once()

        # Then Lambda's rule applies: the whole batch is retried
        assert seen == [["A"], ["A"]]

    def test_a_poison_record_goes_to_on_failure_and_the_stream_moves_on(self, table: dict[str, Any]) -> None:
        # Given a record that always fails between two good ones
        for key in ["A", "POISON", "C"]:
            put(table, key)
        handler = Recorder()
        handler.fail_keys = {"POISON"}
        failures: list[dict[str, Any]] = []
        poller = stream_poller(table, handler, max_retry_attempts=2, on_failure=failures.append)

        # When the poller passes once and retries twice
        for _ in range(3):
            poller.poll_once()

        # Then the exhausted batch was handed off as Lambda's on-failure destination receives it
        assert [Recorder.keys(b) for b in handler.batches] == [
            ["A", "POISON", "C"],
            ["POISON", "C"],
            ["POISON", "C"],
        ]
        assert len(failures) == 1
        message = failures[0]
        poison, c = handler.batches[-1]
        assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert (
            message["requestContext"]["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:index"
        )
        assert message["requestContext"]["approximateInvokeCount"] == 3
        assert message["version"] == "1.0"
        info = message["DDBStreamBatchInfo"]
        assert info["shardId"]
        assert info["streamArn"] == table["stream_arn"]
        assert info["startSequenceNumber"] == poison["dynamodb"]["SequenceNumber"]
        assert info["endSequenceNumber"] == c["dynamodb"]["SequenceNumber"]
        assert info["batchSize"] == 2
        json.dumps(message)  # a destination receives JSON

        # When a new record arrives
        put(table, "D")
        poller.poll_once()

        # Then processing resumed after the handed-off batch
        assert Recorder.keys(handler.batches[-1]) == ["D"]
        assert len(failures) == 1

    def test_a_refusing_destination_keeps_the_records(self, table: dict[str, Any]) -> None:
        # Given a poison record and a destination that is down
        put(table, "POISON")
        handler = Recorder()
        handler.fail_keys = {"POISON"}

        def destination_down(message: dict[str, Any]) -> None:
            raise ConnectionError("queue unavailable")

        poller = stream_poller(table, handler, max_retry_attempts=0, on_failure=destination_down)

        # When the poller passes twice
        poller.poll_once()
        poller.poll_once()

        # Then the record was not dropped: it is still being delivered
        assert [Recorder.keys(b) for b in handler.batches] == [["POISON"], ["POISON"]]

    def test_the_background_thread_delivers_and_stops_promptly(self, table: dict[str, Any]) -> None:
        # Given a running poller whose handler signals each delivery, and crashes once
        delivered = threading.Event()
        keys: list[str] = []
        calls = 0

        def handler(event: dict[str, Any], context: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("first call fails")
            keys.extend(Recorder.keys(event["Records"]))
            delivered.set()

        poller = stream_poller(table, handler, poll_interval=0.01)
        poller.start()
        try:
            # When a rating is written
            put(table, "A")

            # Then the thread survived the crash and delivered it
            assert delivered.wait(5)
            assert keys == ["A"]
        finally:
            started = time.monotonic()
            poller.stop()
        assert time.monotonic() - started < 1


class FakeStreams:
    """Two shards and a child: shapes moto cannot produce (it keeps one open shard per table)."""

    def __init__(self, shards: dict[str, tuple[str | None, list[str], bool]]) -> None:
        # shard id -> (parent id, record keys, closed)
        self.shards = shards
        self.sequence = {}
        number = 100
        for shard_id, (_parent, keys, _closed) in shards.items():
            for key in keys:
                number += 1
                self.sequence[(shard_id, key)] = str(number)

    def describe_stream(self, StreamArn: str, **kwargs: Any) -> dict[str, Any]:
        shards = []
        for shard_id, (parent, _keys, _closed) in self.shards.items():
            shard = {"ShardId": shard_id, "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
            if parent:
                shard["ParentShardId"] = parent
            shards.append(shard)
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(
        self, StreamArn: str, ShardId: str, ShardIteratorType: str, SequenceNumber: str | None = None
    ) -> dict[str, Any]:
        keys = self.shards[ShardId][1]
        sequences = [int(self.sequence[(ShardId, k)]) for k in keys]
        if ShardIteratorType == "TRIM_HORIZON":
            position = 0
        elif ShardIteratorType == "AT_SEQUENCE_NUMBER":
            position = sequences.index(int(SequenceNumber or 0))
        elif ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            position = sequences.index(int(SequenceNumber or 0)) + 1
        else:
            position = len(keys)
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard_id, position = ShardIterator.split("|")
        _parent, keys, closed = self.shards[shard_id]
        chosen = keys[int(position) : int(position) + Limit]
        end = int(position) + len(chosen)
        records = [
            {
                "eventID": f"{shard_id}-{key}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "cn-northwest-1",
                "dynamodb": {
                    "Keys": {"pk": {"S": key}},
                    "SequenceNumber": self.sequence[(shard_id, key)],
                    "SizeBytes": 10,
                    "StreamViewType": "KEYS_ONLY",
                },
            }
            for key in chosen
        ]
        next_iterator = None if closed and end == len(keys) else f"{shard_id}|{end}"
        return {"Records": records, "NextShardIterator": next_iterator}


class TestShards:
    STREAM_ARN = (
        "arn:aws-cn:dynamodb:cn-northwest-1:123456789012:table/ratings/stream/2026-01-01T00:00:00.000"
    )

    def test_a_poison_record_in_one_shard_does_not_stop_another(self) -> None:
        # Given two shards, the first holding a record that always fails
        client = FakeStreams({"s1": (None, ["POISON", "X"], False), "s2": (None, ["A", "B"], False)})
        handler = Recorder()
        handler.fail_keys = {"POISON"}
        failures: list[dict[str, Any]] = []
        poller = DynamoDBStreamPoller(
            client,
            self.STREAM_ARN,
            handler,
            function_name="index",
            max_retry_attempts=1,
            on_failure=failures.append,
        )

        # When the poller passes twice
        poller.poll_once()
        poller.poll_once()

        # Then the other shard's records were delivered once, and the poison batch was handed off
        delivered = [Recorder.keys(b) for b in handler.batches]
        assert delivered.count(["A", "B"]) == 1
        assert delivered.count(["POISON", "X"]) == 2
        assert failures[0]["DDBStreamBatchInfo"]["shardId"] == "s1"
        # And the China partition shows in the function ARN and the records' region
        assert failures[0]["requestContext"]["functionArn"].startswith("arn:aws-cn:lambda:cn-northwest-1:")
        assert handler.batches[0][0]["awsRegion"] == "cn-northwest-1"

    def test_a_child_shard_waits_until_its_parent_is_drained(self) -> None:
        # Given a closed parent shard with a record that fails once, and its child
        client = FakeStreams({"parent": (None, ["P1"], True), "child": ("parent", ["C1"], False)})
        handler = Recorder()
        handler.fail_once_keys = {"P1"}
        poller = DynamoDBStreamPoller(client, self.STREAM_ARN, handler, function_name="index")

        # When the poller passes once
        poller.poll_once()

        # Then the child was not read while its parent still had a failing record
        assert [Recorder.keys(b) for b in handler.batches] == [["P1"]]

        # When it passes again, the parent's retry succeeding and closing the parent
        poller.poll_once()

        # Then the child followed only after that, and nothing is delivered twice afterwards
        assert [Recorder.keys(b) for b in handler.batches] == [["P1"], ["P1"], ["C1"]]
        assert poller.poll_once() == 0


@pytest.fixture
def queue(aws: None) -> dict[str, Any]:
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="sms-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName="sms",
        Attributes={
            # Short, so a failed message comes back within the test.
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"client": sqs, "url": url, "arn": arn, "dlq_url": dlq_url}


def queue_depth(queue: dict[str, Any], url: str) -> int:
    attributes = queue["client"].get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


class SqsRecorder:
    def __init__(self, fail_bodies: set[str] = frozenset(), raise_always: bool = False) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_bodies = fail_bodies
        self.raise_always = raise_always

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.batches.append(event["Records"])
        if self.raise_always:
            raise RuntimeError("provider down")
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in self.fail_bodies
            ]
        }


def sqs_poller(queue: dict[str, Any], handler: Any) -> SQSPoller:
    return SQSPoller(queue["client"], queue["url"], queue["arn"], handler, function_name="sms")


class TestSqs:
    def test_successful_messages_are_deleted_and_shaped_like_lambdas_records(
        self, queue: dict[str, Any]
    ) -> None:
        # Given two messages, one with attributes
        queue["client"].send_message(
            QueueUrl=queue["url"],
            MessageBody="invite-1",
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "invitation"},
                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            },
        )
        queue["client"].send_message(QueueUrl=queue["url"], MessageBody="invite-2")
        handler = SqsRecorder()

        # When the poller passes
        delivered = sqs_poller(queue, handler).poll_once()

        # Then both were delivered in Lambda's SQS record shape, and both are gone from the queue
        assert delivered == 2
        records = {r["body"]: r for r in handler.batches[0]}
        first = records["invite-1"]
        assert first["eventSource"] == "aws:sqs"
        assert first["eventSourceARN"] == queue["arn"]
        assert first["awsRegion"] == "us-east-1"
        assert first["messageId"] and first["receiptHandle"] and first["md5OfBody"]
        assert first["attributes"]["ApproximateReceiveCount"] == "1"
        assert "SentTimestamp" in first["attributes"]
        assert first["messageAttributes"]["kind"] == {
            "stringValue": "invitation",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
        assert first["messageAttributes"]["blob"]["binaryValue"] == "AAE="
        assert records["invite-2"]["messageAttributes"] == {}
        assert queue_depth(queue, queue["url"]) == 0

    def test_reported_failures_stay_and_end_in_the_dead_letter_queue(self, queue: dict[str, Any]) -> None:
        # Given a good and a bad message
        for body in ["good", "bad"]:
            queue["client"].send_message(QueueUrl=queue["url"], MessageBody=body)
        handler = SqsRecorder(fail_bodies={"bad"})
        poller = sqs_poller(queue, handler)

        # When the poller passes once
        poller.poll_once()

        # Then only the reported failure remains
        assert queue_depth(queue, queue["url"]) == 1

        # When it passes again after the visibility timeout
        time.sleep(1.1)
        poller.poll_once()

        # Then the failure came back with its receive count raised
        assert [r["body"] for r in handler.batches[1]] == ["bad"]
        assert handler.batches[1][0]["attributes"]["ApproximateReceiveCount"] == "2"

        # When it passes once more, beyond maxReceiveCount
        time.sleep(1.1)
        assert poller.poll_once() == 0

        # Then the queue's redrive policy moved it to the dead-letter queue
        assert queue_depth(queue, queue["url"]) == 0
        assert queue_depth(queue, queue["dlq_url"]) == 1

    def test_an_exception_leaves_the_whole_batch(self, queue: dict[str, Any]) -> None:
        # Given two messages and a handler that crashes
        for body in ["one", "two"]:
            queue["client"].send_message(QueueUrl=queue["url"], MessageBody=body)

        # When the poller passes
        delivered = sqs_poller(queue, SqsRecorder(raise_always=True)).poll_once()

        # Then both were delivered and both remain queued, invisible until their timeout
        assert delivered == 2
        assert queue_depth(queue, queue["url"]) == 2
        assert sqs_poller(queue, SqsRecorder()).poll_once() == 0

    def test_batches_larger_than_ten_are_gathered_from_several_receives(self, queue: dict[str, Any]) -> None:
        # Given fifteen messages and a batch size of twelve
        for number in range(15):
            queue["client"].send_message(QueueUrl=queue["url"], MessageBody=f"m{number}")
        handler = SqsRecorder()
        poller = SQSPoller(
            queue["client"], queue["url"], queue["arn"], handler, function_name="sms", batch_size=12
        )

        # When the poller passes twice
        counts = [poller.poll_once(), poller.poll_once()]

        # Then twelve then three were delivered, and the queue is empty
        assert counts == [12, 3]
        assert queue_depth(queue, queue["url"]) == 0

    def test_a_message_received_twice_while_gathering_is_one_record(self, aws: None) -> None:
        # Given a queue whose messages become visible again at once
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="instant", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for body in ["one", "two", "three"]:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        handler = SqsRecorder()

        # When a poller with a batch larger than the queue passes
        delivered = SQSPoller(sqs, url, arn, handler, function_name="sms", batch_size=25).poll_once()

        # Then each message came once and was deleted
        assert delivered == 3
        assert sorted(r["body"] for r in handler.batches[0]) == ["one", "three", "two"]
        assert queue_depth({"client": sqs}, url) == 0
