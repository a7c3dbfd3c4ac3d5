"""The Lambda REQUEST authorizer in front of every person route, and (in AWS) of every channel and
channel-or-person route too (API Gateway in AWS, the local gateway locally: the same code).

The RestApi takes its API keys from the authorizer (api key source AUTHORIZER): a method cannot accept
"a key OR a token" otherwise, and API.md opens CHANNEL_OR_PERSON routes to both. So the answer carries a
`usageIdentifierKey`, which API Gateway then checks against the usage plans (throttle, quota, and that
the key exists and is enabled):
- a bearer token: verified as below; the context is the person, and `usageIdentifierKey` is the console
  usage plan's key, read once per process from the Secrets Manager secret named by
  CONSOLE_KEY_SECRET_ARN (the stack creates the secret and gives the console plan's "people" key its
  value). People therefore share the console plan's throttle and quota. Locally the variable is unset
  and no key is returned (the local gateway checks keys itself and ignores this field).
- only an x-api-key header: allowed on the whole stage with that key as `usageIdentifierKey` and no
  context; the authorizer does not judge the key, API Gateway does, and it still sets
  `requestContext.identity.apiKeyId`, from which the function learns the channel kind.
- neither: Unauthorized.

It checks the bearer JWT against the province identity provider's JWKS (signature with RS256 only,
issuer, audience, expiry) and the person it names (role and scope), and answers an IAM policy with the
context `{role, scope, sub}` that API Gateway hands the function in `requestContext.authorizer`.
Whether that person may do what the route does is the function's business, not this one's.

A refusal is the exception `Unauthorized`, which is how a Lambda authorizer says 401."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from functions.core.domain.devices import device_id_of, is_device_token
from functions.core.domain.errors import Unauthenticated
from functions.core.domain.scopes import Person, person
from functions.core.runtime import Lazy
from functions.core.settings import required

logger = logging.getLogger("haochaping.authorizer")

ALGORITHM = "RS256"  # pinned: a token naming another algorithm (none, HS256) is refused
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "role"]
LEEWAY_SECONDS = 30  # clock skew between the identity provider and Lambda


@dataclass(frozen=True)
class AuthorizerSettings:
    jwks_url: str  # not a secret: the identity provider publishes it
    issuer: str
    audience: str
    jwks_cache_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthorizerSettings:
        env = os.environ if env is None else env
        return cls(
            jwks_url=required(env, "JWKS_URL"),
            issuer=required(env, "TOKEN_ISSUER"),
            audience=required(env, "TOKEN_AUDIENCE"),
            jwks_cache_seconds=float(env.get("JWKS_CACHE_SECONDS", "300")),
        )


def _jwks_client() -> Any:
    from jwt import PyJWKClient

    config = settings.get()
    # The key set is cached for jwks_cache_seconds, each key by its kid; an unknown kid (the provider
    # rotated its keys) refetches the set, at most once per cooldown.
    return PyJWKClient(config.jwks_url, cache_keys=True, lifespan=config.jwks_cache_seconds, timeout=5)


def _console_key() -> str | None:
    """The console usage plan's key value (for people on key-requiring routes), or None locally."""
    arn = os.environ.get("CONSOLE_KEY_SECRET_ARN")
    if not arn:
        return None
    import boto3

    return str(boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


settings: Lazy[AuthorizerSettings] = Lazy(AuthorizerSettings.from_env)
# The key API Gateway counts a person's requests against (the console plan's); None in the local stack.
console_key: Lazy[str | None] = Lazy(_console_key)
# Anything with get_signing_key_from_jwt(token) -> a key with .key; tests hand in a fixed key set.
signing_keys: Lazy[Any] = Lazy(_jwks_client)


class AuthorizerSpec(NamedTuple):
    """One API Gateway authorizer: the Lambda function (by its name in the stack) and handler it runs,
    and its cache key. API Gateway caches an authorizer's answer per value of its identity source, so
    the handler must decide on that header alone: anything else in the request would be decided once
    and then applied to every request with the same key for `cache_seconds`."""

    construct: str  # the authorizer's name in the REST API
    function: str  # the Lambda function it invokes
    handler: str  # module:function
    identity_header: str | None  # the cache key; None: no identity source, no cache
    cache_seconds: int


# By route Access (functions.core.http.app.Access values). infra/constructs/api.py deploys these;
# infra/local/gateway.py runs them the same way, cache included.
AUTHORIZERS: dict[str, AuthorizerSpec] = {
    "person": AuthorizerSpec(
        "PersonAuthorizer", "authorizer", "functions.core.http.authorizer:handler", "Authorization", 300
    ),
    # Uncached, on the shared function: a stack holds at most 500 resources and a function of its own
    # costs eight. With no cache there is nothing to mix: each request is decided on what it carries.
    "channel": AuthorizerSpec(
        "ChannelAuthorizer", "authorizer", "functions.core.http.authorizer:handler", None, 0
    ),
    "channel_or_person": AuthorizerSpec(
        "ChannelOrPersonAuthorizer", "authorizer", "functions.core.http.authorizer:handler", None, 0
    ),
}
# A rating device's bearer credential goes through the same authorizers as a person's token.
AUTHORIZERS["device"] = AUTHORIZERS["person"]
AUTHORIZERS["channel_or_device"] = AUTHORIZERS["channel_or_person"]


class Unauthorized(Exception):
    """Raised with exactly this message, API Gateway answers 401 without calling the function."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def channel_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The ChannelAuthorizer (cached per x-api-key): decides on the key alone. A bearer token sent
    beside it is not looked at: deciding on it would cache a person's answer (or a refused token) for
    that key, and every rating of that channel would get it for five minutes."""
    key = api_key(event.get("headers") or {})
    if key is None:
        raise Unauthorized()
    return _channel(event, key)


def _channel(event: Mapping[str, Any], key: str) -> dict[str, Any]:
    # A channel: API Gateway validates the key against the usage plans after this answer.
    return {"principalId": "channel", "policyDocument": _allow(event), "usageIdentifierKey": key}


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The PersonAuthorizer (cached per Authorization header: API Gateway calls it only with one, and
    a token decides alone) and the uncached ChannelOrPersonAuthorizer (a token, else a key)."""
    headers = event.get("headers") or {}
    if authorization(headers) is None:
        key = api_key(headers)
        if key is None:
            raise Unauthorized()
        return _channel(event, key)
    # An Authorization header decides alone, whatever else is sent (the person authorizer is cached
    # by it): one that is not a bearer token is refused, never rescued by a key beside it.
    token = bearer_token(headers)
    if token is None:
        raise Unauthorized()
    if is_device_token(token):
        return _device_answer(event, token)
    try:
        who = verify(token)
    except Unauthenticated as refused:
        # The reason is logged (never the token); the caller learns only that it was refused.
        logger.info("token refused: %s", refused.message)
        raise Unauthorized() from None
    answer: dict[str, Any] = {
        "principalId": who.subject or who.role.value,
        "policyDocument": _allow(event),
        # API Gateway passes only strings, numbers and booleans; an absent scope is "".
        "context": {"role": who.role.value, "scope": who.scope or "", "sub": who.subject or ""},
    }
    key = console_key.get()
    if key:
        answer["usageIdentifierKey"] = key
    return answer


def _device_answer(event: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A rating device's credential: only its shape is judged here (the id it names goes to the function
    in the context); the function checks the secret and the device's status against its table on every
    request, so revoking works at once whatever this answer's cache. Devices share the console plan's
    throttle and quota, like people: no channel key ever sits on a device."""
    try:
        device_id = device_id_of(token)
    except Unauthenticated:
        raise Unauthorized() from None
    answer: dict[str, Any] = {
        "principalId": device_id,
        "policyDocument": _allow(event),
        "context": {"device": device_id},
    }
    key = console_key.get()
    if key:
        answer["usageIdentifierKey"] = key
    return answer


def api_key(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "x-api-key"), None)
    return value.strip() or None if value else None


def _allow(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _whole_stage(event)}],
    }


def authorization(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    return value or None


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = authorization(headers)
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def verify(token: str) -> Person:
    """The person a token names, or Unauthenticated saying why not."""
    import jwt  # ~50 ms: only the authorizer pays for it

    config = settings.get()
    try:
        key = signing_keys.get().get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            issuer=config.issuer,
            audience=config.audience,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWKClientConnectionError:
        raise  # the identity provider is unreachable: a fault (500), not the caller's error
    except jwt.PyJWTError as e:
        raise Unauthenticated(f"invalid token: {e}") from None
    return person(str(claims["role"]), claims.get("scope"), str(claims["sub"]))


def _whole_stage(event: Mapping[str, Any]) -> str:
    """The policy covers every route of the stage: API Gateway caches it per token, and one token calls
    many routes (whether a role may call one is the function's decision)."""
    arn = str(event.get("methodArn") or "")
    parts = arn.split("/")
    return "/".join(parts[:2]) + "/*" if len(parts) >= 2 else arn
