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

    reads: tuple[str, ...] = ()  # tables read (GetItem, BatchGetItem, Query)
    writes: tuple[str, ...] = ()  # tables read and written: + PutItem, UpdateItem (also in transactions)
    appends: tuple[str, ...] = ()  # tables only added to: GetItem, Query, PutItem (the trail)
    deletes: tuple[str, ...] = ()  # tables items are deleted from (DeleteItem, also in transactions)
    scans: tuple[str, ...] = ()  # tables scanned whole
    batch_writes: tuple[str, ...] = ()  # tables written with BatchWriteItem
    publishes: tuple[str, ...] = ()  # topics
    sends: tuple[str, ...] = ()  # queues
    starts: tuple[str, ...] = ()  # state machines (StartExecution, SendTask*)
    secrets: tuple[str, ...] = ()  # Secrets Manager secrets read
    buckets: tuple[str, ...] = ()  # buckets written (uploads, presigned by the function)
    texts_phones: bool = False  # publishes SMS to phone numbers through SNS where the partition can


# The IAM actions each kind of table access grants: a function gets exactly the union over its tables
# (infra/constructs/workflow.py grants them; tests/infra/test_least_privilege.py compares the
# synthesized policies with this). Nothing grants DeleteItem, Scan or BatchWriteItem unless a function
# names the table under `deletes`, `scans` or `batch_writes`.
TABLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "reads": ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"),
    "writes": (
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ),
    "appends": ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
    "deletes": ("dynamodb:DeleteItem",),
    "scans": ("dynamodb:Scan",),
    "batch_writes": ("dynamodb:BatchWriteItem",),
}


def table_actions(needs: Needs) -> dict[str, set[str]]:
    """table → the DynamoDB actions `needs` grants on it."""
    found: dict[str, set[str]] = {}
    for kind, actions in TABLE_ACTIONS.items():
        for table in getattr(needs, kind):
            found.setdefault(table, set()).update(actions)
    return found


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
    # "dynamodb-stream" (source: a table's logical name), "sqs" (source: a queue name), "schedule"
    # (source: an EventBridge schedule expression, e.g. "rate(5 minutes)"; the local stack runs it
    # every LOCAL_SCHEDULE_SECONDS, default 1) or "sns" (source: a topic of TOPICS; the function is
    # subscribed to it, invoked asynchronously, and what SNS cannot deliver or the function still fails
    # after Lambda's retries goes to `dead_letter_queue`; the local stack serves no such source)
    kind: str
    source: str
    batch_size: int = 100
    max_retry_attempts: int = 3
    needs: Needs = Needs()
    sizing: Sizing = Sizing(timeout_seconds=60)
    # Stream records older than this go to the on-failure queue instead of being retried.
    max_record_age_seconds: int = 6 * 3600
    parallelization_factor: int = 1
    # Streams only: a tumbling window makes Lambda name the shard in each event (`shardId`), which the
    # index function's exactly-once counting needs; 0 = none.
    tumbling_window_seconds: int = 0
    # Streams only: how long Lambda gathers records before it invokes (MaximumBatchingWindowInSeconds,
    # 0-300); 0 invokes as soon as a record is there, so a slow stream gives batches of one record.
    batching_window_seconds: int = 0
    # Streams only: Lambda's event filter patterns (a record matching any is delivered; the others are
    # dropped, never invoked for, and checkpointed past). Plain JSON, so tests can check them.
    filters: tuple[Mapping[str, Any], ...] = ()
    # "sns" sources only: a queue of QUEUES (or a dead-letter queue named in DEAD_LETTERS) that keeps
    # the messages neither SNS nor the function could handle.
    dead_letter_queue: str | None = None


# The personal-data key: only the functions that seal or read raters' data (rate, its directory jobs
# through the same settings, and the SMS side) are granted it.
PERSONAL = "personal-data"
# The indices' freshness (a product promise, README "Counters at production's shape"): a rating is in
# its figures at most INDEX_BATCHING_WINDOW_SECONDS after it is stored, plus the batch's own handling.
# The window lets a batch merge every update of the same counter item; a full batch goes at once.
INDEX_BATCHING_WINDOW_SECONDS = 30
INDEX_BATCH_SIZE = 500
# The tickets consumer acts on inserted bad ratings only (functions/tickets/stream.py): the rest of the
# stream (good ratings, the ticket outcomes written back as MODIFYs) never invokes it.
BAD_RATING_INSERTS: Mapping[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"satisfaction": {"N": ["1", "2"]}}},
}

QR_SIGNING = "qr-signing"  # HMAC keys of QR codes and signed rating links (rotated: current + previous)
# What the ticket side touches (the HTTP app and the stream consumer open and move tickets alike).
TICKET_NEEDS = Needs(
    reads=("directory",),
    writes=("tickets", "ratings", "calendar"),
    # the trail is put-only (functions/tickets/store.py); open and listed tickets are scanned
    appends=("ticket-trail",),
    scans=("tickets",),
    publishes=("ticket-events",),
    starts=("ticket",),
    buckets=("evidence",),
)

# The SMS side: invitations, replies (a reply is a rating, through the rate service), texts out.
SMS_NEEDS = Needs(
    reads=("directory",),
    writes=("sms", "cases", "ratings"),
    publishes=("sms-outbound",),
    secrets=(PERSONAL,),
)
# The SMS gateway's key: only the sender, which hands texts to the gateway, may read it (the others
# are told its ARN, which is no secret, through SMS_PROVIDER_KEY_SECRET_ARN, and never fetch it).
SMS_PROVIDER_KEY = "sms-provider-key"

# The upward export (functions/export): reads ratings and the directory's national codes, keeps its
# ledger, queues reconciliations, signs with the targets' key. Every export handler shares the settings.
EXPORT_RECONCILE_QUEUE = "export-reconcile"
EXPORT_KEY = "export-target-key"
EXPORT_HANDLER = "functions.export.handlers:handler"
EXPORT_NEEDS = Needs(
    reads=("ratings", "directory"),
    writes=("export",),
    sends=(EXPORT_RECONCILE_QUEUE,),
    secrets=(EXPORT_KEY,),
)

EXPORT_SIZING = Sizing(timeout_seconds=300)

HTTP_FUNCTIONS: tuple[HttpFunction, ...] = (
    HttpFunction(
        "rate",
        "functions.rate.app:app",
        needs=Needs(
            reads=("devices",),
            writes=("ratings", "cases", "directory", "jobs"),
            # a finished move releases the one-move lock (a Delete in its transaction); a directory
            # upload writes entries in batches
            deletes=("jobs",),
            batch_writes=("directory",),
            sends=("directory-jobs",),
            secrets=(PERSONAL,),
        ),
        # Channels' bursts (every hall at opening time) must not starve the other functions.
        sizing=Sizing(reserved_concurrency=200),
    ),
    HttpFunction(
        "index",
        "functions.index.app:app",
        # tickets and calendar: the early warnings' rule 3 (tickets due within the next working day)
        needs=Needs(reads=("counters", "directory", "tickets", "calendar")),
    ),
    HttpFunction("sms", "functions.sms.app:app", needs=SMS_NEEDS),
    # Rating devices, QR codes and signed links, and the rating screens (/terminal, /rate).
    HttpFunction(
        "devices",
        "functions.devices.app:app",
        needs=Needs(
            reads=("directory",),
            writes=("devices", "ratings", "cases"),
            # a pairing code is spent by deleting it (in the transaction that activates its device)
            deletes=("devices",),
            secrets=(PERSONAL, QR_SIGNING),
        ),
    ),
    HttpFunction("tickets", "functions.tickets.app:app", needs=TICKET_NEEDS),
    # The web console: its page, bundle and sign-in configuration; it touches no data (the page calls
    # the public API with the person's token).
    HttpFunction("console", "functions.console.app:app", sizing=Sizing(memory_mb=256, timeout_seconds=10)),
    HttpFunction("export", "functions.export.app:app", needs=EXPORT_NEEDS),
)

# The ticket workflow's task tokens: each wait of the state machine sends one here (see
# statemachines/ticket.asl.json); the tickets function stores it on the ticket.
TICKET_TASKS_QUEUE = "ticket-tasks"
# Ticket events (COMMON.md contract 3) are also logged, one line each: the supervision record (督办)
# in CloudWatch, and where `make run` shows reminders and escalations.
TICKET_EVENTS_LOG_QUEUE = "ticket-events-log"
# Moves of directory subtrees, one chunk per message (functions.core.domain.directory_jobs).
DIRECTORY_JOBS_QUEUE = "directory-jobs"
# Inbound texts (two-way SMS) delivered by the province's SMS service.
SMS_INBOUND_TOPIC = "sms-inbound"

EVENT_SOURCES: tuple[EventSource, ...] = (
    EventSource(
        "rate-directory-jobs",
        "functions.rate.jobs:handler",
        "sqs",
        DIRECTORY_JOBS_QUEUE,
        batch_size=1,
        needs=Needs(
            writes=("directory", "jobs"),
            deletes=("jobs",),
            batch_writes=("directory",),
            sends=(DIRECTORY_JOBS_QUEUE,),
            secrets=(PERSONAL,),
        ),
    ),
    EventSource(
        "index",
        "functions.index.stream:handler",
        "dynamodb-stream",
        "ratings",
        batch_size=INDEX_BATCH_SIZE,
        max_retry_attempts=3,
        tumbling_window_seconds=60,
        batching_window_seconds=INDEX_BATCHING_WINDOW_SECONDS,
        needs=Needs(writes=("counters",)),
    ),
    # Texts published to `sms-outbound` reach the provider through this queue (retried, then sms-dlq).
    EventSource(
        "sms-sender",
        "functions.sms.handlers:send",
        "sqs",
        "sms-send",
        batch_size=10,
        needs=Needs(
            **{**SMS_NEEDS.__dict__, "secrets": (*SMS_NEEDS.secrets, SMS_PROVIDER_KEY), "texts_phones": True}
        ),
    ),
    # Ticket events (contract 3) become texts to departments, supervisors and raters.
    EventSource(
        "sms-notifications",
        "functions.sms.handlers:notifications",
        "sqs",
        "sms-notifications",
        batch_size=10,
        needs=SMS_NEEDS,
    ),
    # Completed and rated cases into the indices' counters (the active rating rate).
    EventSource(
        "index-case-counts",
        "functions.index.case_counts:handler",
        "dynamodb-stream",
        "cases",
        batch_size=100,
        max_retry_attempts=3,
        tumbling_window_seconds=60,
        needs=Needs(writes=("counters",)),
    ),
    # Two-way SMS in AWS: replies arrive on the `sms-inbound` topic (the two-way number's destination,
    # see README) and become ratings. Locally POST /local/sms/inbound is the phone network instead.
    EventSource(
        "sms-inbound",
        "functions.sms.handlers:inbound",
        "sns",
        SMS_INBOUND_TOPIC,
        needs=SMS_NEEDS,
        dead_letter_queue="sms-dlq",
    ),
    # Invitations held back by the province's quiet hours go out when they end.
    EventSource(
        "sms-release", "functions.sms.handlers:release", "schedule", "rate(5 minutes)", needs=SMS_NEEDS
    ),
    # Default ratings (系统默认评价) of recorded cases whose rating period ended unrated, where the
    # province rates by default: read from the cases table's sparse `default_due` index, never a scan.
    EventSource(
        "sms-default-ratings",
        "functions.sms.handlers:default_ratings",
        "schedule",
        "rate(1 hour)",
        needs=SMS_NEEDS,
        sizing=Sizing(timeout_seconds=300),
    ),
    # Early warnings of every department, once a day (09:00 in China), counted as metrics by rule.
    EventSource(
        "index-warnings",
        "functions.index.analysis_api:scheduled",
        "schedule",
        "cron(0 1 * * ? *)",
        needs=Needs(reads=("counters", "directory", "tickets", "calendar")),
        sizing=Sizing(timeout_seconds=300),
    ),
    EventSource(
        "tickets",
        "functions.tickets.stream:handler",
        "dynamodb-stream",
        "ratings",
        batch_size=10,
        filters=(BAD_RATING_INSERTS,),
        needs=TICKET_NEEDS,
    ),
    EventSource(
        "ticket-tasks",
        "functions.tickets.tasks:handler",
        "sqs",
        TICKET_TASKS_QUEUE,
        batch_size=10,
        needs=Needs(writes=("tickets",), appends=("ticket-trail",)),
    ),
    # The export's one event function (functions/export/handlers.py): ratings and ticket outcomes into
    # the pending set exactly once; every minute bounded batches up to every target and each day's
    # reconciliation when due; POST /v1/export/reconcile's queue.
    EventSource(
        "export",
        EXPORT_HANDLER,
        "dynamodb-stream",
        "ratings",
        batch_size=100,
        # every rating and every change of it (an appeal, a ticket outcome); a removal exports nothing
        filters=({"eventName": ["INSERT", "MODIFY"]},),
        needs=EXPORT_NEEDS,
        sizing=EXPORT_SIZING,
    ),
    EventSource(
        "export", EXPORT_HANDLER, "schedule", "rate(1 minute)", needs=EXPORT_NEEDS, sizing=EXPORT_SIZING
    ),
    EventSource(
        "export",
        EXPORT_HANDLER,
        "sqs",
        EXPORT_RECONCILE_QUEUE,
        batch_size=1,
        needs=EXPORT_NEEDS,
        sizing=EXPORT_SIZING,
    ),
    # Logs ticket events, nothing else: no data, no secret.
    EventSource(
        "ticket-events-log", "functions.tickets.events:handler", "sqs", TICKET_EVENTS_LOG_QUEUE, batch_size=10
    ),
)


@dataclass(frozen=True)
class Subscription:
    """An SNS topic delivering to an SQS queue (raw message delivery)."""

    topic: str
    queue: str


# Queues every stack has: where stream records go after their retries are exhausted.
STREAM_FAILURE_QUEUE = "stream-failures"
# Dead-letter queues come before the queues that send to them.
QUEUES: tuple[str, ...] = (
    STREAM_FAILURE_QUEUE,
    DIRECTORY_JOBS_QUEUE,
    TICKET_TASKS_QUEUE,
    TICKET_EVENTS_LOG_QUEUE,
    "sms-dlq",
    "sms-send",
    "sms-notifications",
    "export-dlq",
    EXPORT_RECONCILE_QUEUE,
)
# queue → (its dead-letter queue, receives before a message goes there)
DEAD_LETTERS: dict[str, tuple[str, int]] = {
    "sms-send": ("sms-dlq", 5),
    "sms-notifications": ("sms-dlq", 5),
    EXPORT_RECONCILE_QUEUE: ("export-dlq", 3),
}
# `ticket-events` (contract 3) replaces the earlier `escalations` topic.
TOPICS: tuple[str, ...] = ("sms-outbound", "ticket-events", SMS_INBOUND_TOPIC)
# Topics an AWS service publishes to, where the partition has SNS SMS: the two-way SMS number's
# replies (AWS End User Messaging SMS). Elsewhere nothing outside the stack may publish to them.
SERVICE_PUBLISHERS: dict[str, str] = {SMS_INBOUND_TOPIC: "sms-voice.amazonaws.com"}
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("ticket-events", TICKET_EVENTS_LOG_QUEUE),
    Subscription("sms-outbound", "sms-send"),
    Subscription("ticket-events", "sms-notifications"),
)
BUCKETS: tuple[str, ...] = ("evidence",)
# Secrets Manager secrets every stack has (values generated at deploy time, never in a template).
# `sms-provider-key`: the key of the province's SMS gateway where the partition has no SNS SMS (the
# operator puts the gateway's key in it after the first deploy).
# `export-target-key`: the key the export signs (and, for sm3-sm4 targets, encrypts) with, as agreed with
# the target (base64 of at least 32 bytes; generated, then replaced by the operator with the target's).
SECRETS: tuple[str, ...] = (PERSONAL, SMS_PROVIDER_KEY, QR_SIGNING, EXPORT_KEY)


# PUBLIC GET routes API Gateway caches, each with the query parameters its answer depends on (they
# become the cache key with the path; a route whose parameters are not listed here is never cached,
# so that no answer is served for another query).
PUBLIC_CACHE: dict[str, tuple[str, ...]] = {
    "/public": (),
    "/public/{asset}": (),
    "/v1/openapi.json": (),
    "/v1/public/summary": ("from", "to"),
}

# The Lambda REQUEST authorizers in front of PERSON, CHANNEL and CHANNEL_OR_PERSON routes: which function
# each invokes, and its cache key (functions/core/http/authorizer.py AUTHORIZERS).
AUTHORIZER = "functions.core.http.authorizer:handler"


@dataclass(frozen=True)
class StateMachine:
    """A Standard state machine from `statemachines/<name>.asl.json`. `placeholders` maps each
    `${Placeholder}` to the resource it names: "table:<logical>", "queue:<name>" (URL),
    "topic:<name>" (ARN) or "partition"; infra.statemachines.definition substitutes them."""

    name: str
    placeholders: tuple[tuple[str, str], ...]
    env: str  # the environment variable that gives functions its ARN


STATE_MACHINES: tuple[StateMachine, ...] = (
    StateMachine(
        "ticket",
        (
            ("Partition", "partition"),
            ("TaskQueueUrl", f"queue:{TICKET_TASKS_QUEUE}"),
            ("TicketEventsTopicArn", "topic:ticket-events"),
            ("TicketsTable", "table:tickets"),
        ),
        env="TICKET_STATE_MACHINE_ARN",
    ),
)


def resource_env_name(kind: str, name: str) -> str:
    """The environment variable that tells functions a resource's name: TICKET_EVENTS_TOPIC_ARN,
    EVIDENCE_BUCKET, TICKET_TASKS_QUEUE_URL."""
    stem = name.upper().replace("-", "_")
    return {"topic": f"{stem}_TOPIC_ARN", "bucket": f"{stem}_BUCKET", "queue": f"{stem}_QUEUE_URL"}[kind]


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
