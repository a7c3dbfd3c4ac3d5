"""The console function: the web workbench of departments, reviewers and admins (API.md, Console).

It serves the page, its one script and one style sheet, and the small configuration the page reads
(where to sign in, which origins it may call). Everything the page does goes through the public API
with the person's own token: this function holds no data and calls nothing."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Response

from functions.console.headers import page_headers
from functions.console.settings import SETTINGS
from functions.core.domain.errors import NotFound
from functions.core.http.api import json_response
from functions.core.http.app import Access, create_app

STATIC = Path(__file__).with_name("static")
# The bundle: each file with its content type (nothing else under static/ is served).
ASSETS = {
    "console.js": "application/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
ASSET_CACHE = "public, max-age=300"

app = create_app("console")


@cache
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@app.route("/console", methods=["GET"], access=Access.PUBLIC)
def console_page() -> Response:
    settings = SETTINGS.get()
    headers = {**page_headers(settings.connect_origins), "Cache-Control": "no-store"}
    return Response(body=_read("console.html"), status_code=200, headers=headers)


@app.route("/console/config", methods=["GET"], access=Access.PUBLIC)
def console_config() -> Response:
    return json_response(SETTINGS.get().public_config(), headers={"Cache-Control": "no-store"})


@app.route("/console/assets/{name}", methods=["GET"], access=Access.PUBLIC)
def console_asset(name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        raise NotFound("no such console asset")
    return Response(
        body=_read(name),
        status_code=200,
        headers={
            "Content-Type": content_type,
            "Cache-Control": ASSET_CACHE,
            "X-Content-Type-Options": "nosniff",
        },
    )
