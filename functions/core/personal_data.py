"""Protection of raters' personal data at rest.

Phone, name and ID number are sealed together with AES-256-GCM; the phone also gets a keyed hash
(HMAC-SHA256), so that the SMS channel and the ticket process can find a rater's ratings without
decrypting anything, and a masked form for display. Both keys derive from one secret that the
deployment keeps outside the table (Secrets Manager in AWS, a per-process random secret locally)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from functions.core.domain.personal import mask_mobile
from functions.core.domain.ratings import ProtectedRater, RaterInput

_FORMAT = b"\x01"  # sealed-blob format and key generation; bump to rotate


class RaterProtector:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the personal-data secret must be at least 32 bytes")
        # Derived once: every named rating uses both.
        self._hash_key = _derive(secret, b"phone-hash")
        self._seal_key = _derive(secret, b"seal")

    def phone_hash(self, phone: str) -> str:
        return hmac.new(self._hash_key, phone.encode(), hashlib.sha256).hexdigest()[:40]

    def protect(self, rater: RaterInput) -> ProtectedRater | None:
        if rater.phone is None:
            return None
        plain = json.dumps(
            {"phone": rater.phone, "name": rater.name, "id_number": rater.id_number},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        # Imported here: only named ratings pay for it, and handler start-up stays cheap.
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = _FORMAT + nonce + AESGCM(self._seal_key).encrypt(nonce, plain, _FORMAT)
        return ProtectedRater(
            kind=rater.kind,
            phone_masked=mask_mobile(rater.phone),
            phone_hash=self.phone_hash(rater.phone),
            sealed=sealed,
        )

    def unseal(self, sealed: bytes) -> dict[str, str | None]:
        """For the ticket process's contact step only; never for display."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if sealed[:1] != _FORMAT:
            raise ValueError("unknown sealed-data format")
        nonce, body = sealed[1:13], sealed[13:]
        return json.loads(AESGCM(self._seal_key).decrypt(nonce, body, _FORMAT))


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, b"haochaping/" + purpose, hashlib.sha256).digest()
