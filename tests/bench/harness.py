"""The rate function in this process, on moto's in-memory DynamoDB, driven as Lambda drives it.

Requests go through the local gateway's code path (LocalApiGateway.handle): it builds the API Gateway
REST proxy event, hands it to the Chalice app as `app(event, context)` with a Lambda context, and reads
the proxy answer back, each through JSON as the Lambda runtime does. The runtime is the one the
function builds in AWS (functions.rate.wiring.build) with the production client configuration; only
the endpoint behind botocore is moto."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from functions.core.storage import clients
from functions.core.storage.tables import TABLES
from functions.rate import wiring
from functions.rate.settings import RateSettings
from infra.local.gateway import LocalApiGateway
from infra.local.stack import REGION
from infra.provinces import demo_directory_csv
from tests.bench.workload import PROVINCE, province

TABLE_PREFIX = "haochaping-bench"
CHANNEL_KEY = "local-demo-key"
RATING_HEADERS = {"content-type": "application/json", "x-api-key": CHANNEL_KEY}

# Fake credentials and a region: botocore refuses to sign without them, and moto answers for any.
# Without AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled current botocore wants an account id for the endpoint.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the benchmark and put the caller's back afterwards (make bench runs several
    benchmarks in one process; none may leak settings into the next)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bench_settings(directory_jobs_queue_url: str = "") -> RateSettings:
    """The function's settings as the deployment would give them, through the same parser (the
    personal-data key answered in memory instead of by Secrets Manager)."""
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return RateSettings.from_env(
        {
            "PROVINCE_CONFIG": province().to_json(),
            "PERSONAL_DATA_SECRET_ARN": "arn:bench:personal-data",
            "TABLE_PREFIX": TABLE_PREFIX,
            # A benchmark that moves no directory subtree never sends to the queue.
            "DIRECTORY_JOBS_QUEUE_URL": directory_jobs_queue_url
            or f"https://sqs.{REGION}.amazonaws.com.cn/123456789012/bench-directory-jobs",
        },
        fetch=lambda _arn: key,
    )


@contextlib.contextmanager
def quiet_logger() -> Iterator[TextIO]:
    """Keep the work of logging and metrics (a Lambda does it on every request) but send the lines to
    /dev/null: a JSON log line and an EMF line per rating would bury the figures. Answers the sink,
    for Metrics, which prints its EMF line to whatever sys.stdout is at the time."""
    from functions.core.observability import logger

    handler = logger.registered_handler
    with open(os.devnull, "w") as sink:
        # Powertools' default handler is a plain StreamHandler; any other is left as configured.
        previous = handler.setStream(sink) if isinstance(handler, logging.StreamHandler) else None
        try:
            yield sink
        finally:
            if previous is not None:
                handler.setStream(previous)


@dataclass(frozen=True)
class DynamoCall:
    operation: str  # PutItem, TransactWriteItems, BatchGetItem, ...
    params: dict[str, Any]  # as the code passed them: Items in DynamoDB JSON, binary as bytes
    answer: dict[str, Any]  # parsed answer (or error answer)
    seconds: float  # from the call's entry to its parsed answer: botocore and moto together


class CallRecorder:
    """Every DynamoDB call a client makes, seen through botocore's own events, so nothing in the
    product code changes to be measured. `provide-client-params` fires once per API call (retries
    included in the one call) before validation; `after-call` once, with the parsed answer."""

    def __init__(self, client: Any) -> None:
        self.calls: list[DynamoCall] = []
        client.meta.events.register("provide-client-params.dynamodb", self._started)
        client.meta.events.register("after-call.dynamodb", self._finished)

    def _started(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # botocore hands both events the same per-call context dict: the start time rides on it.
        # The params are the caller's own dict (our code builds a fresh one per call): kept as is, not
        # copied, so that recording costs next to nothing inside the timed call.
        context["bench_params"] = params
        context["bench_started"] = time.perf_counter()

    def _finished(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        seconds = time.perf_counter() - context["bench_started"]
        self.calls.append(DynamoCall(model.name, context["bench_params"], parsed, seconds))

    def take(self) -> list[DynamoCall]:
        """The calls since the last take."""
        taken, self.calls = self.calls, []
        return taken


@dataclass
class InProcessStack:
    settings: RateSettings
    client: Any  # the DynamoDB client the runtime uses: hooks registered on it see every call
    runtime: wiring.Runtime
    gateway: LocalApiGateway
    sink: TextIO

    def post_rating(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """One request, as API Gateway would send it; answers the status and the JSON body."""
        return self.send("POST", "/v1/ratings", body, RATING_HEADERS)

    def send(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        with contextlib.redirect_stdout(self.sink):
            status, _, payload = self.gateway.handle(method, path, headers, raw)
        return status, json.loads(payload)

    def new_execution_environment(self) -> wiring.Runtime:
        """A fresh runtime (empty directory cache) on the same tables: what a cold start sees."""
        self.runtime = wiring.build(self.settings, self.client)
        wiring.use(self.runtime)
        return self.runtime


def client_for(service: str) -> Any:
    import boto3

    return boto3.client(service)


@contextlib.contextmanager
def in_process_stack() -> Iterator[InProcessStack]:
    """Tables from the shared specs, the demo directory imported, the rate app ready to be called."""
    from moto import mock_aws  # heavy (about a second): only the benchmarks that need it pay

    from functions.rate.app import app
    from infra.local import emulator

    # As in the local stack: moto's transactions no longer copy whole tables, so the figures stay
    # those of the function rather than of a table copy that grows with every rating.
    emulator.install()
    with environment(AWS_ENVIRONMENT), mock_aws():
        # The production factory, uncached: each benchmark gets its own client under its own mock.
        client = clients.dynamodb.__wrapped__()
        for spec in TABLES:
            client.create_table(**spec.create_table_request(spec.physical_name(TABLE_PREFIX)))
        queue_url = client_for("sqs").create_queue(QueueName=f"{TABLE_PREFIX}-directory-jobs")["QueueUrl"]
        settings = bench_settings(queue_url)
        runtime = wiring.build(settings, client)
        wiring.use(runtime)
        try:
            runtime.directory.import_csv(demo_directory_csv(PROVINCE))
            with quiet_logger() as sink:
                yield InProcessStack(
                    settings,
                    client,
                    runtime,
                    LocalApiGateway({"rate": app}, api_keys={CHANNEL_KEY: "bench-key"}),
                    sink,
                )
        finally:
            wiring.use(None)
