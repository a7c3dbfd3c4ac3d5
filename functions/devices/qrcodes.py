"""QR images of rating links, drawn by segno (pure Python; SVG and PNG without Pillow)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from functions.core.domain.devices import Link

CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def draw(url: str, form: str) -> tuple[bytes, str]:
    """The code for `url` at error correction M (a printed code survives a scratch), 4-module quiet zone."""
    import segno

    code = segno.make_qr(url, error="m")
    out = io.BytesIO()
    if form == "svg":
        code.save(out, kind="svg", scale=8, border=4, xmldecl=False, svgns=True, title="扫码评价")
    else:
        code.save(out, kind="png", scale=8, border=4)
    return out.getvalue(), CONTENT_TYPES[form]


def expiry(link: Link) -> str | None:
    return datetime.fromtimestamp(link.expires_at, UTC).isoformat() if link.expires_at is not None else None
