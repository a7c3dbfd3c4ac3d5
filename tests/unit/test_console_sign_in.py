"""The local identity provider's OpenID Connect endpoints (code + PKCE, once) and the console's
settings and page headers."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from functions.console.headers import content_security_policy
from functions.console.settings import ConsoleSettings
from functions.core.settings import SettingsError
from infra.local.identity import LocalIdentityProvider
from infra.local.oidc import LocalOidc

VERIFIER = "a" * 43 + "-._~" + "b" * 20
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
REQUEST = {
    "client_id": "console",
    "response_type": "code",
    "redirect_uri": "http://127.0.0.1:8000/console",
    "state": "st",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}
HEADERS = [("Host", "127.0.0.1:8000")]


@pytest.fixture
def oidc(tmp_path: Path) -> LocalOidc:
    known = {("department", "D52010001"), ("reviewer", "520100000000")}
    now = [1000.0]

    def check(role: str, scope: str) -> str | None:
        return None if role == "admin" or (role, scope) in known else "目录中没有"

    provider = LocalOidc(
        LocalIdentityProvider(tmp_path), check, lambda: ([("D52010001", "贵阳")], []), clock=lambda: now[0]
    )
    provider.now = now  # type: ignore[attr-defined]
    return provider


def authorize(oidc: LocalOidc, **fields: str) -> tuple[int, dict[str, str], bytes]:
    body = urlencode({**REQUEST, **fields}).encode()
    status, headers, payload = oidc.handle("POST", "/local/oidc/authorize", "", HEADERS, body)
    return status, dict(headers), payload


def redeem(oidc: LocalOidc, code: str, verifier: str = VERIFIER) -> tuple[int, dict[str, object]]:
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "console",
            "redirect_uri": REQUEST["redirect_uri"],
            "code_verifier": verifier,
        }
    ).encode()
    status, _, payload = oidc.handle("POST", "/local/oidc/token", "", HEADERS, body)
    return status, json.loads(payload)


def test_discovery_names_the_endpoints(oidc: LocalOidc) -> None:
    status, _, payload = oidc.handle("GET", "/local/oidc/.well-known/openid-configuration", "", HEADERS, b"")
    document = json.loads(payload)
    assert status == 200
    assert document["authorization_endpoint"] == "http://127.0.0.1:8000/local/oidc/authorize"
    assert document["token_endpoint"] == "http://127.0.0.1:8000/local/oidc/token"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_a_code_is_redeemed_once_with_its_verifier(oidc: LocalOidc) -> None:
    import jwt

    status, headers, _ = authorize(oidc, role="department", scope="D52010001")
    assert status == 302
    back = parse_qs(urlsplit(headers["Location"]).query)
    assert back["state"] == ["st"]
    status, body = redeem(oidc, back["code"][0])
    assert status == 200 and body["token_type"] == "Bearer"
    claims = jwt.decode(str(body["access_token"]), options={"verify_signature": False})
    assert (claims["role"], claims["scope"]) == ("department", "D52010001")
    assert redeem(oidc, back["code"][0])[0] == 400  # once


def test_a_wrong_verifier_or_an_old_code_gets_no_token(oidc: LocalOidc) -> None:
    _, headers, _ = authorize(oidc, role="admin", scope="")
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    status, body = redeem(oidc, code, "c" * 50)
    assert status == 400 and "code_verifier" in str(body["message"])
    assert redeem(oidc, code)[0] == 400  # the code was spent by the wrong attempt
    _, headers, _ = authorize(oidc, role="admin", scope="")
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    oidc.now[0] += 61  # type: ignore[attr-defined]
    status, body = redeem(oidc, code)
    assert status == 400 and body["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "fields",
    [
        {"client_id": "other"},
        {"redirect_uri": "https://evil.example/console"},
        {"redirect_uri": "http://127.0.0.1:8000/elsewhere"},
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"state": ""},
    ],
)
def test_a_request_the_client_did_not_register_is_refused(oidc: LocalOidc, fields: dict[str, str]) -> None:
    status, headers, _ = authorize(oidc, role="admin", scope="", **fields)
    assert status == 400 and "Location" not in headers


@pytest.mark.parametrize(
    ("role", "scope"), [("department", "D59999999"), ("reviewer", "abc"), ("nobody", ""), ("department", "")]
)
def test_a_scope_the_directory_does_not_know_is_refused_on_the_form(
    oidc: LocalOidc, role: str, scope: str
) -> None:
    status, headers, page = authorize(oidc, role=role, scope=scope)
    assert status == 400 and "Location" not in headers
    assert 'role="alert"' in page.decode()


def test_the_login_form_has_the_pages_headers(oidc: LocalOidc) -> None:
    query = urlencode({**REQUEST, "scope": "openid"})
    status, headers, page = oidc.handle("GET", "/local/oidc/authorize", query, HEADERS, b"")
    named = dict(headers)
    assert status == 200
    assert named["Content-Security-Policy"] == content_security_policy()
    assert named["X-Frame-Options"] == "DENY" and named["Referrer-Policy"] == "no-referrer"
    assert "<script" not in page.decode() and "style=" not in page.decode()
    # OAuth's scope ("openid") is not a directory code: the scope box starts empty
    assert 'name="scope" list="scopes" value=""' in page.decode()


def console_env(**extra: str) -> dict[str, str]:
    from infra.provinces import PROVINCES

    return {
        "PROVINCE_CONFIG": PROVINCES["guizhou"].to_json(),
        "OIDC_ISSUER": "https://id.example.gov.cn/guizhou",
        "OIDC_AUTHORIZATION_ENDPOINT": "https://id.example.gov.cn/guizhou/authorize",
        "OIDC_TOKEN_ENDPOINT": "https://id.example.gov.cn/guizhou/token",
        "OIDC_CLIENT_ID": "console",
        "CONSOLE_UPLOAD_ORIGINS": "https://b.s3.ap-east-1.amazonaws.com,https://b.s3.amazonaws.com",
        **extra,
    }


def test_the_page_may_call_the_token_endpoint_and_the_bucket_only() -> None:
    settings = ConsoleSettings.from_env(console_env())
    policy = content_security_policy(settings.connect_origins)
    assert (
        "connect-src 'self' https://b.s3.amazonaws.com https://b.s3.ap-east-1.amazonaws.com "
        "https://id.example.gov.cn;" in policy
    )
    assert settings.public_config()["oidc"] == {
        "issuer": "https://id.example.gov.cn/guizhou",
        "authorization_endpoint": "https://id.example.gov.cn/guizhou/authorize",
        "token_endpoint": "https://id.example.gov.cn/guizhou/token",
        "client_id": "console",
    }


@pytest.mark.parametrize(
    "missing", ["OIDC_ISSUER", "OIDC_TOKEN_ENDPOINT", "OIDC_CLIENT_ID", "CONSOLE_UPLOAD_ORIGINS"]
)
def test_every_console_setting_is_required(missing: str) -> None:
    env = console_env()
    del env[missing]
    with pytest.raises(SettingsError, match=missing):
        ConsoleSettings.from_env(env)
