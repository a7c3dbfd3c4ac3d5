"""Figures over HTTP on the local stack: ratings sent through the API move the figures of every subject
they count for, through the ratings stream, within seconds."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import Api

DAY = "2026-03-16"  # a day no other test of the tier rates on
RATED_AT = f"{DAY}T10:00:00+08:00"
STAFF, WINDOW, ITEM, DEPARTMENT = "S520102010101", "W5201020101", "I5201020101", "D52010201"
VILLAGE, TOWNSHIP, COUNTY, CITY, PROVINCE = (
    "520102016001",
    "520102016000",
    "520102000000",
    "520100000000",
    "520000000000",
)
WAIT_SECONDS = 20.0


def figures(api: Api, headers: dict[str, str], kind: str, code: str) -> dict[str, Any]:
    answer = api.get(f"/v1/indices/{kind}/{code}?from={DAY}&to={DAY}", headers)
    assert answer.status == 200, str(answer)
    body: dict[str, Any] = answer.json()
    return body


def test_ratings_move_the_figures_of_every_subject_up_to_the_province(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given the figures of a day for a staff member's whole path and a village's
    expected = {
        ("staff", STAFF): 1,
        ("window", WINDOW): 1,
        ("item", ITEM): 1,
        ("department", DEPARTMENT): 1,
        ("region", VILLAGE): 1,
        ("region", TOWNSHIP): 1,
        ("region", COUNTY): 2,
        ("region", CITY): 2,
        ("region", PROVINCE): 2,
    }
    before = {key: figures(api, admin_headers, *key) for key in expected}

    # When a bad rating of the staff member at a window for an item, and a good one of the village, arrive
    bad = {
        "rating_id": f"idx-{uuid.uuid4().hex}",
        "channel": "hall_pad",
        "satisfaction": 2,
        "subjects": {"department": DEPARTMENT, "window": WINDOW, "staff": STAFF, "item": ITEM},
        "tags": ["服务态度生硬"],
        "rated_at": RATED_AT,
    }
    good = {
        "rating_id": f"idx-{uuid.uuid4().hex}",
        "channel": "qrcode",
        "satisfaction": 5,
        "subjects": {"region": VILLAGE},
        "rated_at": RATED_AT,
    }
    for body in (bad, good):
        answer = api.post_rating(body, channel_headers)
        assert answer.status == 201, str(answer)

    # Then every subject's figures move by what it was rated, within seconds
    deadline = time.monotonic() + WAIT_SECONDS
    pending = dict(expected)
    after: dict[tuple[str, str], dict[str, Any]] = {}
    while pending and time.monotonic() < deadline:
        for key in list(pending):
            after[key] = figures(api, admin_headers, *key)
            if after[key]["total"] - before[key]["total"] >= pending[key]:
                del pending[key]
        if pending:
            time.sleep(0.2)
    assert not pending, f"figures did not move within {WAIT_SECONDS} s: {sorted(pending)}"
    for key, moved in expected.items():
        assert after[key]["total"] - before[key]["total"] == moved, key
    staff = after[("staff", STAFF)]
    assert staff["bad"] - before[("staff", STAFF)]["bad"] == 1
    assert staff["tags"].get("服务态度生硬", 0) - before[("staff", STAFF)]["tags"].get("服务态度生硬", 0) == 1
    assert after[("region", VILLAGE)]["counts"]["5"] - before[("region", VILLAGE)]["counts"]["5"] == 1
    assert staff["from"] == DAY and staff["to"] == DAY and staff["index"] is not None

    # And the county's townships are listed in a ranking with their figures
    answer = api.get(f"/v1/rankings/region?parent={COUNTY}&from={DAY}&to={DAY}&order=index", admin_headers)
    assert answer.status == 200, str(answer)
    ranking = answer.json()
    listed = {entry["code"]: entry for entry in ranking["entries"]}
    assert listed[TOWNSHIP]["total"] >= 1
    assert all(entry["rank"] is None for entry in ranking["entries"]), "too few ratings to rank"


def test_a_department_may_not_read_another_departments_figures(
    api: Api, department_headers: dict[str, str]
) -> None:
    answer = api.get(f"/v1/indices/department/{DEPARTMENT}", department_headers)
    assert (answer.status, answer.json()["error"]) == (403, "forbidden")
    answer = api.get("/v1/indices/department/D52010001?from=2026-02-30", department_headers)
    assert (answer.status, answer.json()["error"]) == (400, "validation")
