"""The local gateway hands Chalice the event API Gateway would, directly and over real HTTP."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice import Chalice, Response

from functions.core.http.app import Access, ProjectApp
from infra.local.gateway import LocalApiGateway, serve
from infra.topology import routes_of

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary \x00"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")


def _seen(app: Chalice) -> dict[str, Any]:
    """What a view can observe of its request, returned as the response body."""
    request = app.current_request
    return {
        "resourcePath": request.context["resourcePath"],
        "requestContext": request.context,
        "uri_params": request.uri_params,
        "query_params": (
            None
            if request.query_params is None
            else {k: request.query_params.getlist(k) for k in request.query_params}
        ),
        "headers": dict(request.headers),
        "event": request.to_original_event(),
        "function_name": app.lambda_context.function_name,
        "function_arn": app.lambda_context.invoked_function_arn,
        "remaining_ms": app.lambda_context.get_remaining_time_in_millis(),
    }


def build_ratings_app() -> Chalice:
    app = ProjectApp("rate")

    @app.route("/v1/ratings", access=Access.PUBLIC, methods=["POST"])
    def create_rating() -> Any:
        return {"json_body": app.current_request.json_body, **_seen(app)}

    @app.route("/v1/ratings/latest", access=Access.PUBLIC)
    def latest_rating() -> Any:
        return {"view": "latest", **_seen(app)}

    @app.route("/v1/ratings/{rating_id}", access=Access.PUBLIC, methods=["GET", "DELETE"])
    def get_rating(rating_id: str) -> Any:
        return {"view": "by_id", "rating_id": rating_id, **_seen(app)}

    @app.route(
        "/v1/ratings/{rating_id}/photo",
        access=Access.PUBLIC,
        methods=["PUT"],
        content_types=["application/octet-stream"],
    )
    def put_photo(rating_id: str) -> Any:
        raw = app.current_request.raw_body
        return {"size": len(raw), "matches": raw == PNG_BYTES, **_seen(app)}

    @app.route("/v1/ratings/{rating_id}/photo", access=Access.PUBLIC, methods=["GET"])
    def get_photo(rating_id: str) -> Response:
        return Response(body=PNG_BYTES, headers={"Content-Type": "application/octet-stream"})

    @app.route("/v1/echo", access=Access.PUBLIC, methods=["POST"], content_types=["*/*"])
    def echo() -> Any:
        return {"raw_hex": app.current_request.raw_body.hex(), **_seen(app)}

    @app.route("/v1/broken/unserialisable", access=Access.PUBLIC)
    def unserialisable() -> Any:
        # Chalice serialises the answer after its own error handling, so this escapes the function.
        return {"when": object()}

    @app.route("/v1/broken/raises", access=Access.PUBLIC)
    def raises() -> Any:
        raise RuntimeError("boom with personal data 13800000000")

    return app


def build_tickets_app() -> Chalice:
    app = ProjectApp("tickets")

    @app.route("/v1/tickets/{ticket_id}", access=Access.PUBLIC)
    def get_ticket(ticket_id: str) -> Any:
        return {"ticket_id": ticket_id, **_seen(app)}

    @app.route("/v1/files/{proxy+}", access=Access.PUBLIC)
    def get_file() -> Any:
        return _seen(app)

    return app


@pytest.fixture
def ratings_app() -> Chalice:
    return build_ratings_app()


@pytest.fixture
def gateway(ratings_app: Chalice) -> LocalApiGateway:
    return LocalApiGateway([ratings_app, build_tickets_app()])


def call(
    gateway: LocalApiGateway, method: str, path: str, headers: Any = (), body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    status, header_pairs, payload = gateway.handle(method, path, headers, body, source_ip="10.0.0.7")
    return status, {name.lower(): value for name, value in header_pairs}, payload


class TestEventShape:
    def test_path_and_query_parameters_arrive_decoded_with_the_resource_template(
        self, gateway: LocalApiGateway
    ) -> None:
        # Given a rating id holding an encoded slash and a query with repeats and a blank value
        path = "/v1/ratings/r%2F42%20x?channel=web&tag=a&tag=b%26c&empty="

        # When the gateway routes the request
        status, headers, payload = call(gateway, "GET", path, {"User-Agent": "pytest-agent"})

        # Then Chalice saw the template, decoded parameters, and the REST API v1 event fields
        assert status == 200
        assert headers["content-type"] == "application/json"
        seen = json.loads(payload)
        assert seen["view"] == "by_id"
        assert seen["resourcePath"] == "/v1/ratings/{rating_id}"
        assert seen["rating_id"] == "r/42 x"
        assert seen["uri_params"] == {"rating_id": "r/42 x"}
        assert seen["query_params"] == {"channel": ["web"], "tag": ["a", "b&c"], "empty": [""]}
        event = seen["event"]
        assert event["resource"] == "/v1/ratings/{rating_id}"
        assert event["path"] == "/v1/ratings/r%2F42%20x"
        assert event["httpMethod"] == "GET"
        assert event["queryStringParameters"] == {"channel": "web", "tag": "b&c", "empty": ""}
        assert event["pathParameters"] == {"rating_id": "r/42 x"}
        assert event["stageVariables"] is None
        assert event["body"] is None
        assert event["isBase64Encoded"] is False
        context = event["requestContext"]
        assert context["path"] == "/local/v1/ratings/r%2F42%20x"
        assert context["stage"] == "local"
        assert context["httpMethod"] == "GET"
        assert context["accountId"] == "123456789012"
        assert context["apiId"] == "local"
        assert context["protocol"] == "HTTP/1.1"
        assert context["identity"]["sourceIp"] == "10.0.0.7"
        assert context["identity"]["userAgent"] == "pytest-agent"
        assert isinstance(context["requestTimeEpoch"], int)
        assert len(context["requestId"]) == 36
        # And the Lambda context looks like Lambda's
        assert seen["function_name"] == "rate"
        assert seen["function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:rate"
        assert 0 < seen["remaining_ms"] <= 29_000

    def test_a_request_without_query_or_parameters_gets_nulls_as_in_api_gateway(
        self, gateway: LocalApiGateway
    ) -> None:
        # Given a literal route and no query string
        # When it is requested
        status, _, payload = call(gateway, "GET", "/v1/ratings/latest")

        # Then the literal route won over {rating_id}, and the empty fields are null
        seen = json.loads(payload)
        assert status == 200
        assert seen["view"] == "latest"
        assert seen["query_params"] is None
        assert seen["event"]["queryStringParameters"] is None
        assert seen["event"]["multiValueQueryStringParameters"] is None
        assert seen["event"]["pathParameters"] is None

    def test_json_body_and_repeated_headers(self, gateway: LocalApiGateway) -> None:
        # Given a JSON rating and a header sent twice
        rating = {"case_id": "C-1", "score": 1, "comment": "排队太久"}
        headers = [
            ("Content-Type", "application/json"),
            ("X-Channel", "kiosk"),
            ("X-Channel", "web"),
            ("X-Forwarded-For", "203.0.113.9"),
        ]

        # When it is posted
        status, _, payload = call(gateway, "POST", "/v1/ratings", headers, json.dumps(rating).encode())

        # Then Chalice parsed the body and headers keep the last value, multiValueHeaders all of them
        seen = json.loads(payload)
        assert status == 200
        assert seen["json_body"] == rating
        assert seen["headers"]["x-channel"] == "web"
        assert seen["event"]["multiValueHeaders"]["X-Channel"] == ["kiosk", "web"]
        assert seen["event"]["body"] == json.dumps(rating)
        assert seen["event"]["isBase64Encoded"] is False
        # And the caller's address is appended to X-Forwarded-For as API Gateway does
        assert seen["headers"]["x-forwarded-for"] == "203.0.113.9, 10.0.0.7"

    def test_binary_request_arrives_base64_and_binary_response_leaves_decoded(
        self, gateway: LocalApiGateway
    ) -> None:
        # Given a photo upload with a binary media type
        headers = {"Content-Type": "application/octet-stream"}

        # When it is put
        status, _, payload = call(gateway, "PUT", "/v1/ratings/R1/photo", headers, PNG_BYTES)

        # Then the event carried base64 and Chalice decoded exactly the bytes sent
        seen = json.loads(payload)
        assert status == 200
        assert seen["event"]["isBase64Encoded"] is True
        assert seen["size"] == len(PNG_BYTES)
        assert seen["matches"] is True

        # When the photo is fetched by a client accepting binary
        status, response_headers, body = call(
            gateway, "GET", "/v1/ratings/R1/photo", {"Accept": "application/octet-stream"}
        )

        # Then the proxy response's base64 body is decoded on the wire with its length
        assert status == 200
        assert body == PNG_BYTES
        assert response_headers["content-type"] == "application/octet-stream"
        assert response_headers["content-length"] == str(len(PNG_BYTES))

    @pytest.mark.parametrize(
        ("content_type", "body", "as_base64"),
        [
            (None, "分数=5".encode(), False),
            ("text/plain; charset=utf-8", "差评".encode(), False),
            ("application/x-www-form-urlencoded", b"score=1&comment=slow", False),
            ("application/vnd.api+json", b'{"a": 1}', False),
            ("text/plain", b"\xff\xfe not utf-8", True),
            ("application/pdf", b"%PDF-1.7 utf-8 but not textual", True),
            ("image/png", b"plain ascii but a binary media type", True),
        ],
    )
    def test_bodies_are_text_only_when_textual_and_utf8(
        self, gateway: LocalApiGateway, content_type: str | None, body: bytes, as_base64: bool
    ) -> None:
        # Given a body with some content type (or none)
        headers = {} if content_type is None else {"Content-Type": content_type}

        # When it is posted
        status, _, payload = call(gateway, "POST", "/v1/echo", headers, body)

        # Then the event carried it as text or as base64, and Chalice recovered the same bytes
        seen = json.loads(payload)
        assert status == 200
        assert seen["event"]["isBase64Encoded"] is as_base64
        if not as_base64:
            assert seen["event"]["body"] == body.decode("utf-8")
        assert bytes.fromhex(seen["raw_hex"]) == body

    def test_a_malformed_proxy_response_is_502(self) -> None:
        # Given a function that answers without a statusCode
        class NotAProxyResponse(ProjectApp):
            def __call__(self, event: Any, context: Any) -> Any:
                super().__call__(event, context)
                return {"body": "hello"}

        app = NotAProxyResponse("odd")
        app.route("/v1/odd", access=Access.PUBLIC)(lambda: {})

        # When it is called
        status, _, payload = call(LocalApiGateway([app]), "GET", "/v1/odd")

        # Then API Gateway's answer to a malformed Lambda response comes back
        assert status == 502
        assert json.loads(payload)["error"] == "bad_gateway"


class TestSeveralApps:
    def test_routes_of_two_apps_share_one_gateway(self, gateway: LocalApiGateway) -> None:
        # Given the ratings and tickets apps behind one gateway
        # When a ticket route is requested
        status, _, payload = call(gateway, "GET", "/v1/tickets/T-9")

        # Then the tickets function answered with its own context
        seen = json.loads(payload)
        assert status == 200
        assert seen["ticket_id"] == "T-9"
        assert seen["function_name"] == "tickets"
        served = {
            (r.function, r.path, r.method)
            for r in routes_of({"rate": build_ratings_app(), "tickets": build_tickets_app()})
        }
        assert ("tickets", "/v1/tickets/{ticket_id}", "GET") in served
        assert {("rate", "/v1/ratings/{rating_id}", m) for m in ("DELETE", "GET")} <= served

    def test_greedy_proxy_parameter_takes_the_rest_of_the_path(self, gateway: LocalApiGateway) -> None:
        # Given a {proxy+} route
        # When a deep path is requested
        status, _, payload = call(gateway, "GET", "/v1/files/2026/11/report%20final.pdf")

        # Then one parameter named "proxy" holds the decoded remainder
        seen = json.loads(payload)
        assert status == 200
        assert seen["resourcePath"] == "/v1/files/{proxy+}"
        assert seen["uri_params"] == {"proxy": "2026/11/report final.pdf"}

        # And the greedy parameter needs at least one segment
        status, _, _ = call(gateway, "GET", "/v1/files")
        assert status == 404

    def test_the_same_route_in_two_apps_is_refused(self) -> None:
        # Given two apps that both declare GET /v1/tickets/{ticket_id}
        # When a gateway is built over them
        # Then it refuses, naming both
        with pytest.raises(ValueError, match="GET /v1/tickets/\\{ticket_id\\}.*'tickets'.*'tickets-copy'"):
            LocalApiGateway({"tickets": build_tickets_app(), "tickets-copy": build_tickets_app()})


class TestErrors:
    def test_unknown_path_is_404(self, gateway: LocalApiGateway) -> None:
        status, headers, payload = call(gateway, "GET", "/x?secret=1")

        assert status == 404
        assert headers["content-type"] == "application/json"
        assert json.loads(payload) == {"error": "not_found", "message": "no route for GET /x"}

    def test_known_path_with_another_method_is_405_with_allow(self, gateway: LocalApiGateway) -> None:
        status, headers, payload = call(gateway, "PATCH", "/v1/ratings/R1")

        assert status == 405
        assert headers["allow"] == "DELETE, GET"
        assert headers["content-type"] == "application/json"
        assert json.loads(payload)["error"] == "method_not_allowed"

    def test_an_exception_escaping_the_function_is_502_and_logged(
        self, gateway: LocalApiGateway, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Given a view whose answer cannot be serialised
        # When it is requested
        with caplog.at_level(logging.ERROR, logger="haochaping.local.gateway"):
            status, headers, payload = call(gateway, "GET", "/v1/broken/unserialisable")

        # Then the gateway answers as API Gateway does for a crashed Lambda, and logs the traceback
        assert status == 502
        assert headers["content-type"] == "application/json"
        assert json.loads(payload)["error"] == "bad_gateway"
        assert "Traceback" in caplog.text
        assert "TypeError" in caplog.text

    def test_an_exception_in_a_view_is_the_contracts_500_without_detail(
        self, gateway: LocalApiGateway
    ) -> None:
        status, _, payload = call(gateway, "GET", "/v1/broken/raises")

        assert status == 500
        assert json.loads(payload)["error"] == "internal"
        assert b"13800000000" not in payload and b"boom" not in payload


class TestAccess:
    """Each route's Access is enforced in front of the function, as API Gateway enforces it."""

    @pytest.fixture
    def guarded(self) -> LocalApiGateway:
        app = ProjectApp("guarded")

        def seen() -> Any:
            context = app.current_request.context
            return {"identity": context["identity"], "authorizer": context.get("authorizer")}

        app.route("/v1/channel", access=Access.CHANNEL)(seen)
        app.route("/v1/person", access=Access.PERSON)(seen)
        app.route("/v1/either", access=Access.CHANNEL_OR_PERSON)(seen)
        app.route("/v1/open", access=Access.PUBLIC)(seen)

        def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            # As the project's person-side handler: a token decides; without one, a key is passed on
            token = event["headers"].get("Authorization", "")
            if not token and event["headers"].get("x-api-key"):
                allow = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
                return {
                    "principalId": "channel",
                    "policyDocument": {"Version": "2012-10-17", "Statement": [allow]},
                    "usageIdentifierKey": event["headers"]["x-api-key"],
                }
            if token == "Bearer crash":
                raise RuntimeError("the identity provider is down")
            if token not in ("Bearer good", "Bearer denied"):
                raise Exception("Unauthorized")
            effect = "Allow" if token == "Bearer good" else "Deny"
            return {
                "principalId": "u-7",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
                    ],
                },
                "context": {"role": "admin", "scope": "", "sub": "u-7"},
            }

        return LocalApiGateway([app], api_keys={"key-1": "channel-1"}, authorizer=authorizer)

    def test_a_channel_route_needs_a_known_key_and_passes_its_id(self, guarded: LocalApiGateway) -> None:
        for headers in ({}, {"x-api-key": "unknown"}, {"Authorization": "Bearer good"}):
            status, answer_headers, payload = call(guarded, "GET", "/v1/channel", headers)
            assert (status, json.loads(payload)["error"]) == (401, "unauthenticated")
            assert answer_headers["www-authenticate"].startswith("Bearer")

        status, _, payload = call(guarded, "GET", "/v1/channel", {"x-api-key": "key-1"})
        assert status == 200
        seen = json.loads(payload)
        assert seen["identity"]["apiKeyId"] == "channel-1" and seen["authorizer"] is None

    def test_a_person_route_runs_the_authorizer_and_passes_its_context(
        self, guarded: LocalApiGateway
    ) -> None:
        assert call(guarded, "GET", "/v1/person")[0] == 401
        assert call(guarded, "GET", "/v1/person", {"x-api-key": "key-1"})[0] == 401
        assert call(guarded, "GET", "/v1/person", {"Authorization": "Bearer bad"})[0] == 401
        status, _, payload = call(guarded, "GET", "/v1/person", {"Authorization": "Bearer denied"})
        assert (status, json.loads(payload)["error"]) == (403, "forbidden")
        status, _, payload = call(guarded, "GET", "/v1/person", {"Authorization": "Bearer crash"})
        assert (status, json.loads(payload)["error"]) == (500, "internal")
        assert b"identity provider" not in payload

        status, _, payload = call(guarded, "GET", "/v1/person", {"Authorization": "Bearer good"})
        assert status == 200
        assert json.loads(payload)["authorizer"] == {
            "principalId": "u-7",
            "role": "admin",
            "scope": "",
            "sub": "u-7",
        }

    def test_a_route_open_to_both_takes_either_and_a_public_route_none(
        self, guarded: LocalApiGateway
    ) -> None:
        assert call(guarded, "GET", "/v1/either")[0] == 401
        assert call(guarded, "GET", "/v1/either", {"x-api-key": "key-1"})[0] == 200
        assert call(guarded, "GET", "/v1/either", {"Authorization": "Bearer good"})[0] == 200
        # A token, when sent, is what counts: a bad one is not rescued by a good key
        assert (
            call(guarded, "GET", "/v1/either", {"Authorization": "Bearer bad", "x-api-key": "key-1"})[0]
            == 401
        )
        assert call(guarded, "GET", "/v1/open")[0] == 200


class TestOverHttp:
    @pytest.fixture
    def server(self, gateway: LocalApiGateway) -> Iterator[str]:
        handle = serve(gateway, "127.0.0.1", 0)
        assert handle.port != 0
        yield f"http://127.0.0.1:{handle.port}"
        handle.shutdown()

    def test_get_with_query_over_http(self, server: str, caplog: pytest.LogCaptureFixture) -> None:
        # Given a running server and a query holding personal data
        url = f"{server}/v1/ratings/R7?phone=13800000000"

        # When it is requested with urllib
        with (
            caplog.at_level(logging.DEBUG, logger="haochaping.local.gateway"),
            urllib.request.urlopen(url, timeout=5) as response,
        ):
            status, seen = response.status, json.load(response)

        # Then the event came through intact, and the request log kept the path but not the query
        assert status == 200
        assert seen["resourcePath"] == "/v1/ratings/{rating_id}"
        assert seen["query_params"] == {"phone": ["13800000000"]}
        assert seen["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
        assert "/v1/ratings/R7" in caplog.text
        assert "13800000000" not in caplog.text

    def test_post_json_and_binary_over_http(self, server: str) -> None:
        # Given a JSON rating
        request = urllib.request.Request(
            f"{server}/v1/ratings",
            data=json.dumps({"score": 5}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        # When it is posted
        with urllib.request.urlopen(request, timeout=5) as response:
            seen = json.load(response)
        # Then Chalice parsed it and saw the Host header
        assert seen["json_body"] == {"score": 5}
        assert seen["headers"]["host"] == server.removeprefix("http://")

        # Given a binary upload
        request = urllib.request.Request(
            f"{server}/v1/ratings/R7/photo",
            data=PNG_BYTES,
            headers={"Content-Type": "application/octet-stream"},
            method="PUT",
        )
        # When it is put
        with urllib.request.urlopen(request, timeout=5) as response:
            seen = json.load(response)
        # Then the bytes arrived unchanged
        assert seen["matches"] is True

    def test_errors_over_http(self, server: str) -> None:
        # Given a missing route and a crashing view
        # When they are requested
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{server}/nowhere", timeout=5)
        with pytest.raises(urllib.error.HTTPError) as crashed:
            urllib.request.urlopen(f"{server}/v1/broken/unserialisable", timeout=5)

        # Then both carry the gateway's JSON errors
        assert missing.value.code == 404
        assert json.load(missing.value)["error"] == "not_found"
        assert crashed.value.code == 502
        assert json.load(crashed.value)["error"] == "bad_gateway"

    def test_keep_alive_serves_several_requests_on_one_connection(self, server: str) -> None:
        # Given one HTTP/1.1 connection
        connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=5)
        try:
            # When three requests, including HEAD and DELETE, are sent on it one after another
            answers = []
            for method, path in [
                ("GET", "/v1/ratings/A"),
                ("HEAD", "/v1/ratings/A"),
                ("DELETE", "/v1/ratings/B"),
            ]:
                connection.request(method, path)
                response = connection.getresponse()
                answers.append((response.status, response.getheader("Content-Length"), response.read()))
        finally:
            connection.close()

        # Then each got its answer; HEAD has no route here, and no body on the wire
        assert answers[0][0] == 200
        assert int(answers[0][1]) == len(answers[0][2])
        assert answers[1][0] == 405
        assert answers[1][2] == b""
        assert answers[2][0] == 200
        assert json.loads(answers[2][2])["event"]["httpMethod"] == "DELETE"

    def test_a_malformed_request_line_is_refused_without_logging_its_query(
        self, server: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Given a raw request whose line is malformed and carries personal data
        host, port = server.removeprefix("http://").split(":")

        # When it is sent
        with (
            caplog.at_level(logging.DEBUG, logger="haochaping.local.gateway"),
            socket.create_connection((host, int(port)), timeout=5) as connection,
        ):
            connection.sendall(b"GET /v1/ratings/R1?phone=13800000000 HTTP/9.9 extra\r\n\r\n")
            answer = _read_all(connection)

        # Then it gets a 400 in the contract's shape, with a status line
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 400")
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"] == "validation"
        # And the log holds neither the query nor a traceback
        assert "13800000000" not in caplog.text
        assert "Traceback" not in caplog.text

    @pytest.mark.parametrize(
        "request_bytes, status, error",
        [
            (
                b"GET /v1/ratings/A HTTP/1.1\r\n"
                + b"".join(b"X-H%d: v\r\n" % i for i in range(120))
                + b"\r\n",
                431,
                "too_large",
            ),
            (b"GET /v1/ratings/A HTTP/1.1\r\nX-Long: " + b"v" * 70_000 + b"\r\n\r\n", 431, "too_large"),
            (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "too_large"),
            (b"GET /v1/ratings/A HTTP/2.0\r\n\r\n", 505, "http_version_not_supported"),
            (
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                400,
                "validation",
            ),  # TLS to a plain port
        ],
    )
    def test_the_gateways_own_refusals_are_json_in_the_contracts_shape(
        self, server: str, request_bytes: bytes, status: int, error: str
    ) -> None:
        # Given a request http.server refuses before any route is looked at
        host, port = server.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            # When it is sent
            connection.sendall(request_bytes)
            answer = _read_all(connection)

        # Then the refusal is JSON in the contract's shape, not an HTML page
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status}".encode()), head[:80]
        assert b"content-type: application/json" in head.lower()
        document = json.loads(body)
        assert document["error"] == error and document["message"]

    def test_any_method_token_reaches_the_routes_and_gets_405(self, server: str) -> None:
        connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=5)
        try:
            connection.request("M-SEARCH", "/v1/ratings/A")  # http.server would answer 501 in HTML
            response = connection.getresponse()
            assert (response.status, json.loads(response.read())["error"]) == (405, "method_not_allowed")
        finally:
            connection.close()

    def test_a_burst_of_50_concurrent_requests_is_served_without_a_connection_error(
        self, server: str
    ) -> None:
        # Given 50 clients that connect at the same moment, each on its own connection
        host_port = server.removeprefix("http://")
        start = threading.Barrier(50)

        def one(i: int) -> int:
            start.wait()
            connection = http.client.HTTPConnection(host_port, timeout=30)
            try:
                connection.request("GET", f"/v1/ratings/burst-{i}")
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()

        # When they all send a request
        with ThreadPoolExecutor(max_workers=50) as pool:
            outcomes = list(pool.map(one, range(50)))

        # Then every one is answered (a reset or refused connection would have raised)
        assert outcomes == [200] * 50


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
