"""The Lambda authorizer in front of person routes, and the caller a function builds from the context
the gateway hands it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from functions.core.domain.errors import Unauthenticated
from functions.core.domain.scopes import Role
from functions.core.http import authorizer
from functions.core.http.auth import Caller, caller_from_context
from infra.local.identity import LocalIdentityProvider
from tests.gateway import request_context, trusted_identity

METHOD_ARN = "arn:aws-cn:execute-api:cn-northwest-1:123456789012:api1/prod/GET/v1/ratings/r1"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> LocalIdentityProvider:
    with trusted_identity(tmp_path_factory.mktemp("idp")) as trusted:
        yield trusted


@pytest.fixture(autouse=True)
def trusted(identity: LocalIdentityProvider) -> None:
    # Each test starts from the identity provider's keys (a test may have swapped them).
    with trusted_identity(identity.key_file.parent):
        yield


def event(token: str | None, scheme: str = "Bearer") -> dict:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}


def claims(identity: LocalIdentityProvider, **changes) -> dict:
    now = datetime.now(UTC)
    base = {
        "role": "reviewer",
        "scope": "520100",
        "sub": "u-42",
        "iss": identity.issuer,
        "aud": identity.audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def signed(identity: LocalIdentityProvider, body: dict, **kwargs) -> str:
    kid = identity.jwks["keys"][0]["kid"]
    return jwt.encode(body, identity._private_key, algorithm="RS256", headers={"kid": kid}, **kwargs)


def test_a_valid_token_is_allowed_on_the_whole_stage_with_the_person_in_the_context(identity):
    answer = authorizer.handler(event(identity.token("reviewer", "520100", subject="u-42")), None)

    assert answer["principalId"] == "u-42"
    statement = answer["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == "arn:aws-cn:execute-api:cn-northwest-1:123456789012:api1/prod/*"
    assert answer["context"] == {"role": "reviewer", "scope": "520100000000", "sub": "u-42"}


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": int((datetime.now(UTC) - timedelta(minutes=5)).timestamp())},
        {"iss": "https://someone-else"},
        {"aud": "another-api"},
        {"exp": None},
        {"role": "superuser"},
        {"scope": "not-a-region"},
    ],
    ids=["expired", "issuer", "audience", "no-expiry", "role", "scope"],
)
def test_a_token_with_a_wrong_claim_is_unauthorized(identity, changes):
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler(event(signed(identity, claims(identity, **changes))), None)


def test_only_rs256_is_accepted(identity):
    # Given tokens naming the right key but signed otherwise: with a shared secret, or not at all
    kid = identity.jwks["keys"][0]["kid"]
    forged = [
        jwt.encode(claims(identity), "x" * 32, algorithm="HS256", headers={"kid": kid}),
        jwt.encode(claims(identity), None, algorithm="none", headers={"kid": kid}),
    ]
    # Then each is refused
    for token in forged:
        with pytest.raises(Exception, match="^Unauthorized$"):
            authorizer.handler(event(token), None)


def test_a_token_from_another_key_is_unauthorized(identity, tmp_path: Path):
    stranger = LocalIdentityProvider(tmp_path, issuer=identity.issuer, audience=identity.audience)
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler(event(stranger.token("admin", None)), None)


@pytest.mark.parametrize(
    "token,scheme", [(None, "Bearer"), ("", "Bearer"), ("abc", "Basic"), ("not.a.jwt", "Bearer")]
)
def test_a_missing_or_malformed_credential_is_unauthorized(token, scheme):
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler(event(token, scheme), None)


def test_settings_are_required_outside_the_local_stack():
    with pytest.raises(Exception, match="JWKS_URL"):
        authorizer.AuthorizerSettings.from_env({"TOKEN_ISSUER": "x", "TOKEN_AUDIENCE": "y"})


def test_a_function_takes_its_caller_from_the_gateways_context():
    assert caller_from_context(request_context(role="department", scope="D1", sub="u1")) == Caller(
        role=Role.DEPARTMENT, scope="D1", subject="u1"
    )
    assert caller_from_context(request_context(role="admin")) == Caller(role=Role.ADMIN, subject="test-user")
    assert caller_from_context(request_context(api_key_id="k-7")) == Caller(channel_label="k-7")
    with pytest.raises(Unauthenticated):
        caller_from_context(request_context())


# With the api key source AUTHORIZER, the authorizer also stands in front of channel and
# channel-or-person routes: it hands API Gateway the key to check against the usage plans.


@pytest.fixture
def console_key():
    authorizer.console_key.use("console-people-key-value")
    yield "console-people-key-value"
    authorizer.console_key.use(None)


def test_a_channel_key_alone_is_passed_through_for_api_gateway_to_check():
    answer = authorizer.handler(
        {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"X-Api-Key": "channel-key-1"}}, None
    )
    assert answer["usageIdentifierKey"] == "channel-key-1"
    statement = answer["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws-cn:execute-api:cn-northwest-1:123456789012:api1/prod/*"
    # No person: the function learns the channel from identity.apiKeyId, set by API Gateway.
    assert "context" not in answer


def test_a_token_gives_the_person_and_the_console_plans_key(identity, console_key):
    headers = {
        "Authorization": f"Bearer {identity.token('department', '520100', subject='u-7')}",
        "x-api-key": "some-channel-key",  # a token wins: the caller is the person
    }
    answer = authorizer.handler({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}, None)
    assert answer["usageIdentifierKey"] == console_key
    assert answer["context"]["role"] == "department" and answer["context"]["sub"] == "u-7"


def test_without_a_console_secret_as_in_the_local_stack_no_key_is_returned(identity, monkeypatch):
    monkeypatch.delenv("CONSOLE_KEY_SECRET_ARN", raising=False)
    authorizer.console_key.use(None)
    answer = authorizer.handler(event(identity.token("reviewer", "520100")), None)
    assert "usageIdentifierKey" not in answer and answer["context"]["role"] == "reviewer"


def test_the_console_key_is_read_from_the_secret_once(monkeypatch):
    calls = []

    class Client:
        def get_secret_value(self, SecretId):  # noqa: N803 (boto3's name)
            calls.append(SecretId)
            return {"SecretString": "from-the-secret"}

    import boto3

    monkeypatch.setenv("CONSOLE_KEY_SECRET_ARN", "arn:aws-cn:secretsmanager:cn-northwest-1:1:secret:k")
    monkeypatch.setattr(boto3, "client", lambda service: Client())
    authorizer.console_key.use(None)
    try:
        assert authorizer.console_key.get() == "from-the-secret"
        assert authorizer.console_key.get() == "from-the-secret"
        assert calls == ["arn:aws-cn:secretsmanager:cn-northwest-1:1:secret:k"]
    finally:
        authorizer.console_key.use(None)


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"Authorization": "Basic abc"}])
def test_neither_a_key_nor_a_token_is_unauthorized(headers):
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}, None)


def test_a_channel_through_the_authorizer_is_still_a_channel_to_the_function():
    # API Gateway's context for a channel on an authorized method: the authorizer's principal, no role.
    context = request_context(api_key_id="k-9")
    context["authorizer"] = {"principalId": "channel"}
    assert caller_from_context(context) == Caller(channel_label="k-9")
    # A person on a channel-or-person route also has the console key's id: the person wins.
    context = request_context(role="reviewer", scope="520100", sub="u-1")
    context.setdefault("identity", {})["apiKeyId"] = "console-people"
    assert caller_from_context(context).role is Role.REVIEWER


# A cached authorizer's answer is reused for every request with the same identity source value, so
# its handler must decide on that value alone: whatever else a request carries changes nothing.


def _answer(handler, headers: dict) -> object:
    import importlib

    module, _, name = handler.partition(":")
    try:
        return getattr(importlib.import_module(module), name)(
            {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers}, None
        )
    except authorizer.Unauthorized:
        return "Unauthorized"


@pytest.mark.parametrize("access", [a for a, s in authorizer.AUTHORIZERS.items() if s.cache_seconds > 0])
def test_a_cached_authorizer_decides_only_on_its_cache_key(identity, console_key, access):
    spec = authorizer.AUTHORIZERS[access]
    assert spec.identity_header is not None
    # Given every value its cache key may hold, and every other header a request may carry beside it
    tokens = [
        f"Bearer {identity.token('admin', None)}",
        f"Bearer {identity.token('department', 'D52010201', subject='u-1')}",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
    ]
    keys = ["channel-key-1", "channel-key-2", " "]
    own, other = (tokens, keys) if spec.identity_header.lower() == "authorization" else (keys, tokens)
    other_name = "x-api-key" if spec.identity_header.lower() == "authorization" else "Authorization"
    for value in own:
        # When the handler answers it alone and beside each of the others
        alone = _answer(spec.handler, {spec.identity_header: value})
        for beside in other:
            # Then the answer is the same
            assert _answer(spec.handler, {spec.identity_header: value, other_name: beside}) == alone, (
                access,
                value[:20],
                beside[:20],
            )
