"""The index function on moto: ratings through the rate API, the stream through the stream handler,
figures and rankings through the index API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.index import wiring as index_wiring
from functions.index.settings import IndexSettings
from functions.index.stream import handle
from tests.integration.conftest import RateStack, post_rating
from tests.integration.stream_pump import StreamPump, batches

DEPARTMENT = "D52010201"
WINDOW = "W5201020101"
STAFF = "S520102010101"
COUNTY = "520102000000"
CITY = "520100000000"
PROVINCE = "520000000000"


@pytest.fixture
def index(rate_stack: RateStack, api: Any) -> Iterator[Any]:
    from functions.index.app import app
    from infra.local.gateway import LocalApiGateway
    from tests.gateway import TEST_API_KEYS, GatewayClient

    runtime = index_wiring.build(IndexSettings.from_env(rate_stack.env), rate_stack.dynamodb)
    index_wiring.use(runtime)
    try:
        # Behind the gateway's code path: tokens are checked by the authorizer in front of the function.
        yield GatewayClient(LocalApiGateway({"index": app}, api_keys=TEST_API_KEYS))
    finally:
        index_wiring.use(None)


def pump(rate_stack: RateStack, stream: StreamPump) -> None:
    counters = index_wiring.runtime().counters
    for batch in batches(stream.take(), 100):
        answer = handle(batch, None, counters)
        assert answer["batchItemFailures"] == []


def figures(index: Any, headers: dict[str, str], path: str) -> tuple[int, dict[str, Any]]:
    answer = index.http.get(path, headers=headers)
    return answer.status_code, json.loads(answer.body)


def rate(api: Any, satisfaction: int, **extra: Any) -> str:
    body = {
        "channel": "hall_pad",
        "satisfaction": satisfaction,
        "subjects": {"department": DEPARTMENT, "window": WINDOW, "staff": STAFF},
        "rated_at": "2026-09-30T10:00:00+08:00",
        **extra,
    }
    status, answer = post_rating(api, body)
    assert status == 201, answer
    return answer["rating_id"]


def test_figures_follow_ratings_for_every_subject_on_the_path(
    rate_stack: RateStack, api: Any, index: Any
) -> None:
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    rate(api, 5, tags=["服务态度好"])
    rate(api, 4)
    rate(api, 1, rater={"phone": "13800000000"})
    pump(rate_stack, stream)
    admin = rate_stack.token("admin")
    for kind, code in (
        ("staff", STAFF),
        ("window", WINDOW),
        ("department", DEPARTMENT),
        ("region", COUNTY),
        ("region", CITY),
        ("region", PROVINCE),
    ):
        status, body = figures(index, admin, f"/v1/indices/{kind}/{code}?from=2026-09-01&to=2026-09-30")
        assert status == 200, body
        assert (body["total"], body["valid"], body["good"], body["bad"]) == (3, 3, 2, 1), (kind, body)
        assert body["counts"] == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}
        assert body["index"] == round((10 + 10 + 8 + 2) / 4, 4)
        assert body["tags"] == {"服务态度好": 1}
        assert body["rectification_rate"] == 0.0 and body["on_time_rate"] is None
        assert body["named_reply_rate"] == 0.0
    status, body = figures(index, admin, f"/v1/indices/staff/{STAFF}?from=2026-10-01")
    assert (status, body["total"], body["index"], body["good_rate"]) == (200, 0, 10.0, None)
