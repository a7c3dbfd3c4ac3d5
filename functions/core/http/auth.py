"""Who is calling, as the gateway established it.

Credentials are checked in front of the function (API Gateway in AWS, the local gateway locally): a
channel's x-api-key by the gateway's usage plans, a person's bearer token by the Lambda authorizer
(functions.core.http.authorizer). A function reads the outcome from the request context and never
verifies a token or compares a key itself. What each role may see is a domain rule
(functions.core.domain.scopes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from functions.core.domain.errors import Forbidden, Unauthenticated
from functions.core.domain.scopes import Role, may_see, person

__all__ = [
    "Caller",
    "Role",
    "caller_from_context",
    "may_see",
    "require_admin",
    "require_channel",
    "require_person",
]


class Caller(NamedTuple):
    """A channel has `channel_label` (the API key's id, for logs; never the key); a person has `role`
    and `scope`."""

    channel_label: str | None = None
    role: Role | None = None
    scope: str | None = None
    subject: str | None = None
    # A rating device (window tablet, kiosk): the id its credential names, as the authorizer read it.
    # Only its shape was checked there: the function checks the credential itself (functions.core.
    # services.devices), on every request, so a revoked device is refused at once.
    device: str | None = None

    @property
    def is_channel(self) -> bool:
        return self.channel_label is not None


def caller_from_context(request_context: Mapping[str, Any] | None) -> Caller:
    """The caller from API Gateway's request context: `authorizer` {role, scope, sub} for a person (the
    authorizer's context), `identity.apiKeyId` for a channel. A request that reached the function with
    neither came through a route that asks for no credentials."""
    context = request_context or {}
    granted = context.get("authorizer") or {}
    if granted.get("device"):
        return Caller(device=str(granted["device"]))
    if granted.get("role"):
        who = person(str(granted["role"]), granted.get("scope") or None, granted.get("sub") or None)
        return Caller(role=who.role, scope=who.scope, subject=who.subject)
    key_id = (context.get("identity") or {}).get("apiKeyId")
    if key_id:
        return Caller(channel_label=str(key_id))
    raise Unauthenticated("send a channel key (x-api-key) or a bearer token")


def require_channel(caller: Caller) -> None:
    if not caller.is_channel:
        raise Forbidden("ratings are submitted by channels with their x-api-key")


def require_person(caller: Caller) -> None:
    if caller.is_channel or caller.role is None:
        raise Forbidden("this needs a person's bearer token")


def require_admin(caller: Caller) -> None:
    if caller.role is not Role.ADMIN:
        raise Forbidden("this needs an admin token")
