"""One stack per province, built from named constructs: data, messaging, workflow, functions, api,
monitoring. Everything that runs comes from infra/topology.py and the table specs; everything that
differs between provinces from the province's ProvinceConfig and DeployConfig."""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack, Tags
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from functions.core.domain.province import ProvinceConfig
from functions.core.http.authorizer import AUTHORIZERS
from functions.export.targets import targets_to_json
from infra import bundle, topology
from infra.constructs.api import Api
from infra.constructs.data import DataTables
from infra.constructs.functions import Functions, SmsRoute, deployed_functions, province_environment
from infra.constructs.grants import grant_secret, harden_key_policy
from infra.constructs.messaging import Messaging
from infra.constructs.monitoring import Monitoring
from infra.constructs.workflow import Workflow
from infra.nag import suppress
from infra.provinces.deploy import DeployConfig

_RETENTION = {
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def evidence_upload_origins(bucket_name: str, region: str, dns_suffix: str) -> str:
    """The origins of the evidence bucket's pre-signed URLs (virtual-hosted style, regional and
    global), which the console's page may send files to."""
    return ",".join(
        [f"https://{bucket_name}.s3.{region}.{dns_suffix}", f"https://{bucket_name}.s3.{dns_suffix}"]
    )


def retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"log retention must be one of {sorted(_RETENTION)} days") from None


class ProvinceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        province: ProvinceConfig,
        deploy: DeployConfig,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=deploy.account, region=deploy.region),
            description=f"haochaping: 政务服务好差评 for {province.name} ({province.code})",
            **kwargs,
        )
        self.deploy = deploy
        prefix = construct_id
        keep = retention(deploy.log_retention_days)
        tracing = deploy.facts.xray_lambda
        Tags.of(self).add("haochaping:province", province.code)

        self.data = DataTables(self, "Data", table_prefix=prefix)
        self.messaging = Messaging(
            self, "Messaging", prefix=prefix, key=self.data.key, sns_sms=deploy.sns_sms
        )
        self.workflow = Workflow(
            self,
            "Workflow",
            prefix=prefix,
            key=self.data.key,
            tables=self.data.tables,
            topics=self.messaging.topics,
            queues=self.messaging.queues,
            retention=keep,
            tracing=tracing,
        )
        code = code or lambda_.Code.from_asset(
            str(bundle.build_asset(extra_files={bundle.PROVINCE_FILE: province.to_json()}))
        )
        sms_route = SmsRoute(
            sns_sms=deploy.sns_sms,
            provider_url=deploy.sms_provider_url,
            provider_key_secret_arn=self.messaging.secrets[topology.SMS_PROVIDER_KEY].secret_arn,
        )
        self.functions = Functions(
            self,
            "Functions",
            prefix=prefix,
            code=code,
            # Where texts leave is province-wide configuration, like the province itself.
            environment={
                **province_environment(
                    self, prefix=prefix, province_json=province.to_json(), stage=deploy.stage_name
                ),
                **sms_route.environment(),
                # Where the console signs people in and sends evidence files (its page's connect-src).
                **deploy.identity.console_environment(),
                "CONSOLE_UPLOAD_ORIGINS": evidence_upload_origins(
                    self.messaging.buckets["evidence"].bucket_name, deploy.region, deploy.facts.dns_suffix
                ),
            },
            tables=self.data.tables,
            topics=self.messaging.topics,
            queues=self.messaging.queues,
            secrets=self.messaging.secrets,
            machines=self.workflow.machines,
            buckets=self.messaging.buckets,
            failure_queue=self.messaging.queues[topology.STREAM_FAILURE_QUEUE],
            retention=keep,
            tracing=tracing,
            sms=sms_route,
        )
        # One function per distinct authorizer handler (functions/core/http/authorizer.py AUTHORIZERS).
        authorizers: dict[str, lambda_.Function] = {}
        for spec in AUTHORIZERS.values():
            if spec.function in authorizers:
                continue
            people = spec.function == "authorizer"  # only the person side checks tokens
            authorizers[spec.function] = self.functions.function(
                spec.function,
                spec.handler,
                topology.Needs(),
                topology.Sizing(memory_mb=512, timeout_seconds=10),
                extra_environment={
                    "JWKS_URL": deploy.identity.jwks_url,
                    "TOKEN_ISSUER": deploy.identity.issuer,
                    "TOKEN_AUDIENCE": deploy.identity.audience,
                }
                if people
                else None,
            )
        authorizer = authorizers["authorizer"]
        http = {f.name: self.functions.functions[f.name] for f in topology.HTTP_FUNCTIONS}
        self.api = Api(
            self,
            "Api",
            prefix=prefix,
            deploy=deploy,
            functions=http,
            authorizer_functions=authorizers,
            retention=keep,
        )
        # The authorizer answers people's usageIdentifierKey with the console plan's key, from this secret.
        grant_secret(authorizer, self.api.console_key_secret)
        authorizer.add_environment("CONSOLE_KEY_SECRET_ARN", self.api.console_key_secret.secret_arn)
        key_kinds = self.api.key_kinds_json()
        for fn in http.values():
            fn.add_environment("CHANNEL_KEY_KINDS", key_kinds)
        # Where ratings go upward, and how each target codes them (no secret in it): the export's
        # functions only, as Lambda's environment holds 4 KB in all.
        for deployed in deployed_functions():
            if topology.EXPORT_KEY in deployed.needs.secrets:
                self.functions.functions[deployed.name].add_environment(
                    "EXPORT_TARGETS", targets_to_json(deploy.export_targets)
                )

        timeouts = {f.name: f.sizing.timeout_seconds for f in deployed_functions()}
        for name in authorizers:
            timeouts[name] = 10
        rate = self.functions.functions.get("rate")
        events_log = self.functions.functions.get("ticket-events-log")
        export_daily = self.functions.functions.get("export-events")
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            prefix=prefix,
            deploy=deploy,
            key=self.data.key,
            api=self.api.api,
            functions=self.functions.functions,
            stream_consumers=self.functions.stream_consumers,
            timeouts=timeouts,
            # Failure queues hold what could not be processed: any message there is an alarm. Work queues
            # alarm on their dead letters and on messages waiting too long.
            failure_queues=self.messaging.failure_queues,
            work_queues=self.messaging.work_queues,
            machines=self.workflow.machines,
            rating_log_group=rate.log_group if rate is not None else None,
            ticket_events_log_group=events_log.log_group if events_log is not None else None,
            machine_log_groups=self.workflow.log_groups,
            export_log_group=export_daily.log_group if export_daily is not None else None,
        )
        for key in self.node.find_all():
            if isinstance(key, kms.Key):
                harden_key_policy(key, prefix)
        suppress(self)
