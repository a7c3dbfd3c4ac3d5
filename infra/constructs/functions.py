"""Every Lambda function of topology.HTTP_FUNCTIONS and EVENT_SOURCES, plus the API's authorizer.

Each function gets: arm64, Python 3.12, the one code asset (infra/bundle.py), its own role granted only
what its `needs` name (plus writing its own log group), its own log group with the province's retention,
and its environment naming each resource it may touch. Event sources are wired with partial batch
responses; stream mappings also bisect failing batches, bound their retries and record age, and send
what still fails to the stream-failure queue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as _fields

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import bundle, topology
from infra.constructs.grants import grant, grant_secret, via_service
from infra.naming import construct_id, env_name, handler_path

RUNTIME = lambda_.Runtime.PYTHON_3_12


@dataclass(frozen=True)
class SmsRoute:
    """How texts leave: SNS SMS where the partition has it, else the province's HTTP gateway."""

    sns_sms: bool
    provider_url: str | None
    # The gateway key's secret ARN (not the key): every SMS function's settings name it, only the
    # sender is granted to read it (topology.SMS_PROVIDER_KEY).
    provider_key_secret_arn: str | None = None

    def environment(self) -> dict[str, str]:
        if self.sns_sms:
            return {"SMS_PROVIDER": "sns"}
        return {
            "SMS_PROVIDER": "http",
            "SMS_PROVIDER_URL": self.provider_url or "",
            "SMS_PROVIDER_KEY_SECRET_ARN": self.provider_key_secret_arn or "",
        }


@dataclass(frozen=True)
class Deployed:
    """One Lambda function as the topology sees it."""

    name: str
    handler: str
    needs: topology.Needs
    sizing: topology.Sizing
    sources: tuple[topology.EventSource, ...] = ()


def deployed_functions() -> list[Deployed]:
    """HTTP functions, then one function per (function, handler) of the event sources: a handler fed by
    several sources is one function with several mappings."""
    found = [Deployed(f.name, f.app, f.needs, f.sizing) for f in topology.HTTP_FUNCTIONS]
    taken = {f.name for f in found}
    groups: dict[tuple[str, str], list[topology.EventSource]] = {}
    for source in topology.EVENT_SOURCES:
        groups.setdefault((source.function, source.handler), []).append(source)
    for (function, handler), members in groups.items():
        name = function if function not in taken else f"{function}-events"
        while name in taken:
            name += "-x"
        taken.add(name)
        needs = _union([m.needs for m in members])
        sizing = max((m.sizing for m in members), key=lambda s: s.timeout_seconds)
        found.append(Deployed(name, handler, needs, sizing, tuple(members)))
    return found


def fields_of(cls: type) -> list[str]:
    return [f.name for f in _fields(cls)]


def _union(all_needs: list[topology.Needs]) -> topology.Needs:
    """What several sources of one function need together, each name once."""
    merged: dict[str, object] = {}
    for field in fields_of(topology.Needs):
        values = [getattr(needs, field) for needs in all_needs]
        if all(isinstance(v, bool) for v in values):
            merged[field] = any(values)
        else:
            merged[field] = tuple(dict.fromkeys(name for names in values for name in names))
    return topology.Needs(**merged)  # type: ignore[arg-type]


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        prefix: str,
        code: lambda_.Code,
        environment: Mapping[str, str],
        tables: Mapping[str, dynamodb.TableV2],
        topics: Mapping[str, sns.ITopic],
        queues: Mapping[str, sqs.IQueue],
        secrets: Mapping[str, secretsmanager.ISecret],
        machines: Mapping[str, sfn.IStateMachine],
        buckets: Mapping[str, object],
        failure_queue: sqs.IQueue,
        retention: logs.RetentionDays,
        tracing: bool,
        sms: SmsRoute,
    ) -> None:
        super().__init__(scope, cid)
        self._sms = sms
        self._prefix = prefix
        self._code = code
        self._retention = retention
        self._tracing = tracing
        self._base_environment = dict(environment)
        self.functions: dict[str, lambda_.Function] = {}
        self.stream_consumers: list[str] = []
        self.resources = {
            "tables": tables,
            "topics": topics,
            "queues": queues,
            "secrets": secrets,
            "machines": machines,
            "buckets": buckets,
        }
        for function in deployed_functions():
            fn = self.function(function.name, function.handler, function.needs, function.sizing)
            for index, source in enumerate(function.sources):
                self._wire(fn, source, index, tables, queues, failure_queue)
                if source.kind == "dynamodb-stream":
                    self.stream_consumers.append(function.name)

    def function(
        self,
        name: str,
        handler: str,
        needs: topology.Needs,
        sizing: topology.Sizing,
        extra_environment: Mapping[str, str] | None = None,
    ) -> lambda_.Function:
        role = iam.Role(
            self,
            construct_id(name, "Role"),
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self._prefix}: the {name} function",
        )
        log_group = logs.LogGroup(
            self,
            construct_id(name, "Logs"),
            log_group_name=f"/aws/lambda/{self._prefix}-{name}",
            retention=self._retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        fn = lambda_.Function(
            self,
            construct_id(name, "Function"),
            function_name=f"{self._prefix}-{name}",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler_path(handler),
            code=self._code,
            memory_size=sizing.memory_mb,
            timeout=Duration.seconds(sizing.timeout_seconds),
            reserved_concurrent_executions=sizing.reserved_concurrency,
            role=role,
            log_group=log_group,
            # JSON lines at INFO: the standard library's loggers (ticket events, directory jobs) reach the
            # log group too, and the metric filters (monitoring) read fields, not text positions.
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE if self._tracing else lambda_.Tracing.DISABLED,
            environment={
                **self._base_environment,
                **self._environment(needs),
                **(extra_environment or {}),
            },
        )
        log_group.grant_write(role)
        res = self.resources
        grant(role, needs, tables=res["tables"], topics=res["topics"], queues=res["queues"])
        for secret in needs.secrets:
            grant_secret(role, res["secrets"][secret])
        for machine in needs.starts:
            state_machine = res["machines"][machine]
            state_machine.grant_start_execution(role)
            state_machine.grant_task_response(role)
            # Whether a ticket's execution exists (StartExecution is idempotent by name): that machine's
            # executions only, named from the machine's physical name so no token hides in the ARN.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["states:DescribeExecution"],
                    resources=[execution_arns(self, self._prefix, machine)],
                )
            )
        if needs.texts_phones and self._sms.sns_sms:
            # SNS SMS publishes to a phone number, which has no ARN: the action alone is grantable ...
            role.add_to_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]))
            # ... but never to a topic of this stack (all named `<prefix>-...`): above all not to
            # sms-inbound, whose messages become ratings, nor to ticket-events or the alarms.
            role.add_to_policy(
                iam.PolicyStatement(
                    effect=iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[stack_topics(self, self._prefix)],
                )
            )
        for bucket in needs.buckets:
            uploads = res["buckets"][bucket]
            # Pre-signed PUTs of evidence: the one object action to write. A cited evidence file is
            # checked (its versions, type, size, first bytes) and served as a pre-signed download of
            # that version: read by exact action, never list objects or delete.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    resources=[uploads.arn_for_objects("*")],  # type: ignore[attr-defined]
                )
            )
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucketVersions"],
                    resources=[uploads.bucket_arn],  # type: ignore[attr-defined]
                )
            )
            key = uploads.encryption_key  # type: ignore[attr-defined]
            if key is not None:
                # the bucket key's data keys, through S3 alone
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=[key.key_arn],
                        conditions={"StringEquals": {"kms:ViaService": via_service("s3")}},
                    )
                )
        self.functions[name] = fn
        return fn

    def _environment(self, needs: topology.Needs) -> dict[str, str]:
        res = self.resources
        env: dict[str, str] = {}
        for name in topology.table_actions(needs):
            env[env_name(name, "TABLE")] = res["tables"][name].table_name
        for name in needs.publishes:
            env[env_name(name, "TOPIC_ARN")] = res["topics"][name].topic_arn
        for name in needs.sends:
            env[env_name(name, "QUEUE_URL")] = res["queues"][name].queue_url
        for name in needs.starts:
            env[_machine(name).env] = res["machines"][name].state_machine_arn
        for name in needs.secrets:
            env[env_name(name, "SECRET_ARN")] = res["secrets"][name].secret_arn
        for name in needs.buckets:
            env[env_name(name, "BUCKET")] = res["buckets"][name].bucket_name  # type: ignore[attr-defined]
        return env

    def _wire(
        self,
        fn: lambda_.Function,
        source: topology.EventSource,
        index: int,
        tables: Mapping[str, dynamodb.TableV2],
        queues: Mapping[str, sqs.IQueue],
        failure_queue: sqs.IQueue,
    ) -> None:
        if source.kind == "dynamodb-stream":
            table = tables[source.source]
            fn.add_event_source_mapping(
                f"Stream{index}",
                event_source_arn=table.table_stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=source.batch_size,
                bisect_batch_on_error=True,
                retry_attempts=source.max_retry_attempts,
                max_record_age=Duration.seconds(source.max_record_age_seconds),
                report_batch_item_failures=True,
                parallelization_factor=source.parallelization_factor,
                tumbling_window=Duration.seconds(source.tumbling_window_seconds)
                if source.tumbling_window_seconds
                else None,
                max_batching_window=Duration.seconds(source.batching_window_seconds)
                if source.batching_window_seconds
                else None,
                filters=[{"pattern": json.dumps(f, ensure_ascii=False)} for f in source.filters] or None,
                on_failure=sources.SqsDlq(failure_queue),
            )
            table.grant_stream_read(fn)
        elif source.kind == "schedule":
            events.Rule(
                self,
                f"{fn.node.id}Schedule{index}",
                schedule=events.Schedule.expression(source.source),
                targets=[targets.LambdaFunction(fn, retry_attempts=2)],
            )
        elif source.kind == "sqs":
            fn.add_event_source(
                sources.SqsEventSource(
                    queues[source.source], batch_size=source.batch_size, report_batch_item_failures=True
                )
            )
        elif source.kind == "sns":
            if source.dead_letter_queue is None:
                raise ValueError(f"the sns source of {source.function!r} names no dead_letter_queue")
            dead_letters = queues[source.dead_letter_queue]
            topic = self.resources["topics"][source.source]
            # SNS invokes the function (permission scoped to this topic); what it cannot deliver goes to
            # the dead-letter queue (CDK adds the queue policy for this topic alone) ...
            topic.add_subscription(subscriptions.LambdaSubscription(fn, dead_letter_queue=dead_letters))
            # ... and so does what the function still fails after Lambda's asynchronous retries.
            fn.configure_async_invoke(
                retry_attempts=2,
                max_event_age=Duration.hours(6),
                on_failure=destinations.SqsDestination(dead_letters),
            )
        else:
            raise ValueError(f"unknown event source kind {source.kind!r}")


def _machine(name: str) -> topology.StateMachine:
    return next(m for m in topology.STATE_MACHINES if m.name == name)


def stack_topics(scope: Construct, prefix: str) -> str:
    """Every SNS topic of the stack: their names all start with the stack's prefix."""
    return Stack.of(scope).format_arn(service="sns", resource=f"{prefix}-*")


def execution_arns(scope: Construct, prefix: str, machine: str) -> str:
    return Stack.of(scope).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{prefix}-{machine}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def province_environment(stack: Stack, *, prefix: str, province_json: str, stage: str) -> dict[str, str]:
    """What every function reads (functions/core/settings.py)."""
    json.loads(province_json)  # fail at synth, not at the first request
    # The configuration itself is a file of the code asset (infra/bundle.py: the environment's 4 KB
    # would not hold it); `province_json` is checked here so that a bad one fails the synth.
    return {
        "PROVINCE_CONFIG_FILE": f"{bundle.LAMBDA_TASK_ROOT}/{bundle.PROVINCE_FILE}",
        "TABLE_PREFIX": prefix,
        "STAGE": stage,
        "POWERTOOLS_METRICS_NAMESPACE": "Haochaping",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
