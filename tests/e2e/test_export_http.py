"""The upward export over HTTP on the local stack (as `make run` serves it): a rating reaches the stand-in
receivers of both shipped mappings, the admin reads the day's status, the national receiver goes down
and comes back, loses a record that the reconciliation re-sends, and the schedules run on demand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.e2e.conftest import DEPARTMENT, DEPARTMENT_ITEM, DEPARTMENT_WINDOW, Api, new_id

CST = timezone(timedelta(hours=8))


def wait_for(check: Callable[[], Any], timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def received(api: Api, target: str) -> dict[str, Any]:
    answer = api.get(f"/local/receivers/{target}/records")
    assert answer.status == 200
    return {r["natural_key"]: r for r in answer.json()["records"]}


def rate(api: Api, channel_headers: dict[str, str]) -> str:
    rating_id = new_id("exp")
    body = {
        "rating_id": rating_id,
        "channel": "pc",
        "satisfaction": 4,
        "subjects": {"department": DEPARTMENT, "item": DEPARTMENT_ITEM, "window": DEPARTMENT_WINDOW},
    }
    assert api.post_rating(body, channel_headers).status == 201
    return rating_id


def mode(api: Api, target: str, **body: Any) -> None:
    assert api.send_json("PUT", f"/local/receivers/{target}", body).status == 200


def test_a_days_export_reaches_the_receivers_and_reconciles(api, channel_headers, admin_headers):
    today = datetime.now(CST).date().isoformat()
    # Given a rating on the demo province
    first = rate(api, channel_headers)

    # Then it reaches the national receiver (GB/T 39046) and the hub (service record, then evaluation)
    assert wait_for(lambda: f"{first}#1" in received(api, "national"))
    assert wait_for(lambda: {f"{first}#s1", f"{first}#1"} <= set(received(api, "hub")))
    record = received(api, "national")[f"{first}#1"]["record"]
    assert (record["评价渠道"], record["满意度代码"], record["op"]) == ("PC端", "2", "I")

    # And the admin sees the day
    answer = api.get(f"/v1/export/status?date={today}&target=national", admin_headers)
    assert answer.status == 200
    status = answer.json()
    assert status["acknowledged"] >= 1 and len(status["digest"]) == 64

    # When the national platform is down, a rating waits, unacknowledged, and is caught up when it is back
    mode(api, "national", mode="down")
    try:
        second = rate(api, channel_headers)
        time.sleep(3)
        ran = api.request("POST", "/local/schedules/export")
        assert ran.status == 200 and "national" in ran.json()["result"]["sent"]
        assert f"{second}#1" not in received(api, "national")
    finally:
        mode(api, "national", mode="ok")
    assert wait_for(lambda: f"{second}#1" in received(api, "national"))

    # When the receiver loses a record, the reconciliation asked for finds it and re-sends it
    mode(api, "national", lose=[f"{first}#1"])
    assert f"{first}#1" not in received(api, "national")
    answer = api.send_json(
        "POST", "/v1/export/reconcile", {"date": today, "target": "national"}, admin_headers
    )
    assert answer.status == 202
    assert wait_for(lambda: f"{first}#1" in received(api, "national"))


def test_the_schedules_are_listed_and_a_bad_reconcile_request_is_a_400(api, admin_headers):
    answer = api.get("/local/schedules")
    names = {s["name"] for s in answer.json()["schedules"]}
    assert {"export", "sms-release"} <= names
    assert api.request("POST", "/local/schedules/no-such-job").status == 404
    bad = api.send_json("POST", "/v1/export/reconcile", {"date": "yesterday"}, admin_headers)
    assert bad.status == 400 and bad.json()["error"] == "validation"
    assert api.send_json("PUT", "/local/receivers/national", {"mode": "asleep"}).status == 400
