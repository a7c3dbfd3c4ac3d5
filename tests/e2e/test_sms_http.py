"""The SMS loop over HTTP on the local stack: a completed case, its invitation in the local outbox (the
local phone network), a reply that becomes a rating on channel `sms`, the ticket event that texts the
department; and every way a case or a reply can go otherwise."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from infra.provinces import GUIZHOU
from tests.e2e.conftest import DEPARTMENT, DEPARTMENT_ITEM, DEPARTMENT_WINDOW, Api, Stack, new_id

CST = timezone(timedelta(hours=8))
WAIT_SECONDS = 15.0


def new_phone() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def wait_for(check: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


class Phone:
    """One applicant's phone on the local phone network."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.number = new_phone()
        api.remember({"phone": self.number})  # the log check at the end looks for it

    def texts(self) -> list[dict[str, str]]:
        answer = self.api.get("/local/sms/outbox")
        assert answer.status == 200, answer
        return [m for m in answer.json()["messages"] if m["to"] == self.number]

    def wait_for_text(self, purpose: str, count: int = 1) -> list[dict[str, str]]:
        found = wait_for(lambda: len([t for t in self.texts() if t["purpose"] == purpose]) >= count)
        assert found, f"no {purpose} text reached the phone: {self.texts()}"
        return [t for t in self.texts() if t["purpose"] == purpose]

    def reply(self, body: str) -> Any:
        return self.api.send_json("POST", "/local/sms/inbound", {"from": self.number, "body": body})


def case_body(phone: str, case_no: str | None = None, **changes: Any) -> dict[str, Any]:
    body = {
        "case_no": case_no or new_id("GY"),
        "item": DEPARTMENT_ITEM,
        "department": DEPARTMENT,
        "region": "520100",
        "window": DEPARTMENT_WINDOW,
        "applicant_phone": phone,
        "completed_at": (sms_now() - timedelta(minutes=10)).astimezone(CST).isoformat(),
        **changes,
    }
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def phone(api: Api) -> Phone:
    return Phone(api)


# How far daytime_sms_clock moved the SMS function's clock from the real one.
_SMS_CLOCK_SHIFT = [timedelta(0)]


def sms_now() -> datetime:
    """The SMS function's now: a case completes before it, never after."""
    return datetime.now(UTC) + _SMS_CLOCK_SHIFT[0]


@pytest.fixture(autouse=True)
def daytime_sms_clock(api: Api) -> Iterator[None]:
    """Invitations wait out the province's quiet hours, so a run at night (CI runs whenever a session
    stops) would see every invitation held back. When the run is in or near the quiet hours, the SMS
    clock stands at a daytime moment before them (the most recent one, never in the future); tests
    that move the clock themselves do so on top of it."""
    start = int(GUIZHOU.sms.quiet_start[:2])
    end = int(GUIZHOU.sms.quiet_end[:2])
    now = datetime.now(UTC).astimezone(CST)
    if end <= now.hour < start - 1:
        yield
        return
    day = now if now.hour >= end else now - timedelta(days=1)
    daytime = day.replace(hour=start - 2, minute=0, second=0, microsecond=0)
    answer = api.send_json("PUT", "/local/sms/clock", {"now": daytime.isoformat()})
    assert answer.status == 200, answer
    _SMS_CLOCK_SHIFT[0] = daytime - now
    yield
    _SMS_CLOCK_SHIFT[0] = timedelta(0)
    api.send_json("PUT", "/local/sms/clock", {"now": None})


@pytest.fixture
def moved_clock(api: Api) -> Iterator[Callable[[datetime], None]]:
    """Moves the SMS function's clock (PUT /local/sms/clock) and puts it back afterwards."""

    def move(to: datetime) -> None:
        answer = api.send_json("PUT", "/local/sms/clock", {"now": to.isoformat()})
        assert answer.status == 200, answer

    yield move
    api.send_json("PUT", "/local/sms/clock", {"now": None})


def post_case(api: Api, body: Any, headers: dict[str, str]) -> Any:
    api.remember({"phone": body.get("applicant_phone")} if isinstance(body, dict) else None)
    return api.send_json("POST", "/v1/cases", body, headers)


def publish_ticket_event(stack: Stack, event: dict[str, Any]) -> None:
    """What the ticket process publishes on `ticket-events` (COMMON.md contract 3), sent to the local
    stack's embedded SNS as the tickets side will."""
    import boto3

    port = next(
        line.split("embedded AWS on port ")[1].split(")")[0]
        for line in stack.log_text().splitlines()
        if "embedded AWS on port" in line
    )
    sns = boto3.client(
        "sns",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="cn-northwest-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    topic = next(
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].endswith(":haochaping-local-ticket-events")
    )
    sns.publish(TopicArn=topic, Message=json.dumps(event))


# --- the whole loop ---------------------------------------------------------------------------------


def test_a_case_its_invitation_a_bad_reply_its_rating_and_the_departments_notification(
    api: Api, stack: Stack, phone: Phone, channel_headers: dict[str, str], department_headers: dict[str, str]
) -> None:
    # Given a completed case reported by the case system
    body = case_body(phone.number)
    answer = post_case(api, body, channel_headers)
    assert answer.status == 202, answer
    assert answer.json() == {"case_no": body["case_no"], "invitation": "sent"}

    # Then the applicant's phone receives the province's invitation naming the item and the office
    [invitation] = phone.wait_for_text("invitation")
    assert "企业开办一件事" in invitation["body"] and "贵阳市政务服务中心" in invitation["body"]
    assert body["case_no"] in invitation["body"] and "TD" in invitation["body"]
    assert "S5201" not in invitation["body"]  # never the staff member

    # When the applicant replies with a full-width 2 and words
    reply = phone.reply("２ 等了两个小时")
    assert reply.status == 200, reply
    outcome = reply.json()
    assert outcome["outcome"] == "rated" and outcome["case_no"] == body["case_no"]

    # Then it is a bad rating of that case on channel sms, with the words as its comment
    rating = api.get(f"/v1/ratings/{outcome['rating_id']}", department_headers)
    assert rating.status == 200, rating
    seen = rating.json()
    assert seen["channel"] == "sms" and seen["satisfaction"] == 2 and seen["good"] is False
    assert seen["comment"] == "等了两个小时" and seen["case_no"] == body["case_no"]
    assert seen["subjects"]["item"] == DEPARTMENT_ITEM and seen["rater"]["named"] is True
    assert seen["rater"]["phone"] == phone.number[:3] + "****" + phone.number[-4:]
    # and it names its ticket, which the ticket process opens from the ratings stream
    assert seen["ticket_id"] == outcome["ticket_id"] == f"tk-{outcome['rating_id']}"
    phone.wait_for_text("thanks")

    # And one rating per case holds across channels
    again = api.post_rating(
        {
            "channel": "hall_pad",
            "satisfaction": 5,
            "subjects": {"department": DEPARTMENT},
            "case_no": body["case_no"],
        },
        channel_headers,
    )
    assert again.status == 409 and again.json()["error"] == "case_already_rated"

    # Then the ticket process opens its ticket from the ratings stream
    ticket_path = f"/v1/tickets/{outcome['ticket_id']}"
    assert wait_for(lambda: api.get(ticket_path, department_headers).status == 200), "no ticket was opened"
    ticket = api.get(ticket_path, department_headers).json()
    assert ticket["rating_id"] == outcome["rating_id"] and ticket["department"] == DEPARTMENT

    # and its `opened` event (contract 3) texts the department's duty phone, once
    duty = GUIZHOU.sms.contacts[f"department#{DEPARTMENT}"]

    def notices(purpose: str) -> list[dict[str, str]]:
        messages = api.get("/local/sms/outbox").json()["messages"]
        return [m for m in messages if m["purpose"] == purpose and outcome["ticket_id"] in m["body"]]

    assert wait_for(lambda: notices("ticket")), "the department was not notified"
    [notice] = notices("ticket")
    assert notice["to"] == duty
    # A redelivery of the same event (SNS delivers at least once) texts nobody again
    publish_ticket_event(
        stack,
        {
            "event": "opened",
            "ticket_id": outcome["ticket_id"],
            "rating_id": outcome["rating_id"],
            "department": DEPARTMENT,
            "supervisor": "520100000000",
            "stage": "contact",
            "due": ticket["contact_due"],
        },
    )
    time.sleep(1.5)
    assert len(notices("ticket")) == 1

    # When the department contacts the rater, verifies the rating and replies with its rectification
    for action, payload in (
        ("contact", {"note": "已电话联系"}),
        ("verify", {"finding": "valid", "category": "simple"}),
        ("reply", {"report": "已增加窗口，缩短等候时间", "evidence": []}),
    ):
        acted = api.send_json("POST", f"{ticket_path}/{action}", payload, department_headers)
        assert acted.status == 200, acted

    # Then the rater (a named rating: the applicant's phone) hears of the reply
    [told] = phone.wait_for_text("reply")
    assert "贵阳市政务服务中心" in told["body"]


def test_an_escalation_texts_the_supervising_level(api: Api, stack: Stack) -> None:
    """The ticket workflow publishes `escalated` when a deadline passes (days away in this stack): the
    SMS side of contract 3 is shown with the event as the state machine publishes it."""
    ticket_id = new_id("tk")
    publish_ticket_event(
        stack,
        {
            "event": "escalated",
            "ticket_id": ticket_id,
            "rating_id": ticket_id.removeprefix("tk-"),
            "department": DEPARTMENT,
            "supervisor": "520100000000",
            "stage": "contact",
            "due": None,
        },
    )
    supervisor = GUIZHOU.sms.contacts["region#520100000000"]

    def escalations() -> list[dict[str, str]]:
        messages = api.get("/local/sms/outbox").json()["messages"]
        return [m for m in messages if m["purpose"] == "escalation" and ticket_id in m["body"]]

    assert wait_for(escalations), "the supervising level was not told"
    [text] = escalations()
    assert text["to"] == supervisor and "贵阳市政务服务中心" in text["body"]


# --- how else a case or a reply can go --------------------------------------------------------------


def test_an_unparseable_reply_gets_one_help_text(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    assert post_case(api, case_body(phone.number), channel_headers).status == 202
    phone.wait_for_text("invitation")
    assert phone.reply("你们好").json()["outcome"] == "help"
    assert phone.reply("啊？").json()["outcome"] == "ignored"
    phone.wait_for_text("help")
    time.sleep(0.5)
    assert len([t for t in phone.texts() if t["purpose"] == "help"]) == 1
    assert phone.reply("5 服务很好").json()["outcome"] == "rated"


def test_opting_out_is_honoured(api: Api, phone: Phone, channel_headers: dict[str, str]) -> None:
    assert post_case(api, case_body(phone.number), channel_headers).status == 202
    phone.wait_for_text("invitation")
    assert phone.reply("TD").json()["outcome"] == "opted_out"
    phone.wait_for_text("opted_out")
    # the open invitation is closed, and no new one is sent to this number
    assert phone.reply("5").json()["outcome"] == "no_invitation"
    later = post_case(api, case_body(phone.number), channel_headers)
    assert later.status == 202 and later.json()["invitation"] == "opted_out"
    time.sleep(0.5)
    assert len([t for t in phone.texts() if t["purpose"] == "invitation"]) == 1


def test_an_expired_invitation_is_not_rated(
    api: Api, phone: Phone, channel_headers: dict[str, str], moved_clock: Callable[[datetime], None]
) -> None:
    assert post_case(api, case_body(phone.number), channel_headers).status == 202
    phone.wait_for_text("invitation")
    moved_clock(datetime.now(UTC) + timedelta(days=GUIZHOU.sms.invitation_valid_days, minutes=1))
    assert phone.reply("4").json()["outcome"] == "expired"
    phone.wait_for_text("expired")


def test_the_same_case_twice_invites_once_and_other_content_is_a_conflict(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    body = case_body(phone.number)
    assert post_case(api, body, channel_headers).json()["invitation"] == "sent"
    again = post_case(api, body, channel_headers)
    assert again.status == 202 and again.json()["invitation"] == "already_invited"
    other = post_case(api, {**body, "applicant_phone": new_phone()}, channel_headers)
    assert other.status == 409 and other.json()["error"] == "conflict"
    time.sleep(0.5)
    assert len(phone.wait_for_text("invitation")) == 1
    # nothing already accepted was lost: the first report's invitation still rates the case
    assert phone.reply("满意").json()["outcome"] == "rated"


def test_a_case_already_rated_gets_no_invitation(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    case_no = new_id("GY")
    rated = api.post_rating(
        {
            "channel": "hall_pad",
            "satisfaction": 5,
            "subjects": {"department": DEPARTMENT},
            "case_no": case_no,
        },
        channel_headers,
    )
    assert rated.status == 201, rated
    answer = post_case(api, case_body(phone.number, case_no), channel_headers)
    assert answer.status == 202 and answer.json()["invitation"] == "already_rated"
    time.sleep(0.5)
    assert phone.texts() == []


def test_quiet_hours_hold_an_invitation_until_they_end(
    api: Api, phone: Phone, channel_headers: dict[str, str], moved_clock: Callable[[datetime], None]
) -> None:
    # Given the SMS clock at 23:00 local time (Guizhou's quiet hours are 21:00-08:00)
    night = (
        (datetime.now(UTC) + timedelta(days=1))
        .astimezone(CST)
        .replace(hour=23, minute=0, second=0, microsecond=0)
    )
    moved_clock(night)
    answer = post_case(api, case_body(phone.number), channel_headers)
    assert answer.status == 202, answer
    morning = (night + timedelta(days=1)).replace(hour=8)
    assert answer.json() == {
        "case_no": answer.json()["case_no"],
        "invitation": "scheduled",
        "send_after": morning.isoformat(),
    }
    time.sleep(2.0)  # the periodic release runs every second locally
    assert phone.texts() == []
    # When the morning comes, the invitation goes out
    moved_clock(morning + timedelta(minutes=1))
    phone.wait_for_text("invitation")
    assert phone.reply("3").json()["outcome"] == "rated"


def test_a_reply_without_an_open_invitation_is_answered_and_stored_nowhere(
    api: Api, phone: Phone, department_headers: dict[str, str]
) -> None:
    assert phone.reply("5").json() == {"outcome": "no_invitation"}
    [answer] = phone.wait_for_text("no_invitation")
    assert answer["body"] == GUIZHOU.sms.no_invitation


def test_several_open_invitations_are_rated_newest_first(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    older = case_body(phone.number, item="I5201000102")
    newer = case_body(phone.number)
    assert post_case(api, older, channel_headers).status == 202
    assert post_case(api, newer, channel_headers).status == 202
    phone.wait_for_text("invitation", count=2)
    assert phone.reply("5").json()["case_no"] == newer["case_no"]
    [thanks] = phone.wait_for_text("thanks")
    assert older["case_no"] in thanks["body"]  # says how to rate the other one
    assert phone.reply("4").json()["case_no"] == older["case_no"]


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"applicant_phone": None}, 400, "applicant_phone"),
        ({"applicant_phone": "+85291234567"}, 400, "applicant_phone"),
        ({"applicant_phone": "010-12345678"}, 400, "applicant_phone"),
        ({"completed_at": "yesterday"}, 400, "completed_at"),
        ({"case_no": "办件 1"}, 400, "case_no"),
        ({"item": None}, 400, "item"),
        ({"extra": 1}, 400, "extra"),
        ({"item": "I9999999999"}, 422, None),
        ({"department": "D99999999"}, 422, None),
        ({"item": "I5201000201"}, 422, None),  # an item of another department
    ],
)
def test_bad_cases_are_refused_and_send_nothing(
    api: Api,
    phone: Phone,
    channel_headers: dict[str, str],
    change: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    answer = post_case(api, case_body(phone.number, **change), channel_headers)
    assert answer.status == status, answer
    error = answer.json()
    assert error["error"] == ("validation" if status == 400 else "unknown_subject")
    if field:
        assert field in error["fields"]
    assert phone.number not in answer.text
    time.sleep(0.3)
    assert phone.texts() == []


def test_cases_need_a_channel_key(api: Api, phone: Phone) -> None:
    answer = post_case(api, case_body(phone.number), {})
    assert answer.status == 401 and answer.json()["error"] == "unauthenticated"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "5" + "很" * 400}, "body"),
        ({"body": 5}, "body"),
        ({"from": "+85291234567"}, "from"),
    ],
)
def test_bad_inbound_texts_are_refused(api: Api, phone: Phone, body: dict[str, Any], field: str) -> None:
    answer = api.send_json("POST", "/local/sms/inbound", {"from": phone.number, "body": "5", **body})
    assert answer.status == 400, answer
    assert field in answer.json()["fields"]
    assert phone.texts() == []


def test_a_reply_delivered_twice_by_the_network_rates_one_case(
    api: Api, phone: Phone, channel_headers: dict[str, str]
) -> None:
    # Given two open invitations on one phone
    older, newer = new_id("GY"), new_id("GY")
    assert post_case(api, case_body(phone.number, older), channel_headers).status == 202
    assert post_case(api, case_body(phone.number, newer), channel_headers).status == 202
    phone.wait_for_text("invitation", count=2)
    # When the same message (one provider message id) arrives twice
    text = {"from": phone.number, "body": "1 等了两个小时", "message_id": new_id("msg")}
    first = api.send_json("POST", "/local/sms/inbound", text)
    again = api.send_json("POST", "/local/sms/inbound", text)
    # Then one case is rated, the replay rates nothing, and the thanks names the case rated
    assert first.status == 200 and first.json()["outcome"] == "rated"
    assert again.status == 200 and again.json() == {
        "outcome": "duplicate",
        "case_no": first.json()["case_no"],
    }
    thanks = phone.wait_for_text("thanks")
    assert len(thanks) == 1 and first.json()["case_no"] in thanks[0]["body"]
    bad_id = api.send_json("POST", "/local/sms/inbound", {**text, "message_id": "a b"})
    assert bad_id.status == 400 and "message_id" in bad_id.json()["fields"]
