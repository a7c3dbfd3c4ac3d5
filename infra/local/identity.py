"""The local stand-in for the province's identity provider: an RSA key kept in `.local/`, its public
half published as a JWKS (the local gateway serves it), and tokens signed with it.

`python -m infra.local token` and a running stack share the key through the file, so a token printed
in one terminal works against the stack in another. Tests give their own directory."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

ISSUER = "https://identity.haochaping.local"
AUDIENCE = "haochaping"
JWKS_PATH = "/local/identity/jwks.json"  # where the local gateway serves the key set


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LocalIdentityProvider:
    def __init__(self, directory: Path, issuer: str = ISSUER, audience: str = AUDIENCE) -> None:
        self.key_file = directory / "identity-key.pem"
        self.issuer = issuer
        self.audience = audience

    @cached_property
    def _private_key(self) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        if not self.key_file.exists():
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            # Written aside, then linked into place: `run` and `token` may start at the same moment, and
            # neither may ever read a half-written key; the first link wins.
            draft = self.key_file.with_name(f"{self.key_file.name}.{os.getpid()}")
            draft.write_bytes(pem)
            draft.chmod(0o600)
            try:
                os.link(draft, self.key_file)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)

    @cached_property
    def jwks(self) -> dict[str, Any]:
        numbers = self._private_key.public_key().public_numbers()
        jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}
        # RFC 7638 thumbprint as the key id, so a new key gets a new kid.
        canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
        jwk["kid"] = (
            base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
        )
        return {"keys": [jwk]}

    def token(self, role: str, scope: str | None, subject: str = "local-user", hours: float = 12) -> str:
        import jwt

        now = datetime.now(UTC)
        claims = {
            "role": role,
            "scope": scope or "",
            "sub": subject,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=hours)).timestamp()),
        }
        kid = self.jwks["keys"][0]["kid"]
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": kid})

    def environment(self, base_url: str) -> dict[str, str]:
        """What the authorizer reads, for a gateway serving the key set at `base_url`."""
        return {
            "JWKS_URL": f"{base_url}{JWKS_PATH}",
            "TOKEN_ISSUER": self.issuer,
            "TOKEN_AUDIENCE": self.audience,
        }
