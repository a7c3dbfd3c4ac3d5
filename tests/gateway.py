"""Calling a function as it is called behind the gateway, in tests: through the local gateway's code
path (its Access checks, the authorizer, the request context it builds), without a socket.

`request_context` builds the context the gateway hands a function, for tests that call a view or the
caller helper directly."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.core.http import authorizer
from infra.local.gateway import LocalApiGateway
from infra.local.identity import LocalIdentityProvider

TEST_API_KEYS = {"local-demo-key": "test-key-1", "second-channel-key": "test-key-2"}


def request_context(
    *,
    role: str | None = None,
    scope: str | None = None,
    sub: str = "test-user",
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """The requestContext a function gets behind the gateway: a person's authorizer context, or a
    channel's API key id."""
    context: dict[str, Any] = {"identity": {"sourceIp": "127.0.0.1"}}
    if role is not None:
        context["authorizer"] = {"principalId": sub, "role": role, "scope": scope or "", "sub": sub}
    if api_key_id is not None:
        context["identity"].update({"apiKeyId": api_key_id, "apiKey": "not-the-real-key"})
    return context


class KeySet:
    """A JWKS held in memory: what PyJWKClient would have fetched from the identity provider."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        from jwt import PyJWKSet

        self._keys = {key.key_id: key for key in PyJWKSet.from_dict(dict(jwks)).keys}

    def get_signing_key_from_jwt(self, token: str) -> Any:
        import jwt

        kid = jwt.get_unverified_header(token).get("kid")
        if kid not in self._keys:
            raise jwt.PyJWKClientError(f"no key {kid!r} in the key set")
        return self._keys[kid]


@contextmanager
def trusted_identity(directory: Path) -> Iterator[LocalIdentityProvider]:
    """An identity provider whose tokens the authorizer accepts while the context lasts."""
    identity = LocalIdentityProvider(directory)
    authorizer.settings.use(
        authorizer.AuthorizerSettings(
            jwks_url="https://identity.invalid/jwks.json", issuer=identity.issuer, audience=identity.audience
        )
    )
    authorizer.signing_keys.use(KeySet(identity.jwks))
    try:
        yield identity
    finally:
        authorizer.settings.use(None)
        authorizer.signing_keys.use(None)


class Headers(dict[str, str]):
    """Response headers, looked up whatever the case of the name."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(str(name).lower())


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict[str, str]
    body: bytes

    @property
    def json_body(self) -> Any:
        return json.loads(self.body)


class GatewayClient:
    """`client.http.get(path, headers=...)`, as chalice.test's Client, through the local gateway."""

    def __init__(self, gateway: LocalApiGateway) -> None:
        self._gateway = gateway
        self.http = self

    def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: Any = b""
    ) -> Answer:
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        status, pairs, payload = self._gateway.handle(method, path, dict(headers or {}), raw)
        return Answer(status, Headers({name.lower(): value for name, value in pairs}), payload)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Answer:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Answer:
        return self.request("DELETE", path, **kwargs)
