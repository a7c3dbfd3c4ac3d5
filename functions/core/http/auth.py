"""Who is calling: a channel (x-api-key) or a person (Authorization: Bearer <JWT> with role and scope),
and what each may do. Departments see their own department only; reviewers a region and everything
under it; admins everything."""

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind, SubjectRef
from functions.core.domain.errors import Forbidden, Unauthenticated
from functions.core.domain.regions import InvalidRegionCode, is_within, normalise_region_code
from functions.core.settings import Settings, key_digest


class Role(StrEnum):
    DEPARTMENT = "department"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Caller(NamedTuple):
    """A channel has `channel_key` set; a person has `role` and `scope`."""

    channel_key: str | None = None
    role: Role | None = None
    scope: str | None = None
    subject: str | None = None

    @property
    def is_channel(self) -> bool:
        return self.channel_key is not None


def authenticate(headers: Mapping[str, str], settings: Settings) -> Caller:
    """A bearer token wins over a key when both are sent. Any credential that is present but wrong is a
    401, as is no credential at all."""
    authorization = _header(headers, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization must be 'Bearer <token>'")
        return verify_token(token.strip(), settings)
    api_key = _header(headers, "x-api-key")
    if api_key is not None:
        digest = key_digest(api_key)
        for known, label in settings.channel_key_digests.items():
            if hmac.compare_digest(known, digest):
                return Caller(channel_key=label)
        raise Unauthenticated("unknown API key")
    raise Unauthenticated("send a channel key (x-api-key) or a bearer token")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_token(token: str, settings: Settings) -> Caller:
    import jwt  # imported on first use: it costs ~50 ms, and channel calls never need it

    try:
        claims = jwt.decode(
            token,
            settings.token_secret,
            algorithms=["HS256"],
            issuer=settings.token_issuer,
            options={"require": ["exp", "iat", "role", "scope"]},
        )
    except jwt.PyJWTError as e:
        raise Unauthenticated(f"invalid token: {e}") from None
    return caller_from_claims(claims)


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    try:
        role = Role(claims["role"])
    except ValueError:
        raise Unauthenticated("token role must be department, reviewer or admin") from None
    scope = claims.get("scope")
    if role is Role.REVIEWER:
        try:
            scope = normalise_region_code(str(scope))
        except InvalidRegionCode:
            raise Unauthenticated("a reviewer's scope is a region code") from None
    elif role is Role.DEPARTMENT and not scope:
        raise Unauthenticated("a department token needs its department code as scope")
    return Caller(role=role, scope=str(scope) if scope else None, subject=claims.get("sub"))


def issue_token(
    settings: Settings, role: str, scope: str | None, subject: str = "local-user", hours: float = 12
) -> str:
    """Signs a token the way the local identity provider would; used by `python -m infra.local token`
    and the tests."""
    import jwt

    now = datetime.now(UTC)
    claims = {
        "role": role,
        "scope": scope or "",
        "sub": subject,
        "iss": settings.token_issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=hours)).timestamp()),
    }
    return jwt.encode(claims, settings.token_secret, algorithm="HS256")


def require_channel(caller: Caller) -> None:
    if not caller.is_channel:
        raise Forbidden("ratings are submitted by channels with their x-api-key")


def require_person(caller: Caller) -> None:
    if caller.is_channel:
        raise Forbidden("this needs a person's bearer token")


def require_admin(caller: Caller) -> None:
    if caller.role is not Role.ADMIN:
        raise Forbidden("this needs an admin token")


def may_see(caller: Caller, paths: tuple[str, ...]) -> bool:
    """Whether a person may see something that counts for the subjects `paths` (keys kind#code)."""
    if caller.role is Role.ADMIN:
        return True
    if caller.role is Role.DEPARTMENT:
        return SubjectRef(SubjectKind.DEPARTMENT, caller.scope or "").key in paths
    if caller.role is Role.REVIEWER and caller.scope:
        regions = (SubjectRef.from_key(k).code for k in paths if k.startswith("region#"))
        return any(is_within(code, caller.scope) for code in regions)
    return False
