"""Rating devices (window tablets 评价器, hall kiosks) and the signed links that QR codes carry, in pure
Python: credentials, pairing codes, link tokens and the flood rule. No storage here.

- A device credential is `hcpd_<device_id>_<secret>`: the id says which device, the 256-bit secret is
  stored only as its SHA-256, so a leaked table holds no working credential. Revoking a device makes
  its next request a 401 (the function checks the stored device on every rating, nothing is cached).
- A pairing code is 10 characters of Crockford base32 (50 bits), typed or scanned once, stored as its
  SHA-256, valid for the province's minutes, and used once.
- A link token (the `t` of `GET /rate?t=`) is `v1.<key id>.<payload>.<HMAC-SHA256>` in base64url; the
  key id names one of the signing keys (current and previous: keys rotate without breaking printed
  codes signed by the previous one). A window's code never expires (it is printed at the counter); a
  case's code expires with the province's rating period."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from functions.core.domain.channels import Channel
from functions.core.domain.errors import InvalidLink, Unauthenticated, ValidationFailed

TOKEN_PREFIX = "hcpd_"
_DEVICE_ID = re.compile(r"dv[0-9a-f]{16}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAIRING_CODE_LENGTH = 10
DEVICE_CHANNELS = (Channel.HALL_PAD, Channel.HALL_TERMINAL)
LINK_CHANNELS = (Channel.QRCODE, Channel.PC, Channel.MOBILE)


class DeviceStatus(StrEnum):
    PENDING = "pending"  # enrolled, waiting for its pairing code to be typed on the device
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Device:
    device_id: str
    window: str
    department: str
    channel: Channel
    name: str
    status: DeviceStatus
    created_at: str
    token_hash: str | None = None
    staff: str | None = None
    staff_title: str | None = None
    paired_at: str | None = None
    revoked_at: str | None = None

    def revoked(self, at: datetime) -> Device:
        return replace(self, status=DeviceStatus.REVOKED, revoked_at=at.isoformat(), token_hash=None)

    def public(self) -> dict[str, Any]:
        """What people in scope see of a device: never its credential's hash."""
        return {
            "device_id": self.device_id,
            "window": self.window,
            "department": self.department,
            "channel": self.channel.value,
            "name": self.name,
            "status": self.status.value,
            "staff": self.staff,
            "staff_title": self.staff_title,
            "created_at": self.created_at,
            "paired_at": self.paired_at,
            "revoked_at": self.revoked_at,
        }


def new_device_id() -> str:
    return "dv" + secrets.token_hex(8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_pairing_code() -> str:
    return "".join(secrets.choice(_CROCKFORD) for _ in range(PAIRING_CODE_LENGTH))


def normalise_pairing_code(raw: Any) -> str:
    """As typed: spaces and dashes dropped, lower case and the letters people confuse (O, I, L) read
    as Crockford does. Anything else is a 400 without echoing the code."""
    if not isinstance(raw, str):
        raise ValidationFailed({"pairing_code": "required: the code shown when the device was enrolled"})
    code = re.sub(r"[\s-]", "", raw).upper().replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != PAIRING_CODE_LENGTH or any(c not in _CROCKFORD for c in code):
        raise ValidationFailed({"pairing_code": f"{PAIRING_CODE_LENGTH} letters and digits"})
    return code


def new_device_token(device_id: str) -> str:
    return f"{TOKEN_PREFIX}{device_id}_{secrets.token_urlsafe(32)}"


def is_device_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def device_id_of(token: str) -> str:
    """The device a credential names (its shape only: the secret is checked against the stored hash)."""
    _, _, rest = token.partition(TOKEN_PREFIX)
    device_id, sep, secret = rest.partition("_")
    if not sep or not _DEVICE_ID.fullmatch(device_id) or len(secret) < 40:
        raise Unauthenticated("not a device credential")
    return device_id


def check_device_token(token: str, device: Device | None) -> Device:
    """The device this credential belongs to, active; else 401 (revoked, unknown or wrong secret alike)."""
    if (
        device is None
        or device.status is not DeviceStatus.ACTIVE
        or device.token_hash is None
        or not hmac.compare_digest(device.token_hash, digest(token))
    ):
        raise Unauthenticated("this device is not (or no longer) enrolled: pair it again")
    return device


def parse_device_channel(raw: Any) -> Channel:
    try:
        channel = Channel(raw)
    except ValueError:
        channel = None
    if channel not in DEVICE_CHANNELS:
        raise ValidationFailed({"channel": "hall_pad (window tablet) or hall_terminal (kiosk)"})
    return channel


# --- signed links --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """What a QR code or signed link lets its holder rate: a window (any visit), or one case."""

    kind: str  # "window" | "case"
    code: str  # the window code or the case number
    channel: Channel
    expires_at: int | None = None  # epoch seconds; None for a window's printed code

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"k": self.kind, "c": self.code, "ch": self.channel.value}
        if self.expires_at is not None:
            body["exp"] = self.expires_at
        return body


def key_id(key: bytes) -> str:
    """A signing key's public name: a prefix of its hash (which reveals nothing of the key)."""
    return hashlib.sha256(b"haochaping-link-key" + key).hexdigest()[:8]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(link: Link, keys: Sequence[bytes]) -> str:
    """Signed with the first (current) key."""
    key = keys[0]
    payload = _b64(json.dumps(link.payload(), separators=(",", ":"), sort_keys=True).encode())
    kid = key_id(key)
    mac = hmac.new(key, f"v1.{kid}.{payload}".encode(), hashlib.sha256).digest()
    return f"v1.{kid}.{payload}.{_b64(mac)}"


def verify_link(token: Any, keys: Sequence[bytes], now: datetime) -> Link:
    """The link a token carries, after its signature (by any key still held) and expiry; else
    InvalidLink, which says nothing of which check failed."""
    refused = InvalidLink("this rating link is not valid: it was altered, has expired, or was never issued")
    if not isinstance(token, str) or len(token) > 600:
        raise refused
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "v1":
        raise refused
    _, kid, payload, mac = parts
    key = next((k for k in keys if key_id(k) == kid), None)
    if key is None:
        raise refused
    try:
        expected = hmac.new(key, f"v1.{kid}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise refused
        body = json.loads(_unb64(payload))
        link = Link(
            kind=str(body["k"]),
            code=str(body["c"]),
            channel=Channel(body["ch"]),
            expires_at=int(body["exp"]) if "exp" in body else None,
        )
    except (ValueError, KeyError, TypeError):
        raise refused from None
    if link.kind not in ("window", "case") or link.channel not in LINK_CHANNELS:
        raise refused
    if link.expires_at is not None and now.timestamp() > link.expires_at:
        raise refused
    return link


# --- the flood rule ------------------------------------------------------------------------------


def flood_keys(window: str, day: str, browser: str, address: str) -> Mapping[str, str]:
    """The counters a QR rating of `window` adds to on `day` (local date): one per browser, one per
    address (hashed: an address is personal data, and the counter must not hold it)."""
    hashed = hashlib.sha256(f"addr:{address}".encode()).hexdigest()[:24]
    return {
        "browser": f"flood#{window}#{day}#b#{digest(browser)[:24]}",
        "address": f"flood#{window}#{day}#a#{hashed}",
    }


def new_browser_id() -> str:
    return secrets.token_urlsafe(18)


BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{20,40}")
