"""Faults across the pipeline, injected by configuration of the local stack's emulation (never by
editing code): `LOCAL_FAULTS` in the local stack's environment, a comma list of `name=value`.

    throttle=0.05     the embedded DynamoDB refuses that share of writes (PutItem, UpdateItem,
                      DeleteItem, BatchWriteItem, TransactWriteItems) with
                      ProvisionedThroughputExceededException before writing: botocore retries as in
                      AWS, and what still fails reaches the caller (a 5xx or a failed batch record)
    crash=0.05        a stream or queue consumer crashes after its handler ran and before it answered:
                      its writes were made, and the whole batch is delivered again (a crash between
                      two writes of the retried batch)
    duplicate=0.1     a stream batch handled is delivered again (as Lambda does after a timeout), and
                      a queue message handled is not deleted, so it comes back after its visibility
                      timeout (SQS's at-least-once; task tokens delivered twice, and late)
    sms_fail=0.2      the SMS provider (the local outbox) fails to take a text: the sender's queue
                      retries it, then sms-dlq keeps it
    stuck=index:5     the stream poller of function `index` delivers nothing for its first 5 seconds
                      (a stuck shard), then catches up
    seed=7            the random draws' seed (default 2026): the same faults on every run

What was injected is counted (`injected()`), so a test can show that its faults really happened.
Dead letters are redriven with `python -m infra.local redrive --aws <the embedded AWS's URL>`. Faults of the
state machine's own Task calls (its DynamoDB, SNS and SQS integrations) are `infra/local/asl_faults.py`'s."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

RATES = ("throttle", "crash", "duplicate", "sms_fail")


@dataclass
class Faults:
    rates: dict[str, float] = field(default_factory=dict)
    stuck: dict[str, float] = field(default_factory=dict)  # function name → seconds
    seed: int = 2026
    counts: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _first_poll: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, spec: str) -> Faults:
        faults = cls()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.partition("=")
            if name in RATES:
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError(f"LOCAL_FAULTS: {name} is a share between 0 and 1, not {value!r}")
                faults.rates[name] = rate
            elif name == "stuck":
                function, _, seconds = value.partition(":")
                faults.stuck[function] = float(seconds or 10)
            elif name == "seed":
                faults.seed = int(value)
            else:
                raise ValueError(
                    f"LOCAL_FAULTS: unknown fault {name!r} (known: {', '.join(RATES)}, stuck, seed)"
                )
        faults._random.seed(faults.seed)
        return faults

    def chance(self, name: str) -> bool:
        """Whether this occasion gets the fault; counted when it does."""
        rate = self.rates.get(name, 0.0)
        if rate <= 0:
            return False
        with self._lock:
            hit = self._random.random() < rate
            if hit:
                self.counts[name] += 1
        return hit

    def stuck_now(self, function_name: str) -> bool:
        """Stuck for the first `seconds` from the mapping's first poll."""
        seconds = self.stuck.get(function_name)
        if seconds is None:
            return False
        with self._lock:
            began = self._first_poll.setdefault(function_name, time.monotonic())
            if time.monotonic() - began >= seconds:
                return False
            self.counts["stuck"] += 1
        return True


_active: Faults | None = None
_installed = False


def configure(spec: str | None) -> Faults | None:
    """Read LOCAL_FAULTS (None or "": no faults) and put the hooks in place."""
    global _active
    _active = Faults.parse(spec) if spec else None
    if _active is not None:
        _install()
    return _active


def active() -> Faults | None:
    return _active


def chance(name: str) -> bool:
    return _active is not None and _active.chance(name)


def stuck_now(function_name: str) -> bool:
    return _active is not None and _active.stuck_now(function_name)


def injected() -> dict[str, int]:
    return dict(_active.counts) if _active is not None else {}


def _install() -> None:
    """Hooks in the embedded DynamoDB and the local SMS provider; idempotent. The pollers ask
    `chance` themselves (infra/local/pollers.py)."""
    global _installed
    if _installed:
        return
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.responses import DynamoHandler

    from functions.sms.outbound import LocalOutbox

    class Throttled(JsonRESTError):
        def __init__(self) -> None:
            super().__init__(
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded (LOCAL_FAULTS)",
            )

    def throttled(method: Any) -> Any:
        def write(self: Any, *args: Any, **kwargs: Any) -> Any:
            # Refused as a whole request, before anything is written, as DynamoDB does.
            if chance("throttle"):
                raise Throttled()
            return method(self, *args, **kwargs)

        return write

    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
        setattr(DynamoHandler, name, throttled(getattr(DynamoHandler, name)))

    send = LocalOutbox.send

    def send_or_fail(self: Any, *args: Any, **kwargs: Any) -> None:
        if chance("sms_fail"):
            raise ConnectionError("the SMS provider is failing (LOCAL_FAULTS)")
        send(self, *args, **kwargs)

    LocalOutbox.send = send_or_fail  # type: ignore[method-assign]
    _installed = True


def _source_of(dead_letter: str, sources: list[str], body: str) -> str:
    """Which queue a dead letter came from. SQS does not say; where several queues share a
    dead-letter queue (sms-dlq: texts to send and ticket events to notify), the body does: a ticket
    event names its `event`."""
    if len(sources) == 1:
        return sources[0]
    import json

    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = {}
    notification = [s for s in sources if "notification" in s]
    if isinstance(parsed, dict) and "event" in parsed and notification:
        return notification[0]
    return next(s for s in sources if s not in notification)


def redrive(
    endpoint: str, prefix: str = "haochaping-local", region: str = "cn-northwest-1"
) -> dict[str, int]:
    """Move every message of the stack's dead-letter queues back to the queue it came from (the
    documented command: `python -m infra.local redrive --aws http://127.0.0.1:<embedded AWS port>`).
    Answers how many went back to each queue. Records in `stream-failures` describe stream batches
    (Lambda's on-failure destination), not messages to redrive: they are counted, left in place."""
    import boto3

    from infra import topology

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    url = {q: sqs.get_queue_url(QueueName=f"{prefix}-{q}")["QueueUrl"] for q in topology.QUEUES}
    sources: dict[str, list[str]] = {}
    for queue, (dead_letter, _) in topology.DEAD_LETTERS.items():
        sources.setdefault(dead_letter, []).append(queue)
    moved: Counter[str] = Counter()
    for dead_letter, from_queues in sources.items():
        while True:
            messages = sqs.receive_message(
                QueueUrl=url[dead_letter], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                target = _source_of(dead_letter, from_queues, message["Body"])
                attributes = message.get("MessageAttributes") or {}
                sqs.send_message(
                    QueueUrl=url[target], MessageBody=message["Body"], MessageAttributes=attributes
                )
                sqs.delete_message(QueueUrl=url[dead_letter], ReceiptHandle=message["ReceiptHandle"])
                moved[target] += 1
    failures = sqs.get_queue_attributes(
        QueueUrl=url[topology.STREAM_FAILURE_QUEUE], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    moved[f"{topology.STREAM_FAILURE_QUEUE} (left, described batches)"] = int(failures)
    return dict(moved)
