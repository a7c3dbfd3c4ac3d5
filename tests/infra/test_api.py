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
    authorizers = synthesized.templates[province].find_resources("AWS::ApiGateway::Authorizer")
    (authorizer_id,) = authorizers
    for path, verb, props in methods:
        access = Access(routes[(path, verb)].access)
        assert access is not Access.LOCAL
        if access is Access.PUBLIC:
            assert props["AuthorizationType"] == "NONE" and not props.get("ApiKeyRequired")
        elif access in (Access.CHANNEL, Access.CHANNEL_OR_PERSON):
            assert props["AuthorizationType"] == "NONE" and props["ApiKeyRequired"] is True
        elif access is Access.PERSON:
            assert props["AuthorizationType"] == "CUSTOM"
            assert props["AuthorizerId"] == {"Ref": authorizer_id}
            assert not props.get("ApiKeyRequired")
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"


def test_local_only_routes_are_never_deployed(template):
    local = {(r.path, r.method) for r in topology.routes(include_local=True) if r.access == Access.LOCAL}
    declared = {(path, verb) for path, verb, _ in _methods(template)}
    assert not local & declared


def test_person_routes_go_through_the_request_authorizer_with_the_provinces_idp(template):
    (authorizer,) = template.find_resources("AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
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
    assert len(keys) == sum(len(plan.keys) for plan in expected)
    for key in keys.values():
        assert "Value" not in key["Properties"]  # generated by API Gateway, never in the template


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


def test_public_gets_are_cached_and_the_cache_is_encrypted(template):
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    public = [r for r in topology.routes() if r.access == Access.PUBLIC and r.method == "GET"]
    settings = {s["ResourcePath"]: s for s in props["MethodSettings"] if s["ResourcePath"] != "/*"}
    for route in public:
        escaped = "/" + route.path.replace("/", "~1")  # how a stage names one resource
        assert settings[escaped]["CachingEnabled"] is True
        assert settings[escaped]["CacheDataEncrypted"] is True
    assert props["CacheClusterEnabled"] is bool(public)


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
    size = rules["body-size"]["Statement"]["AndStatement"]["Statements"][0]["SizeConstraintStatement"]
    assert size["Size"] == 16 * 1024 and size["ComparisonOperator"] == "GT"
    assert size["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    (association,) = template.find_resources("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
