"""What the gateway itself answers when it refuses a request before any function runs, in the
contract's error shape. API Gateway's gateway responses (by type) are deployed from this table, and the
local gateway answers from it, so the two refuse alike."""

from __future__ import annotations

from typing import NamedTuple


class GatewayAnswer(NamedTuple):
    status: int
    error: str
    message: str


# API Gateway gateway-response type → the answer. INVALID_API_KEY covers a missing key as well.
GATEWAY_ANSWERS: dict[str, GatewayAnswer] = {
    "UNAUTHORIZED": GatewayAnswer(
        401,
        "unauthenticated",
        "send valid credentials: a bearer token (Authorization: Bearer <JWT>) or a channel key (x-api-key)",
    ),
    "INVALID_API_KEY": GatewayAnswer(401, "unauthenticated", "send a valid channel key (x-api-key)"),
    "ACCESS_DENIED": GatewayAnswer(403, "forbidden", "this credential may not call this route"),
    "THROTTLED": GatewayAnswer(429, "throttled", "too many requests; retry later"),
    "QUOTA_EXCEEDED": GatewayAnswer(429, "throttled", "this key's daily quota is spent"),
    "REQUEST_TOO_LARGE": GatewayAnswer(413, "too_large", "the request body is too large"),
    "WAF_FILTERED": GatewayAnswer(403, "forbidden", "the request was refused"),
    # API Gateway's answer to a path it does not route (403 by default): the local gateway's 404.
    "MISSING_AUTHENTICATION_TOKEN": GatewayAnswer(404, "not_found", "no such route"),
    "AUTHORIZER_FAILURE": GatewayAnswer(500, "internal", "internal error; it has been logged"),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayAnswer(500, "internal", "internal error; it has been logged"),
}

# Sent with every 401, as the functions send it.
WWW_AUTHENTICATE = 'Bearer realm="haochaping"'

# Anything else API Gateway answers itself keeps its status and gets the contract's shape.
DEFAULT_ANSWERS: dict[str, tuple[str, str]] = {
    "DEFAULT_4XX": ("rejected", "the request was refused"),
    "DEFAULT_5XX": ("internal", "internal error; it has been logged"),
}
