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
        401, "unauthenticated", "send a valid bearer token (Authorization: Bearer <JWT>)"
    ),
    "INVALID_API_KEY": GatewayAnswer(401, "unauthenticated", "send a valid channel key (x-api-key)"),
    "ACCESS_DENIED": GatewayAnswer(403, "forbidden", "this credential may not call this route"),
    "AUTHORIZER_FAILURE": GatewayAnswer(500, "internal", "internal error; it has been logged"),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayAnswer(500, "internal", "internal error; it has been logged"),
}

# Sent with every 401, as the functions send it.
WWW_AUTHENTICATE = 'Bearer realm="haochaping"'
