"""API Gateway exposes exactly the Chalice routes (topology.routes()), one method each, with each
route's Access, and nothing else; usage plans, authorizer, cache, web ACL and access logs as designed."""

from __future__ import annotations

import json

import pytest

from functions.core.http.app import Access
from infra import topology
from infra.provinces import DEPLOYMENTS


def _paths(template) -> dict[str, str]:
    """Logical id of each API resource → its full path, rebuilt from the template alone."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods(template) -> list[tuple[str, str, dict]]:
    paths = _paths(template)
    found = []
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = "/" if "Fn::GetAtt" in resource else paths[resource["Ref"]]
        found.append((path, props["HttpMethod"], props))
    return found


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_every_chalice_route_has_exactly_one_method_with_its_access_and_nothing_else_is_exposed(
    synthesized, province
):
    # Given the routes the Chalice apps declare (the local-only ones excluded)
    routes = {(r.path, r.method): r for r in topology.routes()}
    assert routes, "the apps declare routes"
    # When the template's methods are read back
    methods = _methods(synthesized.templates[province])
    declared = [(path, verb) for path, verb, _ in methods]
    # Then each route is there exactly once and there is no other method
    assert sorted(declared) == sorted(routes)
    ids = _authorizer_ids(synthesized.templates[province])
    for path, verb, props in methods:
        access = Access(routes[(path, verb)].access)
        assert access is not Access.LOCAL
        if access is Access.PUBLIC:
            assert props["AuthorizationType"] == "NONE" and not props.get("ApiKeyRequired")
        elif access is Access.CHANNEL:
            assert props["AuthorizationType"] == "CUSTOM" and props["ApiKeyRequired"] is True
            assert props["AuthorizerId"] == {"Ref": ids["ChannelAuthorizer"]}
        elif access is Access.CHANNEL_OR_PERSON:
            assert props["AuthorizationType"] == "CUSTOM" and props["ApiKeyRequired"] is True
            assert props["AuthorizerId"] == {"Ref": ids["ChannelOrPersonAuthorizer"]}
        elif access is Access.PERSON:
            assert props["AuthorizationType"] == "CUSTOM"
            assert props["AuthorizerId"] == {"Ref": ids["PersonAuthorizer"]}
            assert not props.get("ApiKeyRequired")
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"


def test_local_only_routes_are_never_deployed(template):
    local = {(r.path, r.method) for r in topology.routes(include_local=True) if r.access == Access.LOCAL}
    declared = {(path, verb) for path, verb, _ in _methods(template)}
    assert not local & declared


def _authorizer_ids(template) -> dict[str, str]:
    """{"PersonAuthorizer" | "ChannelAuthorizer" | "ChannelOrPersonAuthorizer": logical id}."""
    found = template.find_resources("AWS::ApiGateway::Authorizer")
    names = ("ChannelOrPersonAuthorizer", "ChannelAuthorizer", "PersonAuthorizer")
    ids: dict[str, str] = {}
    for logical_id in found:
        name = next(n for n in names if n in logical_id)
        assert name not in ids
        ids[name] = logical_id
    assert sorted(ids) == sorted(names)
    return ids


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_keys_come_from_the_authorizers_each_deciding_on_its_cache_key(synthesized, province):
    template = synthesized.templates[province]
    (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"
    found = template.find_resources("AWS::ApiGateway::Authorizer")
    ids = _authorizer_ids(template)
    person, channel, either = (
        found[ids[n]]["Properties"]
        for n in ("PersonAuthorizer", "ChannelAuthorizer", "ChannelOrPersonAuthorizer")
    )
    assert all(p["Type"] == "REQUEST" for p in (person, channel, either))
    # One function behind the three; only the person authorizer is cached (per token), and its handler
    # decides on the token alone (tests/unit/test_authorizer.py)
    assert len({json.dumps(p["AuthorizerUri"], sort_keys=True) for p in (person, channel, either)}) == 1
    # A channel's key is passed through once per key per 5 minutes; a token cached per token.
    assert channel["AuthorizerResultTtlInSeconds"] == 0 and not channel.get("IdentitySource")
    assert person["IdentitySource"] == "method.request.header.Authorization"
    assert person["AuthorizerResultTtlInSeconds"] == 300
    # Either header may be absent: no identity source, no cache.
    assert either["AuthorizerResultTtlInSeconds"] == 0
    assert not either.get("IdentitySource")


def test_people_count_against_the_console_plan_with_a_key_whose_value_the_authorizer_reads(template):
    secrets = template.find_resources("AWS::SecretsManager::Secret")
    (secret_id,) = [i for i in secrets if "ConsoleKey" in i]
    keys = template.find_resources("AWS::ApiGateway::ApiKey")
    (people,) = [k for k in keys.values() if k["Properties"].get("Name", "").endswith("-console-people")]
    assert secret_id in json.dumps(people["Properties"]["Value"])
    functions = template.find_resources("AWS::Lambda::Function")
    (fn,) = [
        f
        for f in functions.values()
        if f["Properties"]["Handler"] == "functions.core.http.authorizer.handler"
    ]
    assert fn["Properties"]["Environment"]["Variables"]["CONSOLE_KEY_SECRET_ARN"] == {"Ref": secret_id}
    plans = template.find_resources("AWS::ApiGateway::UsagePlanKey")
    people_id = next(i for i, k in keys.items() if k is people)
    assert any(p["Properties"]["KeyId"] == {"Ref": people_id} for p in plans.values())


def test_person_routes_go_through_the_request_authorizer_with_the_provinces_idp(template):
    found = template.find_resources("AWS::ApiGateway::Authorizer")
    props = found[_authorizer_ids(template)["PersonAuthorizer"]]["Properties"]
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    functions = template.find_resources("AWS::Lambda::Function")
    (fn,) = [
        f
        for f in functions.values()
        if f["Properties"]["Handler"] == "functions.core.http.authorizer.handler"
    ]
    env = fn["Properties"]["Environment"]["Variables"]
    identity = DEPLOYMENTS["guizhou"].identity
    assert (env["JWKS_URL"], env["TOKEN_ISSUER"], env["TOKEN_AUDIENCE"]) == (
        identity.jwks_url,
        identity.issuer,
        identity.audience,
    )


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_one_usage_plan_per_channel_kind_with_the_configured_throttle_and_quota(synthesized, province):
    plans = synthesized.templates[province].find_resources("AWS::ApiGateway::UsagePlan")
    by_name = {p["Properties"]["UsagePlanName"]: p["Properties"] for p in plans.values()}
    expected = DEPLOYMENTS[province].channel_plans
    assert set(by_name) == {f"haochaping-{province}-{plan.kind}" for plan in expected}
    for plan in expected:
        props = by_name[f"haochaping-{province}-{plan.kind}"]
        assert props["Throttle"] == {"RateLimit": plan.rate_per_second, "BurstLimit": plan.burst}
        assert props["Quota"] == {"Limit": plan.quota_per_day, "Period": "DAY"}
    keys = synthesized.templates[province].find_resources("AWS::ApiGateway::ApiKey")
    # The channels' keys, plus the console plan's key for people (see the test below).
    assert len(keys) == sum(len(plan.keys) for plan in expected) + 1
    for key in keys.values():
        value = key["Properties"].get("Value")
        # Generated by API Gateway, or (people's key) a reference to a generated secret: never a literal.
        assert value is None or "{{resolve:secretsmanager:" in json.dumps(value)


def test_functions_learn_the_channel_kind_from_the_key_id_not_from_a_key_list(template):
    rate = [
        f["Properties"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "functions.rate.app.app"
    ][0]
    env = rate["Environment"]["Variables"]
    assert "CHANNEL_KEY_KINDS" in env
    assert "LOCAL_API_KEYS" not in env
    rendered = json.dumps(env["CHANNEL_KEY_KINDS"])
    assert '"Ref"' in rendered  # the key ids, resolved at deploy time


def test_public_gets_listed_for_caching_are_cached_by_path_and_their_query_parameters(template):
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    public = [r for r in topology.routes() if r.access == Access.PUBLIC and r.method == "GET"]
    cached = [r for r in public if r.path in topology.PUBLIC_CACHE]
    assert cached, "the public page and its JSON are cached"
    settings = {s["ResourcePath"]: s for s in props["MethodSettings"] if s["ResourcePath"] != "/*"}
    for route in public:
        escaped = "/" + route.path.replace("/", "~1")  # how a stage names one resource
        if route in cached:
            assert settings[escaped]["CachingEnabled"] is True
            assert settings[escaped]["CacheDataEncrypted"] is True
        else:
            assert escaped not in settings  # never cached: its query parameters are not known
    assert props["CacheClusterEnabled"] is True
    methods = {(path, verb): p for path, verb, p in _methods(template)}
    summary = methods[("/v1/public/summary", "GET")]
    keys = summary["Integration"]["CacheKeyParameters"]
    assert keys == sorted(
        f"method.request.querystring.{q}" for q in topology.PUBLIC_CACHE["/v1/public/summary"]
    )


def test_access_logs_carry_no_personal_data(template):
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    log_format = stage["Properties"]["AccessLogSetting"]["Format"]
    fields = json.loads(log_format)
    assert "$context.requestId" in fields.values()
    for personal in ("sourceIp", "userAgent", "user", "caller", "accountId", "cognito", "principalId"):
        assert personal not in log_format
    settings = [s for s in stage["Properties"]["MethodSettings"] if s["ResourcePath"] == "/*"][0]
    assert settings["DataTraceEnabled"] is False


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_a_web_acl_limits_rate_per_address_and_body_size_and_guards_the_stage(synthesized, province):
    template = synthesized.templates[province]
    ((acl_id, acl),) = template.find_resources("AWS::WAFv2::WebACL").items()
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    rate = rules["rate-per-address"]["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == DEPLOYMENTS[province].waf_requests_per_5_minutes_per_ip
    assert rate["AggregateKeyType"] == "IP"
    qr = rules["qr-ratings-per-address"]["Statement"]["RateBasedStatement"]
    assert qr["Limit"] == DEPLOYMENTS[province].waf_qr_ratings_per_5_minutes_per_ip
    assert qr["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/v1/qr-ratings"
    assert len({rule["Priority"] for rule in rules.values()}) == len(rules)
    size = rules["body-size"]["Statement"]["AndStatement"]["Statements"][0]["SizeConstraintStatement"]
    assert size["Size"] == 16 * 1024 and size["ComparisonOperator"] == "GT"
    assert size["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    (association,) = template.find_resources("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_what_api_gateway_answers_itself_carries_the_header_policy_in_the_contracts_shape(
    synthesized, province
):
    from functions.core.http.gateway_answers import DEFAULT_ANSWERS, GATEWAY_ANSWERS
    from functions.core.http.headers import EVERY_ANSWER

    responses = synthesized.templates[province].find_resources("AWS::ApiGateway::GatewayResponse")
    by_type = {r["Properties"]["ResponseType"]: r["Properties"] for r in responses.values()}
    assert set(by_type) == set(DEFAULT_ANSWERS)
    for kind, props in by_type.items():
        parameters = props["ResponseParameters"]
        for name, value in EVERY_ANSWER.items():
            assert parameters[f"gatewayresponse.header.{name}"] == f"'{value}'", (kind, name)
        body = json.loads(props["ResponseTemplates"]["application/json"])
        assert set(body) == {"error", "message"}
        if kind in GATEWAY_ANSWERS:
            assert props["StatusCode"] == str(GATEWAY_ANSWERS[kind].status)
            if GATEWAY_ANSWERS[kind].status == 401:
                assert "gatewayresponse.header.WWW-Authenticate" in parameters
