"""The index function on moto: ratings through the rate API, the stream through the stream handler,
figures and rankings through the index API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from functions.index import wiring as index_wiring
from functions.index.settings import IndexSettings
from functions.index.stream import handle
from infra.local.gateway import LocalApiGateway
from tests.gateway import TEST_API_KEYS, GatewayClient
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
    """The index function behind the gateway's code path: tokens are checked in front of it."""
    from functions.index.app import app

    runtime = index_wiring.build(IndexSettings.from_env(rate_stack.env), rate_stack.dynamodb)
    index_wiring.use(runtime)
    try:
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
        # The demo province requires a bad rating's reason.
        **({} if satisfaction >= 3 else {"comment": "等了很久"}),
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


def test_a_ranking_lists_the_children_of_that_kind_ranking_only_those_rated_enough(
    rate_stack: RateStack, api: Any, index: Any
) -> None:
    # Given ratings of two windows of a department, the province ranking from two ratings on
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    rate(api, 5)
    rate(api, 5)
    rate(api, 2, subjects={"department": DEPARTMENT, "window": "W5201020102"})
    rate(api, 3, subjects={"department": DEPARTMENT, "window": "W5201020102"})
    rate(api, 1, subjects={"department": DEPARTMENT, "window": "W5201020102"})
    pump(rate_stack, stream)
    runtime = index_wiring.runtime()
    province = replace(
        runtime.settings.province, index=runtime.settings.province.index._replace(min_ratings_to_rank=2)
    )
    index_wiring.use(runtime._replace(settings=replace(runtime.settings, province=province)))
    headers = rate_stack.token("department", DEPARTMENT)

    # When the department asks for the ranking of its windows by bad rate
    status, body = figures(index, headers, f"/v1/rankings/window?parent={DEPARTMENT}&order=bad_rate")

    # Then both windows are listed, ranked, the one without bad ratings first
    assert status == 200, body
    assert body["parent"]["code"] == DEPARTMENT and body["order"] == "bad_rate"
    assert [(e["code"], e["rank"], e["valid"]) for e in body["entries"]] == [
        ("W5201020101", 1, 2),
        ("W5201020102", 2, 3),
    ]
    # And by rectification rate the window with no bad rating is listed but not ranked
    status, body = figures(
        index, headers, f"/v1/rankings/window?parent={DEPARTMENT}&order=rectification_rate"
    )
    assert [(e["code"], e["rank"]) for e in body["entries"]] == [("W5201020102", 1), ("W5201020101", None)]
    # And the cities of the province, for an admin, with the province's default minimum not reached
    status, body = figures(index, rate_stack.token("admin"), "/v1/rankings/region")
    assert status == 200 and body["parent"]["code"] == PROVINCE
    assert CITY in [e["code"] for e in body["entries"]]


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/v1/indices/planet/X1", 404, "not_found"),
        ("/v1/indices/staff/S999999", 404, "not_found"),
        ("/v1/indices/region/530000", 422, "unknown_subject"),
        (f"/v1/indices/staff/{STAFF}?from=2026-09-30&to=2026-09-01", 400, "validation"),
        (f"/v1/indices/staff/{STAFF}?from=2026-9-1", 400, "validation"),
        (f"/v1/indices/staff/{STAFF}?to=tomorrow", 400, "validation"),
        (f"/v1/rankings/window?parent={DEPARTMENT}&order=best", 400, "validation"),
        ("/v1/rankings/galaxy", 404, "not_found"),
        ("/v1/indices/department/D52010202", 403, "forbidden"),
        (f"/v1/indices/region/{COUNTY}", 403, "forbidden"),
        ("/v1/rankings/window?parent=D52010202", 403, "forbidden"),
    ],
)
def test_bad_requests_get_the_contracts_errors(
    rate_stack: RateStack, index: Any, path: str, status: int, error: str
) -> None:
    answer_status, body = figures(index, rate_stack.token("department", DEPARTMENT), path)
    assert (answer_status, body["error"]) == (status, error), body


def test_scopes_reviewers_see_their_region_and_channels_see_nothing(
    rate_stack: RateStack, index: Any
) -> None:
    reviewer = rate_stack.token("reviewer", CITY)
    assert figures(index, reviewer, f"/v1/indices/staff/{STAFF}")[0] == 200
    assert figures(index, reviewer, f"/v1/indices/region/{CITY}")[0] == 200
    assert figures(index, reviewer, f"/v1/indices/region/{PROVINCE}")[0] == 403
    assert (
        figures(index, rate_stack.token("reviewer", "520200"), f"/v1/indices/department/{DEPARTMENT}")[0]
        == 403
    )
    assert figures(index, {"x-api-key": "local-demo-key"}, f"/v1/indices/staff/{STAFF}")[0] == 401
    assert figures(index, {}, f"/v1/indices/staff/{STAFF}")[0] == 401
