"""The province rules on ratings over HTTP on the local stack (the demo province sets every one): the
local schedules, the SMS reply that waits for its reason, default ratings and the rating periods."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.core.domain.ratings import default_rating_id
from tests.e2e.conftest import DEPARTMENT, DEPARTMENT_WINDOW, Api, new_id
from tests.e2e.test_sms_http import (  # noqa: F401  (daytime_sms_clock: invitations are sent at night too)
    CST,
    Phone,
    case_body,
    daytime_sms_clock,
    post_case,
    sms_now,
    wait_for,
)


@pytest.fixture
def phone(api: Api) -> Phone:
    return Phone(api)


def figures(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    answer = api.get(f"/v1/indices/department/{DEPARTMENT}", headers)
    assert answer.status == 200, answer
    return dict(answer.json())


def test_the_local_schedules_are_the_topologys_and_one_runs_on_demand(api: Api) -> None:
    listed = api.get("/local/schedules")
    assert listed.status == 200, listed
    names = {s["name"] for s in listed.json()["schedules"]}
    assert {"sms-default-ratings", "sms-release", "index-warnings"} <= names

    ran = api.request("POST", "/local/schedules/sms-default-ratings")
    assert ran.status == 200, ran
    assert ran.json()["name"] == "sms-default-ratings" and "made" in ran.json()["result"]
    missing = api.request("POST", "/local/schedules/no-such-schedule")
    assert (missing.status, missing.json()["error"]) == (404, "not_found")


def test_a_bad_sms_reply_without_words_is_asked_its_reason_once_and_rated_with_it(
    api: Api, phone: Phone, channel_headers: dict[str, str], department_headers: dict[str, str]
) -> None:
    # Given an invited applicant
    body = case_body(phone.number)
    assert post_case(api, body, channel_headers).status == 202
    phone.wait_for_text("invitation")

    # When the reply is a bad level alone
    first = phone.reply("1")
    assert (first.status, first.json()["outcome"]) == (200, "reason_requested")
    # Then one text asks for the reason, and a second bare level gets nothing more
    [asked] = phone.wait_for_text("reason")
    assert "原因" in asked["body"]
    assert phone.reply("1").json() == {"outcome": "ignored"}

    # When the words come
    rated = phone.reply("窗口说材料不全却没说缺什么")
    outcome = rated.json()
    assert outcome["outcome"] == "rated" and outcome["ticket_id"]
    # Then the rating has the level first replied and the words as its reason
    shown = api.get(f"/v1/ratings/{outcome['rating_id']}", department_headers).json()
    assert (shown["satisfaction"], shown["comment"], shown["kind"]) == (
        1,
        "窗口说材料不全却没说缺什么",
        "rating",
    )
    assert len(phone.wait_for_text("reason")) == 1


def test_a_case_unrated_through_its_period_is_rated_by_default_until_its_applicant_rates_it(
    api: Api, phone: Phone, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    before = figures(api, admin_headers)["defaults"]
    # Given a case completed 16 days ago (the demo province's rating period is 15 days)
    body = case_body(phone.number, completed_at=(sms_now() - timedelta(days=16)).astimezone(CST).isoformat())
    assert post_case(api, body, channel_headers).status == 202

    # When the default-rating schedule runs (twice: once on demand, and its poller)
    assert api.request("POST", "/local/schedules/sms-default-ratings").status == 200
    assert api.request("POST", "/local/schedules/sms-default-ratings").status == 200

    # Then the case has one default rating, shown as such, counted once in the figures
    default_id = default_rating_id(body["case_no"])
    shown = api.get(f"/v1/ratings/{default_id}", admin_headers)
    assert shown.status == 200, shown
    rating = shown.json()
    assert (rating["kind"], rating["good"], rating["ticket_id"], rating["rater"]["named"]) == (
        "default",
        True,
        None,
        False,
    )
    assert wait_for(lambda: figures(api, admin_headers)["defaults"] == before + 1)

    # When the applicant rates the case after all, within the follow-up period of the default
    mine = {
        "rating_id": new_id("after-default"),
        "channel": "pc",
        "satisfaction": 4,
        "subjects": {"department": DEPARTMENT, "window": DEPARTMENT_WINDOW},
        "case_no": body["case_no"],
        "sub_scores": {"efficiency": 4, "guide": 5},
    }
    answer = api.post_rating(mine, channel_headers)
    assert answer.status == 201, answer
    # Then their rating replaces the default in every figure
    replaced = api.get(f"/v1/ratings/{default_id}", admin_headers).json()
    assert replaced["replaced_by"] == mine["rating_id"]
    assert api.get(f"/v1/ratings/{mine['rating_id']}", admin_headers).json()["kind"] == "follow_up"
    assert wait_for(lambda: figures(api, admin_headers)["defaults"] == before)


def test_a_case_past_its_rating_and_follow_up_periods_is_409(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    # Given a case completed 40 days ago: rated by default on day 15, and 15 more days have passed
    body = case_body(phone.number, completed_at=(sms_now() - timedelta(days=40)).astimezone(CST).isoformat())
    assert post_case(api, body, channel_headers).status == 202
    assert api.request("POST", "/local/schedules/sms-default-ratings").status == 200

    late = {
        "channel": "hall_pad",
        "satisfaction": 5,
        "subjects": {"department": DEPARTMENT, "window": DEPARTMENT_WINDOW},
        "case_no": body["case_no"],
    }
    answer = api.post_rating(late, channel_headers)
    assert (answer.status, answer.json()["error"]) == (409, "rating_period_over")
