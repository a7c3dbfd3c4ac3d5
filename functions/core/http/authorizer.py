"""The Lambda REQUEST authorizer in front of every person route (API Gateway in AWS, the local gateway
locally: the same code).

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
from typing import Any

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


settings: Lazy[AuthorizerSettings] = Lazy(AuthorizerSettings.from_env)
# Anything with get_signing_key_from_jwt(token) -> a key with .key; tests hand in a fixed key set.
signing_keys: Lazy[Any] = Lazy(_jwks_client)


class Unauthorized(Exception):
    """Raised with exactly this message, API Gateway answers 401 without calling the function."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    token = bearer_token(event.get("headers") or {})
    if token is None:
        raise Unauthorized()
    try:
        who = verify(token)
    except Unauthenticated as refused:
        # The reason is logged (never the token); the caller learns only that it was refused.
        logger.info("token refused: %s", refused.message)
        raise Unauthorized() from None
    return {
        "principalId": who.subject or who.role.value,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _whole_stage(event)}
            ],
        },
        # API Gateway passes only strings, numbers and booleans; an absent scope is "".
        "context": {"role": who.role.value, "scope": who.scope or "", "sub": who.subject or ""},
    }


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
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
