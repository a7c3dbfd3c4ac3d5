"""What runs where: the HTTP apps and the event-source mappings of the functions.

The local stack serves and polls exactly these; the CDK app (a later issue) deploys them from the same
lists, so the two cannot drift. Later issues add their apps and mappings here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpFunction:
    name: str
    app: str  # "module:attribute" of the Chalice app, which is also the Lambda handler


@dataclass(frozen=True)
class EventSource:
    """A Lambda event-source mapping with ReportBatchItemFailures."""

    function: str
    handler: str  # "module:attribute"
    kind: str  # "dynamodb-stream" (source: a table's logical name) or "sqs" (source: a queue name)
    source: str
    batch_size: int = 100
    max_retry_attempts: int = 3


HTTP_FUNCTIONS: tuple[HttpFunction, ...] = (HttpFunction("rate", "functions.rate.app:app"),)

EVENT_SOURCES: tuple[EventSource, ...] = ()

# Queues every stack has: where stream records go after their retries are exhausted.
STREAM_FAILURE_QUEUE = "stream-failures"
QUEUES: tuple[str, ...] = (STREAM_FAILURE_QUEUE,)
TOPICS: tuple[str, ...] = ("sms-outbound", "escalations")
BUCKETS: tuple[str, ...] = ("evidence",)
