"""The console function's settings: where people sign in (the province's identity provider, as its
DeployConfig names it), and the origins the page may call besides its own (the provider's token
endpoint, the evidence bucket's pre-signed uploads). Read once per process, every value required."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from functions.core.runtime import Lazy
from functions.core.settings import SettingsError, province, required
from functions.tickets import evidence


def origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SettingsError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class ConsoleSettings:
    province_code: str
    province_name: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    client_id: str
    upload_origins: tuple[str, ...]  # where evidence files go (the bucket's pre-signed URLs)
    evidence_max_bytes: int
    evidence_types: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        env = os.environ if env is None else env
        config = province(env)
        uploads = tuple(o.strip() for o in required(env, "CONSOLE_UPLOAD_ORIGINS").split(",") if o.strip())
        for entry in uploads:
            if not entry.startswith(("https://", "http://")):
                raise SettingsError(f"CONSOLE_UPLOAD_ORIGINS: not an origin: {entry!r}")
        return cls(
            province_code=config.code,
            province_name=config.name,
            issuer=required(env, "OIDC_ISSUER"),
            authorization_endpoint=required(env, "OIDC_AUTHORIZATION_ENDPOINT"),
            token_endpoint=required(env, "OIDC_TOKEN_ENDPOINT"),
            client_id=required(env, "OIDC_CLIENT_ID"),
            upload_origins=uploads,
            # The tickets' own limits (S3's POST policy enforces them): the page checks before sending.
            evidence_max_bytes=evidence.MAX_BYTES,
            evidence_types=tuple(evidence.TYPES),
        )

    @property
    def connect_origins(self) -> tuple[str, ...]:
        """What the page's connect-src adds to 'self'."""
        return (origin(self.token_endpoint), *self.upload_origins)

    def public_config(self) -> dict[str, object]:
        """What the page reads from GET /console/config: nothing secret (a public client, PKCE)."""
        return {
            "province": {"code": self.province_code, "name": self.province_name},
            "oidc": {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorization_endpoint,
                "token_endpoint": self.token_endpoint,
                "client_id": self.client_id,
            },
            "upload_origins": list(self.upload_origins),
            "evidence": {"max_bytes": self.evidence_max_bytes, "types": list(self.evidence_types)},
        }


SETTINGS: Lazy[ConsoleSettings] = Lazy(ConsoleSettings.from_env)
