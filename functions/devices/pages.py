"""The rating screens' files (functions/devices/page/), served by the stack with their content types and
the project's page headers. Pages hold no inline script or style: their JS and CSS are these files.

`page_headers` is the one place the headers are set here, until the shared policy of
functions/core/http/ replaces it."""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path

from chalice import Response

PAGE_DIR = Path(__file__).with_name("page")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".svg": "image/svg+xml",
}
# What each served path is (the service worker caches the terminal's).
FILES = {
    "/terminal": "terminal.html",
    "/terminal/app.js": "terminal.js",
    "/terminal/screen.js": "screen.js",
    "/terminal/style.css": "style.css",
    "/terminal/sw.js": "sw.js",
    "/terminal/manifest.webmanifest": "manifest.webmanifest",
    "/rate/app.js": "rate.js",
}


def page_headers(content_type: str, cache_seconds: int = 0) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": f"public, max-age={cache_seconds}" if cache_seconds else "no-cache",
    }


@cache
def file_text(name: str) -> str:
    return (PAGE_DIR / name).read_text(encoding="utf-8")


def serve(path: str) -> Response:
    name = FILES[path]
    body = file_text(name)
    headers = page_headers(CONTENT_TYPES[Path(name).suffix])
    headers["ETag"] = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
    if name == "sw.js":
        # Registered from /terminal/sw.js with scope /terminal, which covers the page itself.
        headers["Service-Worker-Allowed"] = "/terminal"
    return Response(body=body, status_code=200, headers=headers)


def rate_page(data: dict[str, str], status: int = 200, extra: dict[str, str] | None = None) -> Response:
    """The phone's form, its data in data-* attributes of <body> (no inline script), or the
    refusal page (a 4xx in Chinese) when `data` holds `error`."""
    attributes = " ".join(
        f'data-{k.replace("_", "-")}="{html.escape(v, quote=True)}"' for k, v in sorted(data.items())
    )
    body = file_text("rate.html").replace('<body class="rate">', f'<body class="rate" {attributes}>', 1)
    return Response(
        body=body, status_code=status, headers={**page_headers(CONTENT_TYPES[".html"]), **(extra or {})}
    )
