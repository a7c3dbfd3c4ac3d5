"""The one place where domain errors become HTTP answers, and the request helpers every Chalice app
shares (credentials, JSON bodies with their limits)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from chalice import Response

from functions.core.domain import errors
from functions.core.domain.jsonbody import parse_json_body

logger = logging.getLogger("haochaping.http")

MAX_JSON_BODY = 16 * 1024

STATUS: dict[type[errors.DomainError], int] = {
    errors.ValidationFailed: 400,
    errors.InvalidLink: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.CaseAlreadyRated: 409,
    errors.RatingPeriodOver: 409,
    errors.IllegalTransition: 409,
    errors.TooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.UnknownSubject: 422,
    errors.Throttled: 429,
}

# The code of an unexpected fault's 500, which carries no detail.
INTERNAL = "internal"

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate got this far (stored before the strict reader existed): escape it rather
        # than fail to encode the answer.
        text = json.dumps(body, ensure_ascii=True, separators=(",", ":"))
    return Response(
        body=text,
        status_code=status,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def error_response(error: errors.DomainError) -> Response:
    status = next(code for cls, code in STATUS.items() if isinstance(error, cls))
    body: dict[str, Any] = {"error": error.code, "message": error.message, **error.details}
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="haochaping"'}
    elif status == 429:
        headers = {"Retry-After": "1"}
    return json_response(body, status, headers)


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a Chalice view: domain errors become their contract answer; anything else is a 500 in the
    contract's shape, logged without the request body (it may hold personal data)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except errors.DomainError as e:
            return error_response(e)
        except Exception:
            logger.exception("unhandled error in %s", view.__name__)
            return json_response({"error": INTERNAL, "message": "internal error; it has been logged"}, 500)

    return wrapper


def read_json(request: Any, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    """The request's JSON object, after the checks every JSON endpoint makes: content type, size, and
    the strict reader's rules (functions.core.domain.jsonbody: depth, duplicate keys, NaN, surrogates)."""
    raw = _body(
        request, limit, "application/json", accepts=lambda t: t == "application/json" or t.endswith("+json")
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.ValidationFailed({"body": "not valid UTF-8"}) from None
    body: dict[str, Any] = parse_json_body(text, expect_object=True)
    return body


def read_text(request: Any, content_types: tuple[str, ...], limit: int) -> str:
    raw = _body(request, limit, " or ".join(content_types), accepts=lambda t: t in content_types)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.ValidationFailed({"body": "not valid UTF-8"}) from None


def _body(request: Any, limit: int, expected: str, accepts: Callable[[str], bool]) -> bytes:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not accepts(content_type):
        raise errors.UnsupportedMediaType(f"send the body as {expected}")
    raw: bytes = request.raw_body or b""
    if len(raw) > limit:
        raise errors.TooLarge(f"the body is {len(raw)} bytes; at most {limit} are accepted")
    return raw


def query_param(request: Any, name: str) -> str | None:
    params = request.query_params or {}
    value = params.get(name)
    return value if value else None
