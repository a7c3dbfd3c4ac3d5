"""The sample function's HTTP app and its stream consumer, written as a new function would be."""

from __future__ import annotations

from typing import Any

from chalice import Response

from functions.core.domain.errors import NotFound
from functions.core.http.api import json_response
from functions.core.http.app import Access, create_app

app = create_app("sample")

# What the stream consumer has been given, for the test to look at.
SEEN_RATINGS: list[str] = []


@app.route("/v1/samples/{code}", methods=["GET"], access=Access.PUBLIC)
def get_sample(code: str) -> Response:
    if code == "missing":
        raise NotFound(f"no sample {code}")
    if code == "broken":
        raise RuntimeError("a fault whose text must not reach the caller: 13800000000")
    return json_response({"code": code})


@app.route("/local/samples", methods=["GET"], access=Access.LOCAL)
def local_only() -> Response:
    return json_response({"local": True})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        SEEN_RATINGS.append(record["dynamodb"]["Keys"]["rating_id"]["S"])
    return {"batchItemFailures": []}
