"""A local stand-in for API Gateway (REST API, Lambda proxy integration) in front of Chalice apps.

The local stack must hand our Chalice apps the same proxy events that API Gateway would, so that
a route which works on a laptop works behind the real gateway. Chalice's own dev server
(``chalice.local``) serves one app, routes by sorted string order instead of API Gateway's
"literal before parameter" rule, and builds a reduced event; this module builds the full REST API
v1 event and serves several apps (one per Lambda function) behind one port, as the deployed stack
does behind one REST API.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from functions.core.http.app import Access

if TYPE_CHECKING:
    import chalice

logger = logging.getLogger("haochaping.local.gateway")

LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_API_ID = "local"
# API Gateway refuses request payloads above 10 MB before any Lambda runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# API Gateway waits at most 29 s for an integration; the context's clock should say the same.
INTEGRATION_TIMEOUT_MS = 29_000

_TEXTUAL_TYPES = frozenset(
    {
        "application/json",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/javascript",
    }
)
_ERROR_HEADERS = (("Content-Type", "application/json"),)

Response = tuple[int, list[tuple[str, str]], bytes]
# method, path, query string, headers, body → an HTTP answer (infra.local.oidc.LocalOidc.handle)
LocalService = Callable[[str, str, str, list[tuple[str, str]], bytes], Response]


def partition_for(region: str) -> str:
    """ARNs must carry the partition, or handlers that parse them break in the China regions."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def default_region() -> str:
    """Read when a gateway or poller is built, never at import, so tests can set the env first."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class LambdaContext:
    """The attributes and clock of Lambda's context object.

    Handlers (and Powertools' logger) read these; a plain dict or ``None`` would pass locally and
    crash in AWS, or the reverse.
    """

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(
        self,
        function_name: str,
        *,
        region: str,
        memory_limit_in_mb: int = 512,
        timeout_ms: int = INTEGRATION_TIMEOUT_MS,
    ) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = (
            f"arn:{partition_for(region)}:lambda:{region}:{LOCAL_ACCOUNT_ID}:function:{function_name}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(
    status: int,
    code: str,
    message: str,
    extra: Iterable[tuple[str, str]] = (),
    fields: Mapping[str, str] | None = None,
) -> Response:
    """An answer from the gateway itself, in the contract's error shape."""
    document: dict[str, Any] = {"error": code, "message": message}
    if fields:
        document["fields"] = dict(fields)
    body = json.dumps(document).encode()
    return status, [*_ERROR_HEADERS, *extra, ("Content-Length", str(len(body)))], body


def _refusal(gateway_response: str) -> Response:
    """One of API Gateway's own refusals, as the deployed gateway responses answer it."""
    from functions.core.http.gateway_answers import GATEWAY_ANSWERS, WWW_AUTHENTICATE

    answer = GATEWAY_ANSWERS[gateway_response]
    extra = [("x-amzn-ErrorType", gateway_response)]
    if answer.status == 401:
        extra.append(("WWW-Authenticate", WWW_AUTHENTICATE))
    return _error(answer.status, answer.error, answer.message, extra=extra)


@dataclass
class _Resource:
    """One API Gateway resource: a path template and the methods that apps declared on it."""

    template: str
    segments: tuple[str, ...]
    methods: dict[str, tuple[chalice.Chalice, Access]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Match:
    resource: _Resource
    path_parameters: dict[str, str]


def _split(path: str) -> tuple[str, ...]:
    stripped = path.strip("/")
    return tuple(stripped.split("/")) if stripped else ()


def _segment_rank(segment: str) -> int:
    """Lower is more specific: API Gateway prefers literal segments, then {param}, then {proxy+}."""
    if segment.startswith("{") and segment.endswith("+}"):
        return 2
    if segment.startswith("{") and segment.endswith("}"):
        return 1
    return 0


def _match_segments(template: tuple[str, ...], raw: tuple[str, ...]) -> dict[str, str] | None:
    """Match raw (still percent-encoded) segments, so an encoded '/' stays inside one parameter."""
    params: dict[str, str] = {}
    for index, segment in enumerate(template):
        rank = _segment_rank(segment)
        if rank == 2:
            rest = raw[index:]
            if not rest or any(part == "" for part in rest):
                return None
            params[segment[1:-2]] = unquote("/".join(rest))
            return params
        if index >= len(raw):
            return None
        if rank == 1:
            if raw[index] == "":
                return None
            params[segment[1:-1]] = unquote(raw[index])
        elif unquote(raw[index]) != segment:
            return None
    return params if len(template) == len(raw) else None


def _is_textual(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        media_type == ""
        or media_type.startswith("text/")
        or media_type in _TEXTUAL_TYPES
        or media_type.endswith("+json")
        or media_type.endswith("+xml")
    )


def _is_binary_for(app: chalice.Chalice, content_type: str | None) -> bool:
    """Chalice deploys the app's binary_types as the API's binaryMediaTypes; those arrive base64."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in {t.lower() for t in app.api.binary_types}


def _parse_query(query: str) -> dict[str, list[str]]:
    """Decode %-escapes as API Gateway does, keeping blank values and leaving '+' alone."""
    params: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        params.setdefault(unquote(name), []).append(unquote(value))
    return params


def _policy_allows(policy: Any, method_arn: str) -> bool:
    """Evaluate an IAM policy for execute-api:Invoke on one ARN: any Deny wins, else any Allow."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action") or []
        resources = statement.get("Resource") or []
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        if not any(_arn_glob(r).fullmatch(method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _arn_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*?".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*")))


class LocalApiGateway:
    """Routes HTTP requests to Chalice apps as API Gateway's REST API with proxy integration does."""

    def __init__(
        self,
        apps: Sequence[chalice.Chalice] | Mapping[str, chalice.Chalice],
        *,
        stage: str = "local",
        region: str | None = None,
        memory_limit_in_mb: int = 512,
        api_keys: Mapping[str, str] | None = None,
        authorizer: Callable[[dict[str, Any], Any], Any] | None = None,
        documents: Mapping[str, bytes] | None = None,
        services: Mapping[str, LocalService] | None = None,
    ) -> None:
        """`apps`: function name → app (or apps named by their app_name). The routes served are
        `topology.routes_of(apps, include_local=True)`: the same derivation that tells the CDK app what
        to deploy, so what runs here is what API Gateway declares plus the local-only routes.

        Each route's `Access` is enforced as API Gateway enforces it: `api_keys` (key → key id) are the
        keys of the usage plans; `authorizer` is the Lambda REQUEST authorizer of person routes (by
        default the project's, functions.core.http.authorizer); `documents` are extra GET paths served
        as JSON by the gateway itself (the local identity provider's key set)."""
        from infra.topology import routes_of

        self._api_keys = dict(api_keys or {})
        self._authorizer = authorizer
        self._documents = dict(documents or {})
        self._services = dict(services or {})
        self._stage = stage
        self._region = region or default_region()
        self._memory_limit_in_mb = memory_limit_in_mb
        by_name = dict(apps) if isinstance(apps, Mapping) else {app.app_name: app for app in apps}
        # A Chalice app keeps current_request on itself, so one app must not serve two requests at
        # once; Lambda gives each concurrent request its own execution environment, so serialising
        # per app changes timing only, never what a handler sees.
        self._app_locks: dict[int, threading.Lock] = {id(app): threading.Lock() for app in by_name.values()}
        by_template: dict[str, _Resource] = {}
        for route in routes_of(by_name, include_local=True):
            resource = by_template.get(route.path)
            if resource is None:
                resource = by_template[route.path] = _Resource(route.path, _split(route.path))
            resource.methods[route.method] = (by_name[route.function], Access(route.access))
        self._resources = list(by_template.values())

    def _match(self, raw_path: str) -> _Match | None:
        raw_segments = _split(raw_path)
        candidates: list[tuple[tuple[int, ...], _Match]] = []
        for resource in self._resources:
            if not resource.methods:
                continue
            params = _match_segments(resource.segments, raw_segments)
            if params is not None:
                rank = tuple(_segment_rank(s) for s in resource.segments)
                candidates.append((rank, _Match(resource, params)))
        if not candidates:
            return None
        # Compare segment by segment: the first more specific segment wins, as in API Gateway.
        return min(candidates, key=lambda c: c[0])[1]

    def handle(
        self,
        method: str,
        raw_path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
        source_ip: str = "127.0.0.1",
    ) -> Response:
        """Answer one HTTP request as API Gateway would; headers may repeat as (name, value) pairs."""
        method = method.upper()
        path, _, query = raw_path.partition("?")
        path = path or "/"
        header_pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
        if len(body) > MAX_PAYLOAD_BYTES:
            return _error(413, "too_large", "request body exceeds API Gateway's 10 MB limit")
        if method == "GET" and path in self._documents:
            document = self._documents[path]
            return 200, [*_ERROR_HEADERS, ("Content-Length", str(len(document)))], document
        for prefix, service in self._services.items():
            if path.startswith(prefix):
                return service(method, path, query, header_pairs, body)
        match = self._match(path)
        if match is None:
            return _error(404, "not_found", f"no route for {method} {path}")
        target = match.resource.methods.get(method) or match.resource.methods.get("ANY")
        if target is None:
            allowed = ", ".join(sorted(match.resource.methods))
            return _error(
                405,
                "method_not_allowed",
                f"{method} is not allowed on {match.resource.template}",
                extra=[("Allow", allowed)],
            )
        app, access = target
        event = self._event(app, method, path, query, header_pairs, body, source_ip, match)
        refused = self._admit(access, event)
        if refused is not None:
            return refused
        context = LambdaContext(
            app.app_name, region=self._region, memory_limit_in_mb=self._memory_limit_in_mb
        )
        try:
            with self._app_locks[id(app)]:
                # Lambda hands the function a JSON document and serialises its answer, so neither
                # side may lean on Python objects that would not survive that trip.
                result = app(json.loads(json.dumps(event)), context)
                result = json.loads(json.dumps(result))
        except Exception as exc:  # a crashed Lambda is a 502 at the gateway, whatever it was
            logger.error(
                "function %s crashed on %s %s\n%s",
                app.app_name,
                method,
                match.resource.template,
                traceback.format_exc(),
            )
            return _error(502, "bad_gateway", f"function {app.app_name} failed: {type(exc).__name__}")
        try:
            return self._http_response(result, context.aws_request_id, method)
        except (TypeError, ValueError, binascii.Error) as exc:
            logger.error("function %s returned a malformed proxy response: %s", app.app_name, exc)
            return _error(502, "bad_gateway", f"function {app.app_name} returned a malformed response")

    def _admit(self, access: Access, event: dict[str, Any]) -> Response | None:
        """Check the route's credentials before the function sees anything, as API Gateway does, and put
        what it learnt where API Gateway puts it: `requestContext.identity.apiKeyId` for a channel,
        `requestContext.authorizer` for a person. None lets the request through."""
        if access in (Access.PUBLIC, Access.LOCAL):
            return None
        has_token = any(name.lower() == "authorization" for name in event["headers"])
        either = (Access.CHANNEL_OR_PERSON, Access.CHANNEL_OR_DEVICE)
        if access in (Access.PERSON, Access.DEVICE) or (access in either and has_token):
            return self._authorize(event)
        return self._check_api_key(event)

    def _check_api_key(self, event: dict[str, Any]) -> Response | None:
        key = next((v for k, v in event["headers"].items() if k.lower() == "x-api-key"), None)
        key_id = self._api_keys.get(key) if key else None
        if key_id is None:
            return _refusal("INVALID_API_KEY")
        identity = event["requestContext"]["identity"]
        identity["apiKey"], identity["apiKeyId"] = key, key_id
        return None

    def _authorize(self, event: dict[str, Any]) -> Response | None:
        """Run the REQUEST authorizer (identity source: the Authorization header) as API Gateway does."""
        if not any(name.lower() == "authorization" and value for name, value in event["headers"].items()):
            return _refusal("UNAUTHORIZED")  # API Gateway does not even call the authorizer
        context = event["requestContext"]
        method_arn = (
            f"arn:{partition_for(self._region)}:execute-api:{self._region}:{LOCAL_ACCOUNT_ID}:"
            f"{LOCAL_API_ID}/{self._stage}/{event['httpMethod']}/{event['path'].lstrip('/')}"
        )
        auth_event = {
            "type": "REQUEST",
            "methodArn": method_arn,
            **{k: event[k] for k in ("resource", "path", "httpMethod", "headers", "multiValueHeaders")},
            **{k: event[k] for k in ("queryStringParameters", "multiValueQueryStringParameters")},
            "pathParameters": event["pathParameters"],
            "stageVariables": event["stageVariables"],
            "requestContext": context,
        }
        auth_context = LambdaContext(
            "authorizer", region=self._region, memory_limit_in_mb=self._memory_limit_in_mb
        )
        try:
            result = json.loads(json.dumps(self._authorizer_handler()(auth_event, auth_context)))
        except Exception as exc:
            # A Lambda authorizer signals "no" by failing with exactly this message.
            if str(exc) == "Unauthorized":
                return _refusal("UNAUTHORIZED")
            logger.error("the authorizer failed\n%s", traceback.format_exc())
            return _refusal("AUTHORIZER_FAILURE")
        if not isinstance(result, dict) or not _policy_allows(result.get("policyDocument"), method_arn):
            return _refusal("ACCESS_DENIED")
        granted = {
            str(k): v if isinstance(v, (str, int, float, bool)) else json.dumps(v)
            for k, v in (result.get("context") or {}).items()
        }
        context["authorizer"] = {"principalId": result.get("principalId"), **granted}
        return None

    def _authorizer_handler(self) -> Callable[[dict[str, Any], Any], Any]:
        if self._authorizer is None:
            from functions.core.http.authorizer import handler

            self._authorizer = handler
        return self._authorizer

    def _event(
        self,
        app: chalice.Chalice,
        method: str,
        path: str,
        query: str,
        header_pairs: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        match: _Match,
    ) -> dict[str, Any]:
        multi_headers: dict[str, list[str]] = {}
        spelling: dict[str, str] = {}
        for name, value in header_pairs:
            key = spelling.setdefault(name.lower(), name)
            multi_headers.setdefault(key, []).append(value)
        # API Gateway appends the caller's address, which handlers use for audit and throttling.
        forwarded = spelling.setdefault("x-forwarded-for", "X-Forwarded-For")
        multi_headers.setdefault(forwarded, []).append(source_ip)
        if len(multi_headers[forwarded]) > 1:
            multi_headers[forwarded] = [", ".join(multi_headers[forwarded])]
        single_headers = {name: values[-1] for name, values in multi_headers.items()}
        lowered = {name.lower(): value for name, value in single_headers.items()}
        content_type = lowered.get("content-type")

        multi_query = _parse_query(query)
        event_body: str | None = None
        is_base64 = False
        if body:
            text: str | None = None
            if _is_textual(content_type) and not _is_binary_for(app, content_type):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
            if text is None:
                event_body, is_base64 = base64.b64encode(body).decode("ascii"), True
            else:
                event_body = text
        now = time.time()
        template = match.resource.template
        return {
            "resource": template,
            "path": path,
            "httpMethod": method,
            "headers": single_headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": match.path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": LOCAL_API_ID,
                "resourcePath": template,
                "httpMethod": method,
                "extendedRequestId": uuid.uuid4().hex[:16],
                "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{self._stage}{path}",
                "accountId": LOCAL_ACCOUNT_ID,
                "protocol": "HTTP/1.1",
                "stage": self._stage,
                "domainPrefix": lowered.get("host", "localhost").split(".", 1)[0],
                "requestTimeEpoch": int(now * 1000),
                "requestId": str(uuid.uuid4()),
                "identity": {
                    "cognitoIdentityPoolId": None,
                    "accountId": None,
                    "cognitoIdentityId": None,
                    "caller": None,
                    "sourceIp": source_ip,
                    "principalOrgId": None,
                    "accessKey": None,
                    "cognitoAuthenticationType": None,
                    "cognitoAuthenticationProvider": None,
                    "userArn": None,
                    "userAgent": lowered.get("user-agent"),
                    "user": None,
                },
                "domainName": lowered.get("host", "localhost"),
                "apiId": LOCAL_API_ID,
            },
            "body": event_body,
            "isBase64Encoded": is_base64,
        }

    @staticmethod
    def _http_response(result: Any, request_id: str, method: str) -> Response:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            raise TypeError("a proxy response needs an integer statusCode")
        status = result["statusCode"]
        single = result.get("headers") or {}
        multi = result.get("multiValueHeaders") or {}
        if not isinstance(single, dict) or not isinstance(multi, dict):
            raise TypeError("headers and multiValueHeaders must be objects")
        # API Gateway merges the two maps; a name in multiValueHeaders takes its values from there.
        merged: list[tuple[str, str]] = []
        multi_names = {name.lower() for name in multi}
        for name, value in single.items():
            if name.lower() not in multi_names:
                merged.append((name, str(value)))
        for name, values in multi.items():
            merged.extend((name, str(v)) for v in values)
        body = result.get("body")
        if body is None:
            payload = b""
        elif not isinstance(body, str):
            raise TypeError("body must be a string")
        elif result.get("isBase64Encoded"):
            payload = base64.b64decode(body, validate=True)
        else:
            payload = body.encode("utf-8")
        merged = [(n, v) for n, v in merged if n.lower() not in {"content-length", "transfer-encoding"}]
        if not any(n.lower() == "content-type" for n, _ in merged):
            merged.append(("Content-Type", "application/json"))
        merged.append(("x-amzn-RequestId", request_id))
        merged.append(("Content-Length", str(len(payload))))
        return status, merged, payload


# The gateway's own refusals, before any function runs (http.server's send_error), in the contract's
# shape. Messages are fixed: http.server's own quote the request line, which may hold personal data.
_PROTOCOL_ERRORS: dict[int, tuple[str, str]] = {
    400: ("validation", "the request line or headers are malformed"),
    408: ("timeout", "the request was not received in time"),
    413: ("too_large", "the request body is too large"),
    414: ("too_large", "the request URI is too long"),
    431: ("too_large", "the request headers are too large or too many"),
    501: ("not_implemented", "the request method is not supported"),
    505: ("http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served"),
}


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog: socketserver's default of 5 resets connections in a burst of 20 (a hall's
    # tablets after a network blip, the e2e and bench tiers); API Gateway queues them.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], gateway: LocalApiGateway) -> None:
        self.gateway = gateway
        super().__init__(address, _GatewayRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print to stderr; keep it in our logger, where levels apply.
        logger.debug("gateway connection from %s failed", client_address[0], exc_info=True)


class _GatewayRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "haochaping-local-gateway"
    # An idle keep-alive connection must not pin a thread forever.
    timeout = 30
    server: _GatewayServer

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler dispatches on do_<METHOD>; API Gateway takes any method token and
        # answers one no route declares itself (405), so every token reaches the gateway.
        if name.startswith("do_") and len(name) > 3:
            return self._dispatch
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (malformed request line, headers too large, ...) as JSON in the
        contract's shape instead of its HTML page."""
        error, text = _PROTOCOL_ERRORS.get(code, ("error", "the request was refused"))
        document: dict[str, Any] = {"error": error, "message": text}
        if error == "validation":
            document["fields"] = {"request": text}
        body = json.dumps(document).encode()
        self.close_connection = True
        # A request line too broken to name its version gets an HTTP/1.1 answer all the same (http.server
        # would send the bare body of an HTTP/0.9 reply, with no status line).
        self.request_version = "HTTP/1.1"
        try:
            reason = HTTPStatus(code).phrase
        except ValueError:
            reason = "Error"
        self.send_response(code, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_PAYLOAD_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self._send(
                *_error(400, "validation", "malformed request body framing", fields={"body": "bad framing"})
            )
            self.close_connection = True
            return
        if body is None:
            self._send(*_error(413, "too_large", "request body exceeds API Gateway's 10 MB limit"))
            self.close_connection = True
            return
        # Framing headers describe this hop only; API Gateway does not forward them.
        headers = [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in {"transfer-encoding", "connection", "keep-alive"}
        ]
        status, response_headers, payload = self.server.gateway.handle(
            self.command, self.path, headers, body, source_ip=self.client_address[0]
        )
        self._send(status, response_headers, payload)

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The request line carries the query string, which may hold personal data: log the path only.
        # A malformed request line leaves command and path unset.
        path = getattr(self, "path", None) or "-"
        logger.debug("%s %s -> %s", getattr(self, "command", None) or "-", path.split("?", 1)[0], code)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server's messages quote the raw request line, query string included: keep the code only.
        code = args[0] if args and isinstance(args[0], int) else "-"
        logger.debug("gateway rejected a request at the HTTP level (status %s)", code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("gateway HTTP server message suppressed (may quote the request line)")


class ServerHandle:
    """A running gateway server; ``port`` is the bound one, so callers may ask for port 0."""

    def __init__(self, server: _GatewayServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.host, self.port = server.server_address[:2]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def shutdown(self, timeout: float = 5) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()


def serve(gateway: LocalApiGateway, host: str, port: int) -> ServerHandle:
    """Serve the gateway over HTTP from a daemon thread, so the caller keeps its own thread."""
    server = _GatewayServer((host, port), gateway)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-gateway", daemon=True
    )
    thread.start()
    logger.debug("local gateway listening on %s:%s", *server.server_address[:2])
    return ServerHandle(server, thread)
