"""What runs where: the HTTP apps and the event-source mappings of the functions.

The local stack serves and polls exactly these; the CDK app deploys them from the same lists, so the
two cannot drift. A new function joins the system by its folder and an entry here: nothing else names
its modules."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Needs:
    """What a function (or state machine) touches, by logical name: the CDK app grants exactly these and
    passes each one's physical name in the environment (`<NAME>_TABLE`, `<NAME>_TOPIC_ARN`,
    `<NAME>_QUEUE_URL`, `<NAME>_STATE_MACHINE_ARN`, `<NAME>_SECRET_ARN`; NAME upper-cased, `-` → `_`).
    The source of an event-source mapping needs no entry: the mapping grants its own read."""

    reads: tuple[str, ...] = ()  # tables read (GetItem, Query, Scan, BatchGetItem)
    writes: tuple[str, ...] = ()  # tables read and written (incl. TransactWriteItems)
    publishes: tuple[str, ...] = ()  # topics
    sends: tuple[str, ...] = ()  # queues
    starts: tuple[str, ...] = ()  # state machines (StartExecution, SendTask*)
    secrets: tuple[str, ...] = ()  # Secrets Manager secrets read
    buckets: tuple[str, ...] = ()  # buckets read and written


@dataclass(frozen=True)
class Sizing:
    """How much of Lambda a function gets. Reserved concurrency caps what a function can take from the
    account (and protects the rest); None leaves it in the unreserved pool."""

    memory_mb: int = 1024
    timeout_seconds: int = 29  # API Gateway's integration limit
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class HttpFunction:
    name: str
    app: str  # "module:attribute" of the Chalice app, which is also the Lambda handler
    needs: Needs = Needs()
    sizing: Sizing = Sizing()


@dataclass(frozen=True)
class EventSource:
    """A Lambda event-source mapping with ReportBatchItemFailures."""

    function: str
    handler: str  # "module:attribute"
    kind: str  # "dynamodb-stream" (source: a table's logical name) or "sqs" (source: a queue name)
    source: str
    batch_size: int = 100
    max_retry_attempts: int = 3
    needs: Needs = Needs()
    sizing: Sizing = Sizing(timeout_seconds=60)
    # Stream records older than this go to the on-failure queue instead of being retried.
    max_record_age_seconds: int = 6 * 3600
    parallelization_factor: int = 1


HTTP_FUNCTIONS: tuple[HttpFunction, ...] = (
    HttpFunction(
        "rate",
        "functions.rate.app:app",
        needs=Needs(
            writes=("ratings", "cases", "directory", "jobs"),
            sends=("directory-jobs",),
            secrets=("personal-data",),
        ),
        sizing=Sizing(reserved_concurrency=200),
    ),
)

# Moves of directory subtrees, one chunk per message (functions.core.domain.directory_jobs).
DIRECTORY_JOBS_QUEUE = "directory-jobs"

EVENT_SOURCES: tuple[EventSource, ...] = (
    EventSource(
        "rate-directory-jobs",
        "functions.rate.jobs:handler",
        "sqs",
        DIRECTORY_JOBS_QUEUE,
        batch_size=1,
        needs=Needs(writes=("directory", "jobs"), sends=(DIRECTORY_JOBS_QUEUE,), secrets=("personal-data",)),
    ),
)


@dataclass(frozen=True)
class Subscription:
    """An SNS topic delivering to an SQS queue (raw message delivery)."""

    topic: str
    queue: str


# Queues every stack has: where stream records go after their retries are exhausted.
STREAM_FAILURE_QUEUE = "stream-failures"
QUEUES: tuple[str, ...] = (STREAM_FAILURE_QUEUE, DIRECTORY_JOBS_QUEUE)
TOPICS: tuple[str, ...] = ("sms-outbound", "escalations")
SUBSCRIPTIONS: tuple[Subscription, ...] = ()
BUCKETS: tuple[str, ...] = ("evidence",)
# Secrets Manager secrets every stack has (values generated at deploy time, never in a template).
SECRETS: tuple[str, ...] = ("personal-data",)


@dataclass(frozen=True)
class StateMachine:
    """A Standard state machine from an ASL file in statemachines/. Its `${Placeholders}` are filled
    from what it needs: `${<Name>Table}`, `${<Name>TopicArn}`, `${<Name>QueueUrl}`, `${<Name>QueueArn}`
    (Name in CamelCase: ticket-events → TicketEvents) and `${Partition}`, `${Region}`, `${Account}`."""

    name: str
    definition: str  # path of the ASL file from the repository root
    needs: Needs = Needs()


STATE_MACHINES: tuple[StateMachine, ...] = ()

# The Lambda REQUEST authorizer in front of PERSON routes (checks the province IdP's JWTs).
AUTHORIZER = "functions.core.http.authorizer:handler"


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
    return routes_of({function.name: load(function.app) for function in HTTP_FUNCTIONS}, include_local)


def routes_of(apps: Mapping[str, Any], include_local: bool = False) -> list[Route]:
    """The routes of the given apps (function name → app made by `create_app`). A path and method
    declared by two functions, or an app that does not say who may call its routes, is refused here,
    before anything serves or deploys it."""
    from functions.core.http.app import Access

    found: dict[tuple[str, str], Route] = {}
    for name, app in apps.items():
        access_of = getattr(app, "access", None)
        if access_of is None:
            raise ValueError(
                f"the app of function {name!r} is not made by create_app: its routes declare no access"
            )
        for path, methods in app.routes.items():
            for method in methods:
                access = access_of[(path, method)]
                if access is Access.LOCAL and not include_local:
                    continue
                other = found.get((path, method))
                if other is not None:
                    raise ValueError(f"{method} {path} is declared by both {other.function!r} and {name!r}")
                found[(path, method)] = Route(name, path, method, access.value)
    return sorted(found.values(), key=lambda r: (r.path, r.method))
