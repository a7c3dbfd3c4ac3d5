"""The local stack: an embedded AWS (moto's server, in this process), the tables, queues, topics and
bucket of a deployed stack, the demo province, every HTTP function behind a local API Gateway, and the
event-source mappings as pollers.

Everything lives in memory: when the process stops, the data is gone."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functions.export.targets import targets_to_json
from infra import topology
from infra.local import emulator, faults
from infra.local.gateway import LocalApiGateway, ServerHandle, serve
from infra.local.identity import JWKS_PATH, LocalIdentityProvider
from infra.local.oidc import PREFIX as OIDC_PREFIX
from infra.local.oidc import console_environment, for_stack
from infra.local.pollers import DynamoDBStreamPoller, SchedulePoller, SQSPoller
from infra.local.schedules import schedules_app
from infra.provinces import DEPLOYMENTS, PROVINCES, demo_directory_csv

logger = logging.getLogger("haochaping.local")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIRECTORY = PROJECT_ROOT / ".local"
DEMO_API_KEY = "local-demo-key"
TABLE_PREFIX = "haochaping-local"
REGION = "cn-northwest-1"


def local_identity() -> LocalIdentityProvider:
    """The local identity provider, whose key `python -m infra.local token` and a running stack share."""
    return LocalIdentityProvider(LOCAL_DIRECTORY)


def local_api_keys(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The channel keys the local gateway's usage plan accepts (key → key id): LOCAL_API_KEYS, a comma
    list, from the local stack's environment only; `local-demo-key` when it is not set. Functions never
    see this list: they learn the key id from the request context, as behind API Gateway."""
    env = os.environ if env is None else env
    keys = [k.strip() for k in env.get("LOCAL_API_KEYS", DEMO_API_KEY).split(",") if k.strip()]
    if not keys:
        raise ValueError("LOCAL_API_KEYS names no key")
    return {key: f"local-key-{i + 1}" for i, key in enumerate(keys)}


def function_environment(province: str, resources: Mapping[str, str]) -> dict[str, str]:
    """The environment each function gets, as Lambda would give it: names and ARNs, never a secret."""
    from functions.core.settings import env_name

    return {
        "TABLE_PREFIX": TABLE_PREFIX,
        "PROVINCE_CONFIG": PROVINCES[province].to_json(),
        **{env_name(name, "SECRET_ARN"): resources[f"secret:{name}"] for name in topology.SECRETS},
        "POWERTOOLS_SERVICE_NAME": "haochaping",
        "POWERTOOLS_METRICS_NAMESPACE": "Haochaping",
        # Texts go to the local outbox (GET /local/sms/outbox), the local stack's phone network.
        "SMS_PROVIDER": "local",
    }


def local_export_targets(province: str, url: str) -> tuple[Any, ...]:
    """The province's export targets as deployed, sending to the local stand-in receivers
    (`/local/receivers/<name>/records`), with local waits: a record goes up two seconds after its
    rating, an unanswered one is retried after seconds, and a receiver that says nothing for two
    seconds has timed out."""
    from dataclasses import replace

    deployment = DEPLOYMENTS.get(province)
    return tuple(
        replace(
            target.at(
                f"{url}/local/receivers/{target.name}/records",
                f"{url}/local/receivers/{target.name}/statistics",
            ),
            skew_margin_seconds=2,
            backoff_base_seconds=2,
            backoff_cap_seconds=30,
            timeout_seconds=2.0,
        )
        for target in (deployment.export_targets if deployment else ())
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalStack:
    host: str
    api: ServerHandle
    moto: Any
    moto_port: int
    resources: dict[str, str]
    api_keys: dict[str, str] = field(default_factory=dict, repr=False)
    pollers: list[Any] = field(default_factory=list)
    housekeeping: threading.Event = field(default_factory=threading.Event)
    previous_environment: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.api.port}"

    def stop(self) -> None:
        self.housekeeping.set()
        for poller in self.pollers:
            poller.stop()
        self.api.shutdown()
        # moto's stores belong to the process, not its server: empty them so that nothing outlives
        # the stack (a test may start another in the same process).
        _moto_api(f"http://{self.host}:{self.moto_port}", "reset")
        self.moto.stop()
        faults.configure(None)
        # Leave the process as it was: a test may start a stack and go on with other work.
        os.environ.clear()
        os.environ.update(self.previous_environment)
        _forget_functions_state()


def _forget_functions_state() -> None:
    from functions.core.runtime import reset_all

    reset_all()


def start(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    province: str = "guizhou",
    load_demo: bool = True,
    event_sources: Iterable[topology.EventSource] | None = None,
    extra_handlers: Mapping[str, Callable[[dict, Any], Any]] | None = None,
) -> LocalStack:
    """Start everything and answer once the API is up. `extra_handlers` maps a handler reference used
    in `event_sources` to a callable (tests use it to watch what a mapping delivers)."""
    from moto.server import ThreadedMotoServer

    emulator.install()
    previous_environment = dict(os.environ)
    moto_port = free_port(host)
    moto = ThreadedMotoServer(ip_address=host, port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{host}:{moto_port}"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "MOTO_PORT": str(moto_port),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    _configure_moto(endpoint)
    # LOCAL_FAULTS: faults injected by the emulation (infra/local/faults.py); none when unset.
    faults.configure(previous_environment.get("LOCAL_FAULTS"))
    resources = _create_resources()
    os.environ.update(function_environment(province, resources))
    # Functions find their resources by name, as the CDK stack will tell them: DIRECTORY_JOBS_QUEUE_URL,
    # TICKET_EVENTS_TOPIC_ARN, EVIDENCE_BUCKET, TICKET_STATE_MACHINE_ARN, ...
    os.environ.update(resource_environment(resources))

    # Functions build their clients and settings from the environment on first use, as in Lambda.
    _forget_functions_state()
    apps: dict[str, Any] = {
        function.name: topology.load(function.app) for function in topology.HTTP_FUNCTIONS
    }
    sources = list(topology.EVENT_SOURCES if event_sources is None else event_sources)
    # GET /local/schedules, POST /local/schedules/{name}: the schedules among the event sources.
    apps["local-schedules"] = schedules_app(sources, extra_handlers)
    if load_demo:
        _load_demo(province)
    api_keys = local_api_keys(previous_environment)
    identity = local_identity()
    gateways: list[LocalApiGateway] = []
    channel_key = next(iter(api_keys))

    def ask(path: str) -> int:
        return gateways[0].handle("GET", path, {"x-api-key": channel_key}, b"")[0]

    oidc = for_stack(
        identity,
        ask,
        demo_directory_csv(province) if load_demo else "kind,code,name,parent\n",
        token_seconds=float(previous_environment.get("LOCAL_TOKEN_SECONDS", "3600")),
    )
    gateway = LocalApiGateway(
        apps,
        api_keys=api_keys,
        documents={JWKS_PATH: json.dumps(identity.jwks).encode()},
        services={OIDC_PREFIX: oidc.handle},
    )
    gateways.append(gateway)
    _wake_schedules_on_requests(gateway)
    api = serve(gateway, host, port)
    # The authorizer reads where the key set is on its first request, once the port is known; the
    # console where people sign in.
    os.environ.update(identity.environment(api.url))
    os.environ.update(console_environment(oidc, api.url, endpoint))
    # The province's export targets, pointed at the local receivers once the port is known.
    os.environ["EXPORT_TARGETS"] = targets_to_json(local_export_targets(province, api.url))
    stack = LocalStack(
        api_keys=api_keys,
        host=host,
        api=api,
        moto=moto,
        moto_port=moto_port,
        resources=resources,
        previous_environment=previous_environment,
    )
    stack.pollers = _start_pollers(resources, sources, extra_handlers or {})
    threading.Thread(
        target=_housekeeping, args=(stack.housekeeping,), name="moto-housekeeping", daemon=True
    ).start()
    return stack


def _wake_schedules_on_requests(gateway: LocalApiGateway) -> None:
    """Every request is activity: schedules that slowed down while the stack idled run again at once
    (a request may have set what they look at, e.g. the SMS clock of PUT /local/sms/clock)."""
    handle = gateway.handle

    def handle_and_wake(*args: Any, **kwargs: Any) -> Any:
        try:
            return handle(*args, **kwargs)
        finally:
            method = str(args[0] if args else kwargs.get("method", ""))
            path = str(args[1] if len(args) > 1 else kwargs.get("raw_path", ""))
            if not _stack_to_itself(method, path):
                emulator.ACTIVITY.notify()

    gateway.handle = handle_and_wake  # type: ignore[method-assign]


def _stack_to_itself(method: str, path: str) -> bool:
    """The export's sender and reconciliation calling the local receivers: the stack's own traffic,
    which must not wake the schedules that make it (each run would wake the next at once)."""
    if not path.startswith("/local/receivers/"):
        return False
    return (method == "POST" and path.endswith("/records")) or path.split("?")[0].endswith("/statistics")


def _housekeeping(stopped: threading.Event, every: float = 30.0) -> None:
    """moto keeps every model object it creates for its dashboard; a long session would only grow."""
    while not stopped.wait(every):
        emulator.forget_tracked_models()


def _configure_moto(endpoint: str) -> None:
    _moto_api(endpoint, "config", {"stepfunctions": {"execute_state_machine": True}})


def _moto_api(endpoint: str, action: str, body: dict[str, Any] | None = None) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{action}",
        data=json.dumps(body or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def _create_resources() -> dict[str, str]:
    """Tables from the shared specs, and the queues, topics and bucket; answers name → ARN/URL."""
    import boto3

    from functions.core.storage.tables import TABLES

    dynamodb = boto3.client("dynamodb")
    resources: dict[str, str] = {}
    for spec in TABLES:
        name = spec.physical_name(TABLE_PREFIX)
        description = dynamodb.create_table(**spec.create_table_request(name))["TableDescription"]
        resources[f"table:{spec.logical_name}"] = name
        if "LatestStreamArn" in description:
            resources[f"stream:{spec.logical_name}"] = description["LatestStreamArn"]
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    sqs = boto3.client("sqs")
    for queue in topology.QUEUES:
        attributes = {}
        if queue in topology.DEAD_LETTERS:
            dead_letter, receives = topology.DEAD_LETTERS[queue]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": resources[f"queue-arn:{dead_letter}"], "maxReceiveCount": receives}
            )
            # Locally a failed text comes back after seconds, not Lambda's default 30.
            attributes["VisibilityTimeout"] = "2"
        url = sqs.create_queue(QueueName=f"{TABLE_PREFIX}-{queue}", Attributes=attributes)["QueueUrl"]
        resources[f"queue:{queue}"] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        resources[f"queue-arn:{queue}"] = arn
    sns = boto3.client("sns")
    for topic in topology.TOPICS:
        resources[f"topic:{topic}"] = sns.create_topic(Name=f"{TABLE_PREFIX}-{topic}")["TopicArn"]
    for subscription in topology.SUBSCRIPTIONS:
        sns.subscribe(
            TopicArn=resources[f"topic:{subscription.topic}"],
            Protocol="sqs",
            Endpoint=resources[f"queue-arn:{subscription.queue}"],
            Attributes={"RawMessageDelivery": "true"},
        )
    secretsmanager = boto3.client("secretsmanager")
    for name in topology.SECRETS:
        # A new key per run, as the deployment generates one: what it protects lives only as long as
        # the process.
        value = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        created = secretsmanager.create_secret(Name=f"{TABLE_PREFIX}/{name}", SecretString=value)
        resources[f"secret:{name}"] = created["ARN"]
    s3 = boto3.client("s3")
    for bucket in topology.BUCKETS:
        name = f"{TABLE_PREFIX}-{bucket}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        # Versioned, as deployed (infra/constructs/messaging.py): a cited evidence file is one version.
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        resources[f"bucket:{bucket}"] = name
    _create_state_machines(resources)
    return resources


def _create_state_machines(resources: dict[str, str]) -> None:
    """Each state machine of the topology from its ASL file, its placeholders substituted by the same
    function the CDK app uses; moto's server executes them (MOTO_PORT tells it where its services are)."""
    import boto3

    from infra.local.gateway import LOCAL_ACCOUNT_ID, partition_for
    from infra.statemachines import definition

    partition = partition_for(REGION)
    resources["partition"] = partition
    stepfunctions = boto3.client("stepfunctions")
    for machine in topology.STATE_MACHINES:
        values = {placeholder: resources[ref] for placeholder, ref in machine.placeholders}
        arn = stepfunctions.create_state_machine(
            name=f"{TABLE_PREFIX}-{machine.name}",
            definition=definition(machine.name, values),
            roleArn=f"arn:{partition}:iam::{LOCAL_ACCOUNT_ID}:role/{TABLE_PREFIX}-{machine.name}",
            type="STANDARD",
        )["stateMachineArn"]
        resources[f"statemachine:{machine.name}"] = arn


def resource_environment(resources: Mapping[str, str]) -> dict[str, str]:
    """What functions learn about the stack's resources from their environment, as the CDK app sets it."""
    env = {}
    for key, value in resources.items():
        kind, _, name = key.partition(":")
        if kind in ("topic", "bucket", "queue"):
            env[topology.resource_env_name(kind, name)] = value
    for machine in topology.STATE_MACHINES:
        env[machine.env] = resources[f"statemachine:{machine.name}"]
    return env


def _load_demo(province: str) -> None:
    from functions.rate import wiring

    result = wiring.runtime().directory.import_csv(demo_directory_csv(province))
    logger.info("demo directory loaded: %s", result._asdict())


def _start_pollers(
    resources: Mapping[str, str],
    event_sources: Iterable[topology.EventSource],
    extra_handlers: Mapping[str, Callable[[dict, Any], Any]],
) -> list[Any]:
    import boto3

    pollers: list[Any] = []
    sqs = boto3.client("sqs")
    failure_queue = resources[f"queue:{topology.STREAM_FAILURE_QUEUE}"]

    def send_to_failure_queue(invocation_record: dict) -> None:
        sqs.send_message(QueueUrl=failure_queue, MessageBody=json.dumps(invocation_record, default=str))

    for source in event_sources:
        handler = extra_handlers.get(source.handler) or topology.load(source.handler)
        if source.kind == "dynamodb-stream":
            poller: Any = DynamoDBStreamPoller(
                boto3.client("dynamodbstreams"),
                resources[f"stream:{source.source}"],
                handler,
                function_name=source.function,
                batch_size=source.batch_size,
                max_retry_attempts=source.max_retry_attempts,
                on_failure=send_to_failure_queue,
                tumbling_window_seconds=source.tumbling_window_seconds,
            )
        elif source.kind == "sqs":
            poller = SQSPoller(
                sqs,
                resources[f"queue:{source.source}"],
                resources[f"queue-arn:{source.source}"],
                handler,
                function_name=source.function,
                batch_size=min(source.batch_size, 10),
            )
        elif source.kind == "schedule":
            poller = SchedulePoller(
                handler,
                function_name=source.function,
                every=float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "1")),
            )
        elif source.kind == "sns":
            # Deployed, SNS pushes to these (two-way SMS replies); locally their own route stands in for
            # the outside world that publishes (POST /local/sms/inbound is the local phone network).
            continue
        else:
            raise ValueError(f"unknown event source kind {source.kind!r}")
        poller.start()
        pollers.append(poller)
    return pollers
