"""One header policy on every answer: the app factory's, the local gateway's own refusals, pages and
their files; the deployed gateway responses are held by tests/infra/test_api.py."""

from __future__ import annotations

from typing import Any

import pytest
from chalice import Response

from functions.core.domain.errors import NotFound
from functions.core.http.app import Access, create_app
from functions.core.http.headers import asset_response, page_response
from infra.local.gateway import LocalApiGateway

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture(scope="module")
def gateway() -> LocalApiGateway:
    app = create_app("pages")

    @app.route("/v1/thing", access=Access.PUBLIC)
    def thing() -> Any:
        return {"ok": True}

    @app.route("/v1/missing", access=Access.PUBLIC)
    def missing() -> Any:
        raise NotFound("no such thing")

    @app.route("/v1/broken", access=Access.PUBLIC)
    def broken() -> Any:
        raise RuntimeError("a fault")

    @app.route("/bare", access=Access.PUBLIC)
    def bare() -> Response:  # a page that forgot its policy
        return Response(body="<p>页</p>", status_code=200, headers={"Content-Type": "text/html"})

    @app.route("/embedded", access=Access.PUBLIC)
    def embedded() -> Response:
        return page_response("<p>页</p>", frame_ancestors=("https://zwfw.example.gov.cn",))

    @app.route("/page.js", access=Access.PUBLIC)
    def script() -> Response:
        return asset_response("page.js", "void 0;")

    @app.route("/v1/keyed", access=Access.CHANNEL)
    def keyed() -> Any:
        return {"ok": True}

    return LocalApiGateway([app], api_keys={"k": "key-id"})


def _headers(answer: tuple[int, list[tuple[str, str]], bytes]) -> dict[str, str]:
    return {name.lower(): value for name, value in answer[1]}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/thing", 200),
        ("GET", "/v1/missing", 404),
        ("GET", "/v1/broken", 500),
        ("GET", "/nowhere", 404),  # the gateway's own
        ("POST", "/v1/thing", 405),
        ("GET", "/v1/keyed", 401),
        ("GET", "/page.js", 200),
    ],
)
def test_every_answer_is_nosniff_with_no_referrer(
    gateway: LocalApiGateway, method: str, path: str, status: int
) -> None:
    answer = gateway.handle(method, path, {}, b"")
    headers = _headers(answer)
    assert answer[0] == status
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_a_page_gets_the_strict_policy_even_when_it_forgot_it(gateway: LocalApiGateway) -> None:
    headers = _headers(gateway.handle("GET", "/bare", {}, b""))
    assert headers["content-security-policy"] == STRICT_CSP
    assert headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in headers["content-security-policy"]


def test_a_page_the_province_embeds_may_be_framed_by_its_portal_only(gateway: LocalApiGateway) -> None:
    headers = _headers(gateway.handle("GET", "/embedded", {}, b""))
    assert "frame-ancestors https://zwfw.example.gov.cn;" in headers["content-security-policy"]
    assert "x-frame-options" not in headers  # DENY would refuse the portal too


def test_a_pages_script_is_served_as_javascript(gateway: LocalApiGateway) -> None:
    headers = _headers(gateway.handle("GET", "/page.js", {}, b""))
    assert headers["content-type"] == "text/javascript; charset=utf-8"
