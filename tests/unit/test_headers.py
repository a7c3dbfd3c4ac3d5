"""The header policy's text: what every page and every answer is sent with."""

from __future__ import annotations

import pytest

from functions.core.domain.province import ProvinceConfig
from functions.core.http.headers import html_headers, missing_headers
from infra.provinces import GUIZHOU


def test_the_page_policy_is_the_projects() -> None:
    assert html_headers() == {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def test_a_page_may_name_the_origins_its_scripts_call() -> None:
    policy = html_headers(extra_connect_src=("https://idp.example.gov.cn",))["Content-Security-Policy"]
    assert "connect-src 'self' https://idp.example.gov.cn;" in policy


def test_what_an_answer_set_itself_is_kept() -> None:
    assert missing_headers(["Content-Type", "Content-Security-Policy"], "text/html") == {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    assert missing_headers(["Content-Type"], "text/html")["X-Frame-Options"] == "DENY"
    assert missing_headers(["content-type"], "application/json") == {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


@pytest.mark.parametrize(
    "origin", ["http://zwfw.gov.cn", "https://*.gov.cn", "https://a.gov.cn/path", "'self'"]
)
def test_a_portal_origin_is_an_https_origin_only(origin: str) -> None:
    data = {**__import__("json").loads(GUIZHOU.to_json()), "portal_origins": [origin]}
    with pytest.raises(ValueError):
        ProvinceConfig.from_dict(data)
