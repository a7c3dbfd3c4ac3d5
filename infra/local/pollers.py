"""Event source mappings run locally: DynamoDB Streams and SQS feeding our handlers as Lambda does.

moto stores stream records and queue messages faithfully, but its own event source mappings need
Docker to run a function. These pollers read the same records through the ordinary client APIs and
call the same handlers with the events, contexts and partial-failure semantics
(``FunctionResponseTypes=ReportBatchItemFailures``) that Lambda uses, so retry and poison-record
handling behave on a laptop as they will in AWS.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from infra.local import faults
from infra.local.emulator import ACTIVITY, wakes_installed
from infra.local.gateway import LOCAL_ACCOUNT_ID, LambdaContext, default_region

logger = logging.getLogger("haochaping.local.pollers")

Handler = Callable[[dict, Any], Any]


class _InvalidBatchResponse(Exception):
    """The handler's answer names records outside the batch: Lambda fails the whole batch then."""


def _arn_parts(arn: str) -> tuple[str, str]:
    """(partition, region) of an ARN, so events and function ARNs match the stack's own region."""
    parts = arn.split(":")
    return parts[1], parts[3]


def _function_arn(source_arn: str, function_name: str) -> str:
    partition, region = _arn_parts(source_arn)
    return f"arn:{partition}:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function_name}"


def _failed_identifiers(response: Any, known: set[str]) -> list[str]:
    """Read a partial batch response the way Lambda does.

    No answer, or one without ``batchItemFailures``, means complete success; an entry without a
    usable ``itemIdentifier`` or naming a record outside the batch makes the whole batch a failure.
    """
    if not isinstance(response, dict):
        return []
    failures = response.get("batchItemFailures")
    if not failures:
        return []
    if not isinstance(failures, list):
        raise _InvalidBatchResponse("batchItemFailures is not a list")
    identifiers = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            raise _InvalidBatchResponse(f"unknown itemIdentifier {identifier!r}")
        identifiers.append(identifier)
    return identifiers


# How long an idle poller sleeps at most between two polls. Where the embedded AWS wakes pollers
# (emulator.install() ran: the local stack, the benchmarks) a poll that finds something is never
# left waiting, so the cap only bounds a missed wake-up; without wake-ups (a test's plain moto) it
# bounds how late a record is seen.
MAX_IDLE_WITH_WAKE_UPS = 30.0
MAX_IDLE_INTERVAL = 2.0


class _PollingThread:
    """A stoppable daemon loop around ``poll_once`` that logs and survives every error.

    It drains a backlog without pausing. When a poll finds nothing it sleeps, doubling the sleep
    from `poll_interval` fourfold up to `max_idle_interval`, and wakes at once when the embedded AWS notifies
    a write to `wake_on` (emulator.ACTIVITY): an idle stack costs a few polls a second in all, and a
    record is still delivered within milliseconds. `min_interval` spaces polls even when woken
    (schedules: never more often than their period)."""

    def __init__(
        self,
        name: str,
        poll_once: Callable[[], int],
        poll_interval: float,
        *,
        wake_on: str | None = None,
        max_idle_interval: float | None = None,
        min_interval: float = 0.0,
    ) -> None:
        if max_idle_interval is None:
            max_idle_interval = MAX_IDLE_WITH_WAKE_UPS if wakes_installed() else MAX_IDLE_INTERVAL
        self._name = name
        self._poll_once = poll_once
        self._poll_interval = poll_interval
        self._max_idle = max(poll_interval, max_idle_interval)
        self._min_interval = min_interval
        self._wake_on = wake_on
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        if self._wake_on is not None:
            ACTIVITY.listen(self._wake_on, self._woken)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self._woken.set()
        if self._wake_on is not None:
            ACTIVITY.forget(self._wake_on, self._woken)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        idle = self._poll_interval
        while not self._stop.is_set():
            # Cleared before the poll: a write during it wakes the next wait rather than being missed.
            self._woken.clear()
            try:
                delivered = self._poll_once()
            except Exception:
                logger.exception("%s: polling failed; retrying", self._name)
                delivered = 0
            if self._min_interval and self._stop.wait(self._min_interval):
                return
            if delivered:
                idle = self._poll_interval
                continue
            woken = self._woken.wait(idle)
            idle = self._poll_interval if woken else min(idle * 4, self._max_idle)


def _binary_as_base64(value: Any) -> str:
    """Lambda's JSON event carries binary attributes ({"B": ...}, a sealed phone) as base64 text."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _epoch_seconds(value: Any) -> Any:
    """Lambda delivers ApproximateCreationDateTime as epoch seconds; boto3 parsed it to a datetime."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


@dataclass
class _ShardState:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    # The next record to deliver is the one after `checkpoint` (None: the shard's start position).
    checkpoint: str | None = None
    # After a failure the next batch starts exactly here.
    resume_at: str | None = None
    attempts: int = 0
    attempts_at: str | None = None
    closed: bool = False


class DynamoDBStreamPoller:
    """Like a Lambda DynamoDB event source mapping with ReportBatchItemFailures.

    Per shard, one batch at a time and in sequence order; a child shard waits until its parent is
    drained, as Lambda does, so updates to one item are never seen out of order.
    """

    def __init__(
        self,
        streams_client: Any,
        stream_arn: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 100,
        max_retry_attempts: int = 3,
        on_failure: Callable[[dict], None] | None = None,
        poll_interval: float = 0.1,
        max_idle_interval: float | None = None,
        starting_position: str = "TRIM_HORIZON",
        tumbling_window_seconds: int = 0,
    ) -> None:
        if not 0 <= tumbling_window_seconds <= 900:
            raise ValueError("tumbling_window_seconds is 0 (none) to 900, as for Lambda")
        if starting_position not in ("TRIM_HORIZON", "LATEST"):
            raise ValueError(f"starting_position must be TRIM_HORIZON or LATEST, not {starting_position!r}")
        if not 1 <= batch_size <= 10_000:
            raise ValueError("batch_size must be between 1 and 10000, as for Lambda")
        if max_retry_attempts < -1:
            raise ValueError("max_retry_attempts is -1 (retry until the record expires) or >= 0")
        self._client = streams_client
        self._stream_arn = stream_arn
        self._handler = handler
        self._function_name = function_name
        self._function_arn = _function_arn(stream_arn, function_name)
        self._region = _arn_parts(stream_arn)[1]
        self._batch_size = batch_size
        self._max_retry_attempts = max_retry_attempts
        self._on_failure = on_failure
        self._starting_position = starting_position
        self._window_seconds = tumbling_window_seconds
        self._shards: dict[str, _ShardState] = {}
        self._initial_discovery_done = False
        self._lock = threading.Lock()
        self._thread = _PollingThread(
            f"ddb-stream-poller-{function_name}",
            self.poll_once,
            poll_interval,
            wake_on=stream_arn,
            max_idle_interval=max_idle_interval,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._thread.stop(timeout)

    def poll_once(self) -> int:
        """Deliver at most one batch per shard; returns how many records the handler was given."""
        if faults.stuck_now(self._function_name):
            return 0  # LOCAL_FAULTS stuck=<function>:<seconds>: this mapping reads nothing yet
        with self._lock:
            self._discover_shards()
            delivered = 0
            for shard in list(self._shards.values()):
                if shard.closed or self._waiting_for_parent(shard):
                    continue
                try:
                    delivered += self._poll_shard(shard)
                except Exception:
                    # One shard's trouble (an expired iterator, a throttled call) must not stall others.
                    logger.exception("%s: reading shard %s failed", self._function_name, shard.shard_id)
                    shard.iterator = None
            return delivered

    def _discover_shards(self) -> None:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamArn": self._stream_arn}
        while True:
            description = self._client.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last
        for shard in shards:
            if shard["ShardId"] in self._shards:
                continue
            state = _ShardState(
                shard_id=shard["ShardId"],
                parent_id=shard.get("ParentShardId"),
            )
            # LATEST only applies to shards open when the mapping starts; a shard born later (a
            # split child) is read from its start, or its first records would be lost.
            if self._starting_position == "LATEST" and not self._initial_discovery_done:
                state.iterator = self._client.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=state.shard_id, ShardIteratorType="LATEST"
                )["ShardIterator"]
            self._shards[state.shard_id] = state
        self._initial_discovery_done = True

    def _waiting_for_parent(self, shard: _ShardState) -> bool:
        parent = self._shards.get(shard.parent_id) if shard.parent_id else None
        return parent is not None and not parent.closed

    def _iterator_for(self, shard: _ShardState) -> str:
        if shard.iterator is not None:
            return shard.iterator
        kwargs: dict[str, Any] = {"StreamArn": self._stream_arn, "ShardId": shard.shard_id}
        if shard.resume_at is not None:
            kwargs.update(ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=shard.resume_at)
        elif shard.checkpoint is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.checkpoint)
        else:
            kwargs.update(ShardIteratorType="TRIM_HORIZON")
        shard.iterator = self._client.get_shard_iterator(**kwargs)["ShardIterator"]
        return shard.iterator

    def _poll_shard(self, shard: _ShardState) -> int:
        try:
            result = self._client.get_records(ShardIterator=self._iterator_for(shard), Limit=self._batch_size)
        except Exception as exc:
            # Iterators expire after 15 minutes in AWS; start again from the checkpoint.
            if getattr(exc, "response", {}).get("Error", {}).get("Code") != "ExpiredIteratorException":
                raise
            shard.iterator = None
            result = self._client.get_records(ShardIterator=self._iterator_for(shard), Limit=self._batch_size)
        records = result.get("Records", [])
        next_iterator = result.get("NextShardIterator")
        if not records:
            shard.iterator = next_iterator
            if next_iterator is None:
                shard.closed = True
            return 0

        event: dict[str, Any] = {"Records": [self._lambda_record(r) for r in records]}
        if self._window_seconds:
            event.update(self._window_fields(shard))
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        failed_from, function_error = self._invoke(event, set(sequences))
        if failed_from is None and faults.chance("duplicate"):
            # LOCAL_FAULTS duplicate: the batch was handled, and is delivered again all the same.
            shard.resume_at = sequences[0]
            shard.iterator = None
            return len(records)
        if failed_from is None:
            shard.checkpoint = sequences[-1]
            shard.resume_at = None
            shard.attempts, shard.attempts_at = 0, None
            shard.iterator = next_iterator
            if next_iterator is None:
                shard.closed = True
            return len(records)

        # Everything before the first failure is done; the next batch starts at the failure.
        first_failed = sequences.index(failed_from)
        if first_failed > 0:
            shard.checkpoint = sequences[first_failed - 1]
        if shard.attempts_at == failed_from:
            shard.attempts += 1
        else:
            shard.attempts, shard.attempts_at = 1, failed_from
        retries_used = shard.attempts - 1
        if self._max_retry_attempts != -1 and retries_used >= self._max_retry_attempts:
            failing = event["Records"][first_failed:]
            if self._hand_off(shard, failing, function_error):
                shard.checkpoint = sequences[-1]
                shard.resume_at = None
                shard.attempts, shard.attempts_at = 0, None
                shard.iterator = next_iterator
                if next_iterator is None:
                    shard.closed = True
                return len(records)
        shard.resume_at = failed_from
        shard.iterator = None
        return len(records)

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        record = dict(record)
        record["dynamodb"] = dict(record["dynamodb"])
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if created is not None:
            record["dynamodb"]["ApproximateCreationDateTime"] = _epoch_seconds(created)
        # boto3 decoded binary attributes (a named rater's sealed data) to bytes; Lambda's JSON event
        # carries them base64-encoded, as the stream API sends them.
        for image in ("NewImage", "OldImage", "Keys"):
            if image in record["dynamodb"]:
                record["dynamodb"][image] = _base64_binaries(record["dynamodb"][image])
        # moto stamps every record "us-east-1"; Lambda reports the table's own region.
        record["awsRegion"] = self._region
        record["eventSourceARN"] = self._stream_arn
        return record

    def _window_fields(self, shard: _ShardState) -> dict[str, Any]:
        """What a mapping with a tumbling window adds to each event: the shard, the window and its
        state. (The window's final, record-less invocation is not emulated.)"""
        now = int(datetime.now(UTC).timestamp())
        start = now - now % self._window_seconds

        def iso(seconds: int) -> str:
            return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "shardId": shard.shard_id,
            "eventSourceARN": self._stream_arn,
            "window": {"start": iso(start), "end": iso(start + self._window_seconds)},
            "state": {},
            "isFinalInvokeForWindow": False,
            "isWindowTerminatedEarly": False,
        }

    def _invoke(self, event: dict[str, Any], sequences: set[str]) -> tuple[str | None, str | None]:
        """Run the handler once; returns (lowest failed sequence number or None, function error)."""
        context = LambdaContext(self._function_name, region=self._region)
        ordered = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        try:
            # Lambda hands over a JSON document: no shared objects between attempts or handlers.
            response = self._handler(json.loads(json.dumps(event, default=_binary_as_base64)), context)
            if faults.chance("crash"):
                raise RuntimeError("the consumer crashed after its writes (LOCAL_FAULTS crash)")
            failed = _failed_identifiers(json.loads(json.dumps(response)), sequences)
        except _InvalidBatchResponse as exc:
            logger.error(
                "%s: invalid batch response (%s); retrying the whole batch", self._function_name, exc
            )
            return ordered[0], None
        except Exception:
            logger.exception("%s: handler raised; retrying the whole batch", self._function_name)
            return ordered[0], "Unhandled"
        if not failed:
            return None, None
        return min(failed, key=int), None

    def _hand_off(
        self, shard: _ShardState, failing: list[dict[str, Any]], function_error: str | None
    ) -> bool:
        """Send the exhausted batch's description on, as Lambda's on-failure destination does.

        Returns False when the destination could not take it, so the records are retried rather
        than skipped: nothing is dropped without a trace.
        """
        first, last = failing[0]["dynamodb"], failing[-1]["dynamodb"]

        def arrival(record: dict[str, Any]) -> str | None:
            seconds = record.get("ApproximateCreationDateTime")
            if not isinstance(seconds, int | float):
                return None
            return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if function_error:
            response_context["functionError"] = function_error
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": shard.attempts,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "DDBStreamBatchInfo": {
                "shardId": shard.shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(first),
                "approximateArrivalOfLastRecord": arrival(last),
                "batchSize": len(failing),
                "streamArn": self._stream_arn,
            },
        }
        if self._on_failure is None:
            # Lambda without a destination drops the batch; the log line is its only trace here.
            logger.error(
                "%s: retries exhausted, discarding stream batch %s",
                self._function_name,
                json.dumps(message["DDBStreamBatchInfo"]),
            )
            return True
        try:
            self._on_failure(message)
        except Exception:
            logger.exception("%s: on-failure destination refused the batch; will retry", self._function_name)
            return False
        return True


class SQSPoller:
    """Like a Lambda SQS event source mapping with ReportBatchItemFailures.

    Deletes what succeeded; leaves failures to reappear after the visibility timeout, so the
    queue's redrive policy decides when a message goes to its dead-letter queue, as in AWS.
    """

    def __init__(
        self,
        sqs_client: Any,
        queue_url: str,
        queue_arn: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 10,
        poll_interval: float = 0.1,
        max_idle_interval: float | None = None,
        wait_time_seconds: int = 0,
    ) -> None:
        if not 1 <= batch_size <= 10_000:
            raise ValueError("batch_size must be between 1 and 10000, as for Lambda")
        self._client = sqs_client
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._handler = handler
        self._function_name = function_name
        self._region = _arn_parts(queue_arn)[1]
        self._batch_size = batch_size
        self._wait_time_seconds = wait_time_seconds
        self._lock = threading.Lock()
        self._thread = _PollingThread(
            f"sqs-poller-{function_name}",
            self.poll_once,
            poll_interval,
            wake_on=queue_arn,
            max_idle_interval=max_idle_interval,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._thread.stop(timeout)

    def poll_once(self) -> int:
        """Receive up to one batch and deliver it; returns how many messages the handler was given."""
        with self._lock:
            messages = self._receive()
            if not messages:
                return 0
            records = [self._lambda_record(m) for m in messages]
            handles = {r["messageId"]: r["receiptHandle"] for r in records}
            context = LambdaContext(self._function_name, region=self._region)
            try:
                response = self._handler(json.loads(json.dumps({"Records": records})), context)
                if faults.chance("crash"):
                    raise RuntimeError("the consumer crashed after its writes (LOCAL_FAULTS crash)")
                failed = set(_failed_identifiers(json.loads(json.dumps(response)), set(handles)))
            except _InvalidBatchResponse as exc:
                logger.error("%s: invalid batch response (%s); batch stays queued", self._function_name, exc)
                return len(records)
            except Exception:
                logger.exception("%s: handler raised; batch stays queued", self._function_name)
                return len(records)
            if faults.chance("duplicate"):
                # LOCAL_FAULTS duplicate: handled, yet not deleted: it comes back after its visibility
                # timeout, as SQS may deliver a message twice (a task token twice, and late).
                return len(records)
            self._delete([(mid, handle) for mid, handle in handles.items() if mid not in failed])
            return len(records)

    def _receive(self) -> list[dict[str, Any]]:
        """Gather up to batch_size messages; SQS hands out at most ten per call."""
        by_id: dict[str, dict[str, Any]] = {}
        wait = self._wait_time_seconds
        while len(by_id) < self._batch_size:
            wanted = min(10, self._batch_size - len(by_id))
            received = self._client.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            before = len(by_id)
            for message in received:
                # A message seen twice (visibility timeout shorter than the gathering) is one record;
                # only its newest receipt handle can delete it.
                by_id[message["MessageId"]] = message
            # A short or repeating answer means the queue has nothing more to give right now.
            if len(received) < wanted or len(by_id) == before:
                break
            # Only the first receive may long-poll; then take what is already there.
            wait = 0
        return list(by_id.values())

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            attribute: dict[str, Any] = {
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            if "StringValue" in value:
                attribute["stringValue"] = value["StringValue"]
            if "BinaryValue" in value:
                # Lambda carries binary attributes as base64 text inside the JSON event.
                attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
            attributes[name] = attribute
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": attributes,
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _delete(self, done: list[tuple[str, str]]) -> None:
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": handle} for i, (_mid, handle) in enumerate(chunk)]
            result = self._client.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            for failure in result.get("Failed", []):
                # The message will come back after its visibility timeout: a duplicate, not a loss.
                logger.warning(
                    "%s: could not delete message %s: %s",
                    self._function_name,
                    chunk[int(failure["Id"])][0],
                    failure.get("Code"),
                )


def _base64_binaries(value: Any) -> Any:
    """A typed DynamoDB value with every B / BS as base64 text (the wire form of the stream API)."""
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {key: _base64_binaries(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_base64_binaries(item) for item in value]
    return value


def run_scheduled(handler: Handler, function_name: str) -> Any:
    """One invocation as EventBridge makes it: a Scheduled Event; the handler's result, or its error."""
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        "detail": {},
    }
    return handler(event, LambdaContext(function_name, region=default_region()))


class SchedulePoller:
    """Like an EventBridge schedule invoking a function: the handler gets a Scheduled Event every
    `every` seconds (locally far more often than deployed, so that waits in tests stay short) while
    the stack is busy. When nothing has happened since its last run (no request, no write), it runs
    ever less often, down to once every `max_idle_interval` seconds (still more often than deployed),
    and runs again as soon as anything happens."""

    def __init__(
        self,
        handler: Handler,
        *,
        function_name: str,
        every: float = 1.0,
        max_idle_interval: float = 60.0,
    ) -> None:
        self._handler = handler
        self._function_name = function_name
        self._every = every
        self._thread = _PollingThread(
            f"schedule-{function_name}",
            self.poll_once,
            every,
            wake_on=ACTIVITY.ANY,
            max_idle_interval=max_idle_interval,
            min_interval=every,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._thread.stop(timeout)

    def poll_once(self) -> int:
        try:
            run_scheduled(self._handler, self._function_name)
        except Exception:
            logger.exception("%s: scheduled invocation failed", self._function_name)
        return 0  # wait `every` seconds before the next one
