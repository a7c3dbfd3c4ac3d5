"""The REST API, generated from the Chalice route tables (topology.routes()): every route its own
resource and one method, with the route's Access, and nothing else.

Access → API Gateway:
- PUBLIC: no credentials; GETs cached at the stage.
The RestApi's api key source is AUTHORIZER: API Gateway takes the key to check against the usage plans
from the Lambda REQUEST authorizer's `usageIdentifierKey` (functions.core.http.authorizer AUTHORIZERS:
one function behind three API Gateway authorizers; a cached one decides on its cache key alone), because that is the only way one method accepts "a
channel key OR a person's token" as API.md says CHANNEL_OR_PERSON routes do.
- CHANNEL: API key required + the "ChannelAuthorizer", uncached (a cache keyed on x-api-key let a token
  sent beside the key decide for that key): the authorizer hands the key back as `usageIdentifierKey`
  and API Gateway checks it against the channel kind's usage plan; the function learns the kind from
  requestContext.identity.apiKeyId (CHANNEL_KEY_KINDS maps key ids to kinds: ids, not keys).
- PERSON: the "PersonAuthorizer" (identity source: Authorization, cached 300 s), which checks the JWT
  against the province IdP's JWKS and passes {role, scope, sub} in requestContext.authorizer. No key.
- CHANNEL_OR_PERSON: API key required + the "ChannelOrPersonAuthorizer", uncached (TTL 0, no identity
  sources: either header may be absent, and API Gateway refuses a cached authorizer whose identity
  source is missing). A token → the person's context and, as `usageIdentifierKey`, the key of the
  console plan's "people" key, whose value the stack generates in a Secrets Manager secret the
  authorizer reads (once per process); a key alone → that key, checked by API Gateway as for CHANNEL.
  Cost: one authorizer invocation per request on these routes (directory reads: a few per console
  page, far below the ratings' volume).
- LOCAL: never deployed.
What API Gateway answers itself (gateway responses) carries the contract's error shape and the one
header policy of functions.core.http.headers.
Request bodies are bounded by the web ACL (16 KB, the JSON limit; bulk uploads up to what Lambda takes).
Access logs hold ids, route, status and timings: no address, no user agent, no body."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from functions.core.http.api import MAX_JSON_BODY
from functions.core.http.authorizer import AUTHORIZERS
from functions.core.http.gateway_answers import DEFAULT_ANSWERS
from functions.core.http.headers import EVERY_ANSWER
from functions.index.report import XLSX
from infra import topology
from infra.provinces.deploy import DeployConfig

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "time": "$context.requestTimeEpoch",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "status": "$context.status",
    "length": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "apiKeyId": "$context.identity.apiKeyId",
    "authorizerError": "$context.authorizer.error",
    "wafStatus": "$context.waf.status",
}

# Routes that take a bulk upload larger than a JSON body (the function checks its own limit; Lambda's
# request payload stops at 6 MB).
BULK_UPLOAD_PATHS = ("/v1/directory/import",)
# The usage plan people's requests count against on key-requiring routes.
CONSOLE_KIND = "console"
# The name of people's key in the console plan. Its value comes from the ConsoleKey secret when the key
# is created: API Gateway key values never change, and CloudFormation resolves the secret only when the
# resource changes. Rotating = put a new value in the secret, then rename this (e.g. "people-2027") and
# deploy: the key is replaced by one holding the new value (README).
PEOPLE_KEY_NAME = "people"


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        prefix: str,
        deploy: DeployConfig,
        functions: Mapping[str, lambda_.IFunction],
        authorizer_functions: Mapping[str, lambda_.IFunction],
        retention: logs.RetentionDays,
        routes: Sequence[topology.Route] | None = None,
    ) -> None:
        super().__init__(scope, cid)
        routes = list(topology.routes() if routes is None else routes)
        self.routes = routes
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"/aws/apigateway/{prefix}-access",
            retention=retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        cached = [
            r
            for r in routes
            if r.access == "public" and r.method == "GET" and r.path in topology.PUBLIC_CACHE
        ]
        self.cached = cached
        self.api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=prefix,
            description=f"{prefix}: 政务服务好差评 API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            api_key_source_type=apigateway.ApiKeySourceType.AUTHORIZER,
            # With its own domain the API answers there only: clients cannot keep using an endpoint
            # that, in China, is not served to the public.
            disable_execute_api_endpoint=deploy.domain is not None,
            # The month's report as a spreadsheet (GET /v1/reports/{region}?format=xlsx) leaves as bytes.
            binary_media_types=[XLSX],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigateway.StageOptions(
                stage_name=deploy.stage_name,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # full request logs would hold phones and names
                metrics_enabled=True,
                tracing_enabled=deploy.facts.xray_lambda,
                throttling_rate_limit=deploy.api_rate_per_second,
                throttling_burst_limit=deploy.api_burst,
                cache_cluster_enabled=bool(cached),
                cache_cluster_size="0.5" if cached else None,
                method_options={
                    f"{r.path}/{r.method}": apigateway.MethodDeploymentOptions(
                        caching_enabled=True,
                        cache_ttl=Duration.seconds(deploy.public_cache_seconds),
                        cache_data_encrypted=True,
                    )
                    for r in cached
                },
            ),
        )
        if deploy.domain is not None:
            # The API (and the public page it serves) under the province's own, filed domain; TLS 1.2 at
            # least, regional like the API. DNS stays with the province: CNAME it to the output.
            domain = self.api.add_domain_name(
                "Domain",
                domain_name=deploy.domain.name,
                certificate=acm.Certificate.from_certificate_arn(
                    self,
                    "Certificate",
                    Stack.of(self).format_arn(
                        service="acm", resource="certificate", resource_name=deploy.domain.certificate_id
                    ),
                ),
                endpoint_type=apigateway.EndpointType.REGIONAL,
                security_policy=apigateway.SecurityPolicy.TLS_1_2,
            )
            CfnOutput(
                self,
                "ApiDomainTarget",
                value=domain.domain_name_alias_domain_name,
                description=f"CNAME {deploy.domain.name} to this (ICP filing {deploy.domain.icp_filing})",
            )
        # Each authorizer's function and cache key from the one table (functions/core/http/authorizer.py):
        # a cached authorizer's handler decides on its identity source alone.
        by_construct: dict[str, apigateway.RequestAuthorizer] = {}
        for spec in AUTHORIZERS.values():
            if spec.construct not in by_construct:
                by_construct[spec.construct] = apigateway.RequestAuthorizer(
                    self,
                    spec.construct,
                    handler=authorizer_functions[spec.function],
                    identity_sources=[apigateway.IdentitySource.header(spec.identity_header)]
                    if spec.identity_header
                    else [],
                    results_cache_ttl=Duration.seconds(spec.cache_seconds),
                )
        self.authorizers: dict[str, apigateway.RequestAuthorizer] = {
            access: by_construct[spec.construct] for access, spec in AUTHORIZERS.items()
        }
        self.authorizer = self.authorizers["person"]
        self.channel_authorizer = self.authorizers["channel"]
        self.channel_or_person_authorizer = self.authorizers["channel_or_person"]
        # The console plan's key for people (the authorizer answers it as usageIdentifierKey): its value
        # is generated here, never written in a template, and read by the authorizer from the secret.
        # Its own KMS key: the authorizer may decrypt this secret and touch no data key.
        self.console_key_encryption = kms.Key(
            self,
            "ConsoleKeyEncryption",
            description=f"{prefix}: encrypts the console plan's API key for people",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.console_key_secret = secretsmanager.Secret(
            self,
            "ConsoleKey",
            encryption_key=self.console_key_encryption,
            description=f"{prefix}: the console usage plan's API key for people (API Gateway key value)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=40, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        # One invoke permission per function for this API (not one per method): a stack near
        # CloudFormation's 500 resources cannot spend one on every route.
        integrations = {
            name: apigateway.LambdaIntegration(fn, proxy=True, scope_permission_to_method=False)
            for name, fn in functions.items()
        }
        # Path parameters are checked before the function runs; bodies are the function's (one error shape).
        validator = self.api.add_request_validator(
            "ParameterValidator", validate_request_parameters=True, validate_request_body=False
        )
        self.methods: dict[tuple[str, str], apigateway.Method] = {}
        for route in routes:
            resource = self.api.root.resource_for_path(route.path)
            parameters = {f"method.request.path.{p}": True for p in _path_parameters(route.path)}
            integration = integrations[route.function]
            if route in cached:
                queries = topology.PUBLIC_CACHE[route.path]
                parameters.update({f"method.request.querystring.{q}": False for q in queries})
                # The cache key: path parameters and the listed query parameters.
                integration = apigateway.LambdaIntegration(
                    functions[route.function],
                    proxy=True,
                    scope_permission_to_method=False,
                    cache_key_parameters=sorted(parameters),
                )
            self.methods[(route.path, route.method)] = resource.add_method(
                route.method,
                integration,
                request_validator=validator,
                request_parameters=parameters,
                **self._access(route),
            )

        self._gateway_responses()

        if not any(plan.kind == CONSOLE_KIND for plan in deploy.channel_plans):
            raise ValueError(f"the province needs a {CONSOLE_KIND!r} channel plan (people's usage plan)")
        self.key_kinds: list[tuple[str, str]] = []
        self.usage_plans: dict[str, apigateway.UsagePlan] = {}
        for plan in deploy.channel_plans:
            usage_plan = self.api.add_usage_plan(
                f"{plan.kind}-plan",
                name=f"{prefix}-{plan.kind}",
                throttle=apigateway.ThrottleSettings(rate_limit=plan.rate_per_second, burst_limit=plan.burst),
                quota=apigateway.QuotaSettings(limit=plan.quota_per_day, period=apigateway.Period.DAY),
                api_stages=[apigateway.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
            )
            for key_name in plan.keys:
                key = apigateway.ApiKey(
                    self,
                    f"{plan.kind}-{key_name}-key",
                    api_key_name=f"{prefix}-{plan.kind}-{key_name}",
                    description=f"channel kind {plan.kind}",
                    enabled=True,
                )
                usage_plan.add_api_key(key)
                self.key_kinds.append((key.key_id, plan.kind))
            if plan.kind == CONSOLE_KIND:
                people = apigateway.ApiKey(
                    self,
                    f"{plan.kind}-{PEOPLE_KEY_NAME}-key",
                    api_key_name=f"{prefix}-{plan.kind}-{PEOPLE_KEY_NAME}",
                    description="people (bearer tokens) on channel-or-person routes; value in the secret",
                    enabled=True,
                    value=self.console_key_secret.secret_value.unsafe_unwrap(),
                )
                usage_plan.add_api_key(people)
                self.key_kinds.append((people.key_id, plan.kind))
            self.usage_plans[plan.kind] = usage_plan

        self.web_acl: wafv2.CfnWebACL | None = None
        if deploy.facts.waf_api_gateway:
            self.web_acl = self._web_acl(prefix, deploy)
            wafv2.CfnWebACLAssociation(
                self,
                "WebAclAssociation",
                resource_arn=self.api.deployment_stage.stage_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )

    def _gateway_responses(self) -> None:
        """What API Gateway answers itself (refused keys and tokens, throttling, unknown paths, its own
        faults): the contract's error shape, and the one header policy every answer carries
        (functions.core.http.headers), as the functions and the local gateway send them."""
        headers = {name: f"'{value}'" for name, value in EVERY_ANSWER.items()}
        headers["Content-Type"] = "'application/json'"
        # Only the two catch-all types: every type is a resource, and the stack is at CloudFormation's
        # 500. The local gateway's statuses per type (gateway_answers.GATEWAY_ANSWERS) are not deployed.
        for kind, (error, message) in DEFAULT_ANSWERS.items():
            self.api.add_gateway_response(
                f"Gateway{kind.title().replace('_', '')}",
                type=apigateway.ResponseType.of(kind),
                response_headers=headers,
                templates={"application/json": json.dumps({"error": error, "message": message})},
            )

    def key_kinds_json(self) -> str:
        """[[apiKeyId, kind], ...] resolved at deploy time, for the HTTP functions' environment."""
        return Stack.of(self).to_json_string([[key_id, kind] for key_id, kind in self.key_kinds])

    def _access(self, route: topology.Route) -> dict[str, object]:
        if route.access == "public":
            return {"authorization_type": apigateway.AuthorizationType.NONE}
        if route.access in ("channel", "channel_or_person", "channel_or_device"):
            return {
                "authorization_type": apigateway.AuthorizationType.CUSTOM,
                "authorizer": self.authorizers[route.access],
                "api_key_required": True,
            }
        if route.access in ("person", "device"):
            return {
                "authorization_type": apigateway.AuthorizationType.CUSTOM,
                "authorizer": self.authorizers[route.access],
            }
        raise ValueError(f"route {route.method} {route.path} has access {route.access!r}, not deployable")

    def _web_acl(self, prefix: str, deploy: DeployConfig) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=False
            )

        block = wafv2.CfnWebACL.RuleActionProperty(block={})
        body_too_large = wafv2.CfnWebACL.StatementProperty(
            size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                comparison_operator="GT",
                size=MAX_JSON_BODY,
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                    body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                ),
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        bulk_path = [
            wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="ENDS_WITH",
                    search_string=path,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            )
            for path in BULK_UPLOAD_PATHS
        ]
        not_bulk = wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(
                statement=bulk_path[0]
                if len(bulk_path) == 1
                else wafv2.CfnWebACL.StatementProperty(
                    or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=bulk_path)
                )
            )
        )
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="rate-per-address",
                priority=0,
                action=block,
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=deploy.waf_requests_per_5_minutes_per_ip,
                        aggregate_key_type="IP",
                        evaluation_window_sec=300,
                    )
                ),
                visibility_config=visibility("RatePerAddress"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="body-size",
                priority=1,
                action=block,
                statement=wafv2.CfnWebACL.StatementProperty(
                    and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[body_too_large, not_bulk])
                ),
                visibility_config=visibility("BodySize"),
            ),
            self._managed("AWSManagedRulesKnownBadInputsRuleSet", 2, visibility),
            # The common rule set's own body-size rule stops at 8 KB: ours above is the limit.
            self._managed(
                "AWSManagedRulesCommonRuleSet", 3, visibility, count_instead=("SizeRestrictions_BODY",)
            ),
            self._qr_ratings_rule(4, deploy, block, visibility),
        ]
        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{prefix}-api",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("Api"),
            rules=rules,
        )

    @staticmethod
    def _qr_ratings_rule(
        priority: int, deploy: DeployConfig, block: object, visibility: Any
    ) -> wafv2.CfnWebACL.RuleProperty:
        """A window's printed QR code is open to anyone: ratings from one address are capped here, before
        the function counts them per browser and address per window and day (province config)."""
        qr_path = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="ENDS_WITH",
                search_string=QR_RATINGS_PATH,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        return wafv2.CfnWebACL.RuleProperty(
            name="qr-ratings-per-address",
            priority=priority,
            action=block,  # type: ignore[arg-type]
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=deploy.waf_qr_ratings_per_5_minutes_per_ip,
                    aggregate_key_type="IP",
                    evaluation_window_sec=300,
                    scope_down_statement=qr_path,
                )
            ),
            visibility_config=visibility("QrRatingsPerAddress"),
        )

    @staticmethod
    def _managed(
        name: str, priority: int, visibility: object, count_instead: tuple[str, ...] = ()
    ) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in count_instead
                    ]
                    or None,
                )
            ),
            visibility_config=visibility(name),  # type: ignore[operator]
        )


QR_RATINGS_PATH = "/v1/qr-ratings"


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
