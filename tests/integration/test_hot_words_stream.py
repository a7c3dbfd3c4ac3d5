"""Hot words on moto: counted from the ratings stream through the indices' contribution hook, exactly
once whatever the replays, taken away again when a rating turns invalid, and read back through the
index app (hot words for people, the public summary) with nothing personal in any answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
PROVINCE = "520000000000"
PERIOD = "from=2026-09-01&to=2026-09-30"
PHONE, NAME, ID_NUMBER = "13912345678", "王小明", "520102199001011234"


@pytest.fixture
def index(rate_stack: RateStack, api: Any) -> Iterator[Any]:
    """The index function behind the gateway's code path (tokens checked in front of it)."""
    from functions.index.app import app

    index_wiring.use(index_wiring.build(IndexSettings.from_env(rate_stack.env), rate_stack.dynamodb))
    try:
        yield GatewayClient(LocalApiGateway({"index": app}, api_keys=TEST_API_KEYS))
    finally:
        index_wiring.use(None)


def rate(api: Any, satisfaction: int, comment: str, **extra: Any) -> str:
    body = {
        "channel": "hall_pad",
        "satisfaction": satisfaction,
        "subjects": {"department": DEPARTMENT, "window": WINDOW, "staff": STAFF},
        "rated_at": "2026-09-30T10:00:00+08:00",
        **({"comment": comment} if comment else {}),
        **extra,
    }
    status, answer = post_rating(api, body)
    assert status == 201, answer
    return str(answer["rating_id"])


def deliver(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert handle(event, None, index_wiring.runtime().counters)["batchItemFailures"] == []


def words(
    index: Any, headers: dict[str, str], polarity: str, kind: str = "region", code: str = PROVINCE
) -> dict[str, int]:
    answer = index.http.get(f"/v1/hotwords/{kind}/{code}?polarity={polarity}&{PERIOD}", headers=headers)
    assert answer.status_code == 200, answer.body
    return {w["word"]: w["count"] for w in json.loads(answer.body)}


def test_hot_words_are_counted_once_and_follow_validity(rate_stack: RateStack, api: Any, index: Any) -> None:
    admin = rate_stack.token("admin")
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    # Given two bad ratings and a good one, their comments full of personal data
    first = rate(api, 1, f"多头跑，我叫{NAME}，电话{PHONE}", rater={"phone": PHONE, "name": NAME})
    rate(api, 2, f"办事指南有误，多头跑，身份证{ID_NUMBER}")
    rate(api, 5, "一次办结，效率高")

    # When the stream delivers them, and then every batch again (a replay after a crash)
    events = list(batches(stream.take(), 2))
    deliver(events)
    deliver(events)

    # Then each word counts once per rating, for every subject on the path, by polarity (the
    # province's tags are domain words: 办事指南有误 stays whole)
    assert words(index, admin, "bad") == {"多头跑": 2, "办事指南有误": 1}
    assert words(index, admin, "good") == {"一次办结": 1, "效率高": 1}
    assert words(index, admin, "bad", "staff", STAFF) == words(index, admin, "bad")

    # When an appeal makes the first rating invalid (the tickets side writes it onto the rating)
    rate_stack.dynamodb.update_item(
        TableName=rate_stack.settings.ratings_table,
        Key={"rating_id": {"S": first}},
        UpdateExpression="SET #v = :f",
        ExpressionAttributeNames={"#v": "valid"},
        ExpressionAttributeValues={":f": {"BOOL": False}},
    )
    deliver(list(batches(stream.take(), 100)))

    # Then its words are taken away, and nothing else moves
    assert words(index, admin, "bad") == {"多头跑": 1, "办事指南有误": 1}
    assert words(index, admin, "good") == {"一次办结": 1, "效率高": 1}


def test_the_summary_is_public_cacheable_and_holds_no_personal_data(
    rate_stack: RateStack, api: Any, index: Any
) -> None:
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    rate(api, 1, f"多头跑，{NAME}先生的电话{PHONE}", rater={"phone": PHONE, "name": NAME})
    rate(api, 4, f"效率高，窗口{NAME}很耐心，身份证{ID_NUMBER}")
    deliver(list(batches(stream.take(), 100)))

    answer = index.http.get(f"/v1/public/summary?{PERIOD}")
    assert answer.status_code == 200, answer.body
    assert answer.headers["cache-control"] == "public, max-age=60"
    text = answer.body.decode() if isinstance(answer.body, bytes) else answer.body
    for value in (PHONE, NAME, ID_NUMBER, PHONE[-4:], NAME[1:]):
        assert value not in text
    body = json.loads(text)
    assert body["rows"]["province"]["valid"] == 2
    assert {w["word"] for w in body["hot_words"]["province"]["bad"]} == {"多头跑"}
    assert {w["word"] for w in body["hot_words"]["province"]["good"]} == {"效率高", "耐心"}
    guiyang = next(row for row in body["rows"]["cities"] if row["code"] == "520100000000")
    assert (guiyang["valid"], guiyang["rank"], guiyang["ranked"]) == (2, None, False)
    page = index.http.get("/public")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "v1/public/summary" in (page.body.decode() if isinstance(page.body, bytes) else page.body)


def test_a_departments_bad_rate_jump_is_an_early_warning(rate_stack: RateStack, api: Any, index: Any) -> None:
    from datetime import date

    from functions.index import analysis_wiring
    from functions.index.warnings import EarlyWarnings, check_province

    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    # Given a department with 40 good ratings over the month before, and then a day with 6 bad of 10
    for i in range(40):
        rate(api, 5, "", rated_at=f"2026-09-{1 + i % 28:02d}T10:00:00+08:00")
    for i in range(10):
        rate(
            api,
            1 if i < 6 else 5,
            "",
            rated_at="2026-09-30T11:00:00+08:00",
            tags=["排队时间长"] if i < 6 else [],
        )
    deliver(list(batches(stream.take(), 100)))

    # When people in scope ask for the day's warnings
    department = index.http.get(
        "/v1/warnings?date=2026-09-30", headers=rate_stack.token("department", DEPARTMENT)
    )
    county = index.http.get(
        "/v1/warnings?date=2026-09-30&region=520102", headers=rate_stack.token("reviewer", "520100000000")
    )

    # Then the department's jump is listed, with the figures it was found from
    for answer in (department, county):
        assert answer.status_code == 200, answer.body
        warnings = [w for w in json.loads(answer.body)["warnings"] if w["rule"] == "bad_rate_jump"]
        assert [w["department"]["code"] for w in warnings] == [DEPARTMENT]
        assert (warnings[0]["valid"], warnings[0]["bad"], warnings[0]["baseline_bad_rate"]) == (10, 6, 0.0)
    # and the day before is quiet
    quiet = index.http.get("/v1/warnings?date=2026-09-28", headers=rate_stack.token("department", DEPARTMENT))
    assert json.loads(quiet.body)["warnings"] == []
    # and the province-wide check counts it by rule (the metrics the alarms watch)
    wired = analysis_wiring.analysis()
    totals = check_province(
        EarlyWarnings(wired.figures, wired.store, wired.settings.province, wired.tickets),
        wired.store,
        PROVINCE,
        date(2026, 9, 30),
    )
    assert totals["bad_rate_jump"] == 1
    # and a department cannot look at another region's warnings
    other = index.http.get("/v1/warnings?region=520200", headers=rate_stack.token("department", DEPARTMENT))
    assert other.status_code == 403, other.body
