"""The local identity provider's OpenID Connect side: discovery, an authorization endpoint with a small
login form (a role and a scope from the directory), and a token endpoint that redeems a code once, with
its PKCE verifier (S256). The console signs in here exactly as it signs in with a province's provider
in AWS; only the login form stands in for the province's real one (no password: the local stack is a
laptop's).

Served by the local gateway under `/local/oidc/` (API.md, Console); tokens are signed by the same key
as `python -m infra.local token`, so the authorizer accepts them."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from infra.local.identity import JWKS_PATH, LocalIdentityProvider

PREFIX = "/local/oidc"
DISCOVERY_PATH = f"{PREFIX}/.well-known/openid-configuration"
AUTHORIZE_PATH = f"{PREFIX}/authorize"
TOKEN_PATH = f"{PREFIX}/token"
CLIENT_ID = "console"  # API.md: the client id for local use
CODE_SECONDS = 60
ROLES = {"department": "部门经办人", "reviewer": "政务服务管理机构审核人", "admin": "管理员"}

Answer = tuple[int, list[tuple[str, str]], bytes]
# (role, scope) → None when the directory knows the scope for that role, else why not (Chinese)
ScopeCheck = Callable[[str, str], str | None]
# (code, name) pairs the form suggests for departments and for regions
Suggestions = Callable[[], tuple[list[tuple[str, str]], list[tuple[str, str]]]]


def page_headers() -> list[tuple[str, str]]:
    from functions.console.headers import page_headers as console_page_headers

    return list(console_page_headers().items())


@dataclass(frozen=True)
class _Grant:
    redirect_uri: str
    challenge: str
    role: str
    scope: str
    expires: float


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _json(status: int, body: dict[str, object], extra: Iterable[tuple[str, str]] = ()) -> Answer:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *extra]
    return status, [*headers, ("Content-Length", str(len(payload)))], payload


def _oauth_error(status: int, code: str, description: str) -> Answer:
    """RFC 6749 §5.2's shape (what an OIDC client reads), with the contract's `error`/`message` too."""
    return _json(status, {"error": code, "error_description": description, "message": description})


class LocalOidc:
    def __init__(
        self,
        identity: LocalIdentityProvider,
        check_scope: ScopeCheck,
        suggestions: Suggestions,
        token_seconds: float = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._identity = identity
        self._check_scope = check_scope
        self._suggestions = suggestions
        self._token_seconds = token_seconds
        self._clock = clock
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # --- what the console reads -----------------------------------------------------------------

    def endpoints(self, base_url: str) -> dict[str, str]:
        return {
            "issuer": self._identity.issuer,
            "authorization_endpoint": f"{base_url}{AUTHORIZE_PATH}",
            "token_endpoint": f"{base_url}{TOKEN_PATH}",
            "jwks_uri": f"{base_url}{JWKS_PATH}",
        }

    def handle(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> Answer:
        host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
        base_url = f"http://{host}"
        if path == DISCOVERY_PATH and method == "GET":
            return _json(
                200,
                {
                    **self.endpoints(base_url),
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code"],
                    "code_challenge_methods_supported": ["S256"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                },
            )
        if path == AUTHORIZE_PATH and method == "GET":
            return self._authorize_form(parse_qs(query), None)
        if path == AUTHORIZE_PATH and method == "POST":
            return self._authorize_post(parse_qs(body.decode("utf-8", "replace")))
        if path == TOKEN_PATH and method == "POST":
            return self._token(parse_qs(body.decode("utf-8", "replace")))
        return _json(404, {"error": "not_found", "message": f"no route for {method} {path}"})

    # --- the authorization endpoint -------------------------------------------------------------

    @staticmethod
    def _one(params: dict[str, list[str]], name: str) -> str:
        values = params.get(name) or [""]
        return values[0]

    def _request_problem(self, params: dict[str, list[str]]) -> str | None:
        if self._one(params, "client_id") != CLIENT_ID:
            return "未知的客户端（client_id 应为 console）"
        if self._one(params, "response_type") != "code":
            return "只支持授权码模式（response_type=code）"
        if self._one(params, "code_challenge_method") != "S256" or not self._one(params, "code_challenge"):
            return "需要 PKCE（code_challenge_method=S256）"
        redirect = urlsplit(self._one(params, "redirect_uri"))
        # The console is the only registered client: it comes back to /console on a loopback host.
        loopback = redirect.scheme == "http" and redirect.hostname in {"127.0.0.1", "localhost"}
        if not loopback or redirect.path.rstrip("/") != "/console":
            return "回调地址未登记（redirect_uri）"
        if not self._one(params, "state"):
            return "缺少 state"
        return None

    def _authorize_form(self, params: dict[str, list[str]], problem: str | None) -> Answer:
        refused = self._request_problem(params)
        if refused:
            return self._page(400, f'<h1>无法登录</h1><p role="alert">{html.escape(refused)}</p>')
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(self._one(params, name))}">'
            for name in (
                "client_id",
                "response_type",
                "redirect_uri",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
        )
        chosen_role = self._one(params, "role") or "department"
        roles = "".join(
            f'<option value="{r}"{" selected" if r == chosen_role else ""}>{label}</option>'
            for r, label in ROLES.items()
        )
        departments, regions = self._suggestions()
        options = "".join(
            f'<option value="{html.escape(code)}">{html.escape(name)}</option>'
            for code, name in [*departments, *regions]
        )
        alert = f'<p class="error" role="alert">{html.escape(problem)}</p>' if problem else ""
        # On the first visit `scope` is OAuth's (e.g. "openid"), not a directory code: only a form sent
        # back with a problem keeps what the person typed.
        scope = html.escape(self._one(params, "scope")) if problem else ""
        body = (
            "<h1>本地身份认证</h1><p>选择角色和范围（部门代码或行政区划代码）登录政务服务“好差评”工作台。</p>"
            f'{alert}<form method="post" action="{AUTHORIZE_PATH}" class="card">{hidden}'
            f'<label for="role">角色</label><select id="role" name="role">{roles}</select>'
            f'<label for="scope">范围（部门代码或区划代码；管理员留空）</label>'
            f'<input id="scope" name="scope" list="scopes" value="{scope}" autocomplete="off">'
            f'<datalist id="scopes">{options}</datalist>'
            '<button type="submit" id="sign-in">登录</button></form>'
        )
        return self._page(200 if not problem else 400, body)

    def _page(self, status: int, body: str) -> Answer:
        document = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>登录 · 好差评工作台</title>"
            '<link rel="stylesheet" href="/console/assets/console.css"></head>'
            f'<body><main class="narrow">{body}</main></body></html>'
        ).encode()
        headers = [*page_headers(), ("Cache-Control", "no-store"), ("Content-Length", str(len(document)))]
        return status, headers, document

    def _authorize_post(self, params: dict[str, list[str]]) -> Answer:
        from functions.core.domain.errors import Unauthenticated
        from functions.core.domain.scopes import person

        refused = self._request_problem(params)
        if refused:
            return self._page(400, f'<h1>无法登录</h1><p role="alert">{html.escape(refused)}</p>')
        role, scope = self._one(params, "role"), self._one(params, "scope").strip()
        try:
            who = person(role, scope or None)  # the authorizer's own checks
        except Unauthenticated:
            return self._authorize_form(params, "角色或范围不正确：部门填部门代码，审核人填行政区划代码")
        unknown = self._check_scope(who.role.value, who.scope or "")
        if unknown:
            return self._authorize_form(params, unknown)
        code = secrets.token_urlsafe(24)
        grant = _Grant(
            self._one(params, "redirect_uri"),
            self._one(params, "code_challenge"),
            who.role.value,
            who.scope or "",
            self._clock() + CODE_SECONDS,
        )
        with self._lock:
            now = self._clock()
            self._grants = {k: g for k, g in self._grants.items() if g.expires > now}
            self._grants[code] = grant
        query = urlencode({"code": code, "state": self._one(params, "state")})
        separator = "&" if "?" in grant.redirect_uri else "?"
        location = f"{grant.redirect_uri}{separator}{query}"
        return 302, [("Location", location), ("Cache-Control", "no-store"), ("Content-Length", "0")], b""

    # --- the token endpoint ---------------------------------------------------------------------

    def _token(self, params: dict[str, list[str]]) -> Answer:
        if self._one(params, "grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", "only authorization_code")
        if self._one(params, "client_id") != CLIENT_ID:
            return _oauth_error(401, "invalid_client", "unknown client")
        with self._lock:
            grant = self._grants.pop(self._one(params, "code"), None)  # a code is redeemed once
        if grant is None or grant.expires <= self._clock():
            return _oauth_error(400, "invalid_grant", "the code is unknown, used or expired")
        if self._one(params, "redirect_uri") != grant.redirect_uri:
            return _oauth_error(400, "invalid_grant", "redirect_uri differs from the authorization request")
        verifier = self._one(params, "code_verifier")
        if not 43 <= len(verifier) <= 128 or not secrets.compare_digest(_s256(verifier), grant.challenge):
            return _oauth_error(400, "invalid_grant", "the code_verifier does not match the code_challenge")
        hours = self._token_seconds / 3600
        token = self._identity.token(grant.role, grant.scope or None, hours=hours)
        return _json(
            200,
            {
                "access_token": token,
                "id_token": token,
                "token_type": "Bearer",
                "expires_in": int(self._token_seconds),
                "scope": "openid",
            },
            extra=[("Pragma", "no-cache")],
        )


# --- the local stack's wiring -------------------------------------------------------------------


def for_stack(
    identity: LocalIdentityProvider,
    ask: Callable[[str], int],
    directory_csv: str,
    token_seconds: float = 3600,
) -> LocalOidc:
    """The provider the local stack serves: a scope is checked against the live directory through the
    API itself (`ask(path)` → the status of a channel's GET), the form suggests the demo directory's
    departments and regions."""
    import csv
    import io

    def check_scope(role: str, scope: str) -> str | None:
        if role == "department" and ask(f"/v1/directory/department/{scope}") != 200:
            return "目录中没有这个部门代码"
        if role == "reviewer" and ask(f"/v1/directory/region/{scope}") != 200:
            return "目录中没有这个行政区划代码"
        return None

    rows = list(csv.DictReader(io.StringIO(directory_csv)))
    departments = [(r["code"], f"{r['code']} {r['name']}（部门）") for r in rows if r["kind"] == "department"]
    regions = [(r["code"], f"{r['code']} {r['name']}（区划）") for r in rows if r["kind"] == "region"]
    return LocalOidc(identity, check_scope, lambda: (departments, regions), token_seconds=token_seconds)


def console_environment(oidc: LocalOidc, base_url: str, upload_origin: str) -> dict[str, str]:
    """What the console function reads in the local stack: this provider, and moto's S3 for uploads."""
    endpoints = oidc.endpoints(base_url)
    return {
        "OIDC_ISSUER": endpoints["issuer"],
        "OIDC_AUTHORIZATION_ENDPOINT": endpoints["authorization_endpoint"],
        "OIDC_TOKEN_ENDPOINT": endpoints["token_endpoint"],
        "OIDC_CLIENT_ID": CLIENT_ID,
        "CONSOLE_UPLOAD_ORIGINS": upload_origin,
    }
