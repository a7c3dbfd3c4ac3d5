"""What runs where: the HTTP apps and the event-source mappings of the functions.

The local stack serves and polls exactly these; the CDK app deploys them from the same lists, so the
two cannot drift. A new function joins the system by its folder and an entry here: nothing else names
its modules."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


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
    # Streams only: a tumbling window makes Lambda name the shard in each event (`shardId`), which the
    # index function's exactly-once counting needs; 0 = none.
    tumbling_window_seconds: int = 0


HTTP_FUNCTIONS: tuple[HttpFunction, ...] = (
    HttpFunction("rate", "functions.rate.app:app"),
    HttpFunction("index", "functions.index.app:app"),
)

EVENT_SOURCES: tuple[EventSource, ...] = (
    EventSource(
        "index",
        "functions.index.stream:handler",
        "dynamodb-stream",
        "ratings",
        batch_size=100,
        max_retry_attempts=3,
        tumbling_window_seconds=60,
    ),
)


@dataclass(frozen=True)
class Subscription:
    """An SNS topic delivering to an SQS queue (raw message delivery)."""

    topic: str
    queue: str


# Queues every stack has: where stream records go after their retries are exhausted.
STREAM_FAILURE_QUEUE = "stream-failures"
QUEUES: tuple[str, ...] = (STREAM_FAILURE_QUEUE,)
TOPICS: tuple[str, ...] = ("sms-outbound", "escalations")
SUBSCRIPTIONS: tuple[Subscription, ...] = ()
BUCKETS: tuple[str, ...] = ("evidence",)


def load(reference: str) -> Any:
    """The object a "module:attribute" reference names."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Route:
    function: str
    path: str
    method: str
    access: str  # a functions.core.http.app.Access value


def routes(include_local: bool = False) -> list[Route]:
    """Every route of every HTTP function, read from the Chalice apps themselves: what the local gateway
    serves and (without the local-only ones) what API Gateway must declare, one method each."""
    from functions.core.http.app import Access

    found = []
    for function in HTTP_FUNCTIONS:
        app = load(function.app)
        for path, methods in app.routes.items():
            for method in methods:
                access = app.access[(path, method)]
                if access is Access.LOCAL and not include_local:
                    continue
                found.append(Route(function.name, path, method, access.value))
    return sorted(found, key=lambda r: (r.path, r.method))
