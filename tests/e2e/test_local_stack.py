"""The local stack's seams, in process: a rating sent over HTTP reaches a stream consumer in the event
shape Lambda delivers, and a consumer's failures end in the on-failure queue."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import pytest

from infra.local import stack as local_stack
from infra.topology import EventSource

pytestmark = pytest.mark.e2e


class Recorder:
    def __init__(self, fail_rating: str | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.fail_rating = fail_rating
        self.arrived = threading.Event()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            key = record["dynamodb"]["Keys"]["rating_id"]["S"]
            if key == self.fail_rating:
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            elif key not in self.seen:
                # After a reported failure Lambda delivers the records behind it again: consumers
                # must be idempotent, and this one keeps the first delivery of each.
                self.seen.add(key)
                self.records.append(record)
        self.arrived.set()
        return {"batchItemFailures": failures}


def post(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"{url}/v1/ratings",
        data=json.dumps(body).encode(),
        headers={"x-api-key": "local-demo-key", "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def wait_for(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_rating_over_http_reaches_a_stream_consumer_and_poison_records_reach_the_failure_queue():
    # Given a local stack whose ratings stream feeds a consumer that refuses one rating
    recorder = Recorder(fail_rating="poison-0001")
    mapping = EventSource(
        function="watcher",
        handler="tests:recorder",
        kind="dynamodb-stream",
        source="ratings",
        max_retry_attempts=1,
    )
    stack = local_stack.start(port=0, event_sources=[mapping], extra_handlers={"tests:recorder": recorder})
    try:
        # When a channel rates over HTTP, once cleanly and once with the poison rating
        rating = {
            "channel": "hall_pad",
            "satisfaction": 1,
            "subjects": {"department": "D52010201", "window": "W5201020101"},
            "comment": "等了两个小时",  # the demo province requires a bad rating's reason
        }
        assert post(stack.url, {**rating, "rating_id": "stream-e2e-01"}) == 201
        assert post(stack.url, {**rating, "rating_id": "poison-0001"}) == 201
        assert post(stack.url, {**rating, "rating_id": "stream-e2e-02"}) == 201

        # Then the consumer gets Lambda's DynamoDB event shape with the new image
        assert wait_for(lambda: len(recorder.records) >= 2)
        first = recorder.records[0]
        assert first["eventName"] == "INSERT" and first["eventSource"] == "aws:dynamodb"
        assert first["eventSourceARN"] == stack.resources["stream:ratings"]
        image = first["dynamodb"]["NewImage"]
        assert image["rating_id"]["S"] == "stream-e2e-01" and "window#W5201020101" in {
            p["S"] for p in image["paths"]["L"]
        }
        assert [r["dynamodb"]["Keys"]["rating_id"]["S"] for r in recorder.records] == [
            "stream-e2e-01",
            "stream-e2e-02",
        ]

        # And the refused record, after its retries, is described in the on-failure queue
        import boto3

        sqs = boto3.client("sqs")
        queue = stack.resources["queue:stream-failures"]

        def failure_message() -> list[dict[str, Any]]:
            return sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])

        messages: list[dict[str, Any]] = []
        assert wait_for(lambda: bool(messages.extend(failure_message()) or messages))
        described = json.loads(messages[0]["Body"])
        assert described["DDBStreamBatchInfo"]["streamArn"] == stack.resources["stream:ratings"]
        assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    finally:
        stack.stop()


def test_the_embedded_aws_has_every_service_the_stack_uses_with_state_machines_executing():
    import boto3

    stack = local_stack.start(port=0, load_demo=False, event_sources=[])
    try:
        # Given the resources a deployed stack has
        dynamodb = boto3.client("dynamodb")
        assert {"haochaping-local-ratings", "haochaping-local-cases", "haochaping-local-directory"} <= set(
            dynamodb.list_tables()["TableNames"]
        )
        described = dynamodb.describe_table(TableName="haochaping-local-ratings")["Table"]
        assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert boto3.client("s3").head_bucket(Bucket=stack.resources["bucket:evidence"])
        topics = {t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]}
        assert stack.resources["topic:sms-outbound"] in topics

        # When a state machine is started (moto runs Standard executions only when told to)
        sfn = boto3.client("stepfunctions")
        definition = {
            "StartAt": "Done",
            "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}},
        }
        machine = sfn.create_state_machine(
            name="probe",
            definition=json.dumps(definition),
            roleArn="arn:aws-cn:iam::123456789012:role/probe",
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, name="probe-1", input="{}")["executionArn"]

        # Then it really executes
        assert wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED")
        assert json.loads(sfn.describe_execution(executionArn=execution)["output"]) == {"ok": True}
    finally:
        stack.stop()
