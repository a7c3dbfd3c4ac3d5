"""The headers every page the stack serves carries (common policy: no inline script or style, no framing,
no sniffing, no referrer). One small function so that the shared policy in functions/core/http/ can
replace it; `connect` adds the origins a page may also call (the identity provider's token endpoint,
the evidence bucket's pre-signed uploads)."""

from __future__ import annotations

from collections.abc import Iterable


def content_security_policy(connect: Iterable[str] = ()) -> str:
    extra = "".join(f" {origin}" for origin in sorted(set(connect)) if origin)
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{extra}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def page_headers(connect: Iterable[str] = ()) -> dict[str, str]:
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(connect),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
