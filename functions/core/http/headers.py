"""The one header policy of every answer the stack gives: pages (HTML), JSON and everything else.

- Every answer: `X-Content-Type-Options: nosniff` (no browser guesses a JSON answer or an evidence
  link is a page) and `Referrer-Policy: no-referrer` (no URL, with its query, leaves for another site).
- Pages: a Content-Security-Policy with no inline script or style ('unsafe-inline' nowhere: a page's
  JS and CSS are files the stack serves, `asset_response`), no framing by other sites
  (`frame-ancestors 'none'` and `X-Frame-Options: DENY`, or the province's own portal origins where the
  province embeds its pages: `ProvinceConfig.portal_origins`), forms posting to the stack only.

Who applies it: the app factory (functions.core.http.app) to every answer of every Chalice app, the
local gateway (infra/local/gateway.py) to every answer including its own refusals, and API Gateway's
gateway responses (infra/constructs/api.py) to what API Gateway answers itself. A view that serves a
page calls `page_response` (or `html_headers`) to say what differs: its portal, an extra origin its
scripts call."""

from __future__ import annotations

from collections.abc import Iterable

from chalice.app import Response

NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# Sent with every answer (JSON, pages, assets, errors), whoever answers.
EVERY_ANSWER: dict[str, str] = {**NOSNIFF, "Referrer-Policy": "no-referrer"}
JSON_POLICY = EVERY_ANSWER


def content_security_policy(
    *, frame_ancestors: Iterable[str] = (), extra_connect_src: Iterable[str] = ()
) -> str:
    ancestors = " ".join(frame_ancestors) or "'none'"
    connect = " ".join(["'self'", *extra_connect_src])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors {ancestors}; base-uri 'none'; form-action 'self'"
    )


def html_headers(
    *, frame_ancestors: Iterable[str] = (), extra_connect_src: Iterable[str] = ()
) -> dict[str, str]:
    """The headers of a page. `frame_ancestors`: origins allowed to frame it (the province's portal,
    e.g. "https://zwfw.guizhou.gov.cn"); none: no site may. `extra_connect_src`: origins its scripts
    call besides the stack (e.g. the identity provider's token endpoint)."""
    ancestors = tuple(frame_ancestors)
    headers = {
        **EVERY_ANSWER,
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(
            frame_ancestors=ancestors, extra_connect_src=extra_connect_src
        ),
    }
    if not ancestors:
        # For browsers without frame-ancestors. With portal origins it is left out: DENY would
        # forbid the portal, and ALLOW-FROM is obsolete.
        headers["X-Frame-Options"] = "DENY"
    return headers


STRICT_PAGE = html_headers()

# What a page's files are served as (the only types asset_response takes).
ASSET_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def asset_headers(name: str, max_age: int = 300) -> dict[str, str]:
    """A page's JS, CSS or image file: its exact type (nosniff makes browsers hold to it)."""
    suffix = name[name.rfind(".") :]
    return {
        **EVERY_ANSWER,
        "Content-Type": ASSET_TYPES[suffix],
        "Cache-Control": f"public, max-age={max_age}",
    }


def missing_headers(names: Iterable[str], content_type: str | None) -> dict[str, str]:
    """What an answer with these header names and this content type lacks of the policy: every answer
    EVERY_ANSWER, and a page that set no policy of its own the strict page policy. What an answer set
    itself is kept (a page with its portal's frame-ancestors)."""
    present = {name.lower() for name in names}
    page = (content_type or "").lower().startswith("text/html")
    # A page that set its own CSP owns its framing (its portal's frame-ancestors, and no DENY).
    wanted = STRICT_PAGE if page and "content-security-policy" not in present else EVERY_ANSWER
    return {n: v for n, v in wanted.items() if n.lower() not in present and n.lower() != "content-type"}


def page_response(
    html: str,
    *,
    frame_ancestors: Iterable[str] = (),
    extra_connect_src: Iterable[str] = (),
    max_age: int = 300,
) -> Response:
    """A page (HTML whose scripts and styles are files served by `asset_response`)."""
    headers: dict[str, str | list[str]] = {
        **html_headers(frame_ancestors=frame_ancestors, extra_connect_src=extra_connect_src),
        "Cache-Control": f"public, max-age={max_age}",
    }
    return Response(body=html, status_code=200, headers=headers)


def asset_response(name: str, content: str, max_age: int = 300) -> Response:
    """One of a page's files (name ending .js, .css, ...) with its exact content type."""
    headers: dict[str, str | list[str]] = {**asset_headers(name, max_age)}
    return Response(body=content, status_code=200, headers=headers)
