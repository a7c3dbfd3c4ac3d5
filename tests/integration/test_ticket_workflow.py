"""The real ticket ASL executing on moto, driven the way the system drives it: ratings stream →
ticket and execution; department and reviewer actions over the tickets app → task tokens; deadlines
pass in seconds (tests/integration/ticket_stack.py says how)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from functions.tickets import stream
from tests.integration.ticket_stack import (
    CITY,
    DEPARTMENT,
    OTHER_CITY,
    TicketStack,
)


def _walk(
    s: TicketStack, ticket_id: str, *steps: tuple[str, dict[str, Any], str, str | None]
) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for action, body, status, next_stage in steps:
        code, answer = s.act(ticket_id, action, body)
        assert code == 200, answer
        assert answer["status"] == status
        if next_stage:
            s.wait_for_stage(ticket_id, next_stage)
    return answer


def _evidence(s: TicketStack, ticket_id: str) -> str:
    key = s.upload_evidence(ticket_id)
    assert key.startswith(f"tickets/{ticket_id}/") and key.endswith(".pdf")
    return key


def test_happy_path_contact_verify_reply_revisit(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    # Given a bad rating whose ticket has opened, and the opened event out
    ticket_id = s.bad_rating("happy-path-01")
    s.wait_for_stage(ticket_id, "contact")
    opened = s.wait_for_event(ticket_id, "opened")
    assert (
        opened["department"] == DEPARTMENT and opened["supervisor"] == CITY and opened["stage"] == "contact"
    )
    # When the department walks it through every stage
    key = _evidence(s, ticket_id)
    _walk(
        s,
        ticket_id,
        ("contact", {"note": "called the rater"}, "contacted", "verify"),
        ("verify", {"finding": "valid", "category": "general"}, "rectifying", "reply"),
        ("reply", {"report": "window staff retrained", "evidence": [key]}, "replied", "revisit"),
    )
    code, answer = s.act(ticket_id, "revisit", {"satisfied": True, "note": "rater satisfied"})
    # Then the ticket is closed on time, its execution has succeeded, and the rating carries the outcome
    assert code == 200 and answer["status"] == "closed"
    assert s.wait_until_ended("happy-path-01") == "SUCCEEDED"
    assert [e["action"] for e in answer["trail"]] == ["contact", "verify", "reply", "revisit"]
    assert answer["trail"][2]["evidence"] == [key]
    assert answer["trail"][0]["by"] == f"department:{DEPARTMENT}"
    assert answer["overdue"] == [] and answer["on_time"] is True
    assert answer["rectify_due"] == answer["rectify_dues"]["general"]
    code, rating = s.call("GET", "/v1/ratings/happy-path-01", s.admin())
    assert code == 200
    assert rating["ticket"] == {
        "status": "closed",
        "contacted": True,
        "rectified": True,
        "replied": True,
        "finished": True,
        "on_time": True,
    }
    assert {e["event"] for e in s.events() if e["ticket_id"] == ticket_id} >= {"opened", "replied", "closed"}


def test_missed_contact_deadline_reminds_escalates_then_takes_the_late_action(
    ticket_stack: TicketStack,
) -> None:
    s = ticket_stack
    # Given a ticket nobody contacts
    ticket_id = s.bad_rating("missed-contact-01", satisfaction=2, deliver=False)
    s.deliver_with_fast_clock("missed-contact-01")
    # Then a reminder goes out before the deadline, and at the deadline the stage is marked overdue and
    # escalated to the region above the department
    reminder = s.wait_for_event(ticket_id, "reminder")
    escalated = s.wait_for_event(ticket_id, "escalated")
    code, ticket = s.call("GET", f"/v1/tickets/{ticket_id}", s.department())
    assert ticket["overdue"] == ["contact"]
    for event in (reminder, escalated):
        assert event["stage"] == "contact" and event["due"] == ticket["contact_due"]
        assert event["supervisor"] == CITY and event["department"] == DEPARTMENT
        assert "13800000000" not in str(event)
    assert [e["event"] for e in s.events() if e["ticket_id"] == ticket_id].index("reminder") < [
        e["event"] for e in s.events() if e["ticket_id"] == ticket_id
    ].index("escalated")
    # When the department contacts the rater late, the workflow takes it and goes on
    s.wait_for_stage(ticket_id, "contact")
    answer = _walk(s, ticket_id, ("contact", {"note": "late call"}, "contacted", "verify"))
    s.calm_clock()
    assert answer["trail"][-1]["late"] is True and answer["late"] == ["contact"]
    assert answer["on_time"] is False
    code, rating = s.call("GET", "/v1/ratings/missed-contact-01", s.admin())
    assert rating["ticket"]["contacted"] is True and rating["ticket"]["on_time"] is False


def test_appeal_approved_makes_the_rating_invalid_and_closes_the_ticket(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("appeal-approved-01")
    s.wait_for_stage(ticket_id, "contact")
    key = _evidence(s, ticket_id)
    _walk(
        s,
        ticket_id,
        ("contact", {"note": "called"}, "contacted", "verify"),
        (
            "verify",
            {"finding": "misrating", "reason": "pressed the wrong key", "evidence": [key]},
            "appealing",
            "appeal",
        ),
    )
    # A department cannot decide its own appeal, nor a reviewer of another city
    assert s.act(ticket_id, "decide-appeal", {"approve": True}, s.department())[0] == 403
    assert (
        s.act(ticket_id, "decide-appeal", {"approve": True}, s.reviewer(OTHER_CITY))[0] == 404
    )  # not in its scope: as if absent
    code, answer = s.act(
        ticket_id, "decide-appeal", {"approve": True, "reason": "video shows it"}, s.reviewer()
    )
    assert code == 200 and answer["status"] == "invalid"
    assert answer["trail"][-1]["by"] == f"reviewer:{CITY}"
    assert s.wait_until_ended("appeal-approved-01") == "SUCCEEDED"
    # A second decision on a decided appeal is a conflict and changes nothing
    code, again = s.act(ticket_id, "decide-appeal", {"approve": False}, s.reviewer())
    assert code == 409 and again["error"] == "illegal_transition"
    code, rating = s.call("GET", "/v1/ratings/appeal-approved-01", s.admin())
    assert rating["valid"] is False
    assert rating["ticket"]["status"] == "invalid" and rating["ticket"]["finished"] is True
    assert rating["ticket"]["rectified"] is False


def test_appeal_rejected_goes_back_to_rectifying_with_the_original_deadline(
    ticket_stack: TicketStack,
) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("appeal-rejected-01")
    s.wait_for_stage(ticket_id, "contact")
    key = _evidence(s, ticket_id)
    _walk(
        s,
        ticket_id,
        ("contact", {"note": "called"}, "contacted", "verify"),
        (
            "verify",
            {"finding": "malicious", "reason": "unlawful demand refused", "evidence": [key]},
            "appealing",
            "appeal",
        ),
    )
    code, answer = s.act(
        ticket_id,
        "decide-appeal",
        {"approve": False, "reason": "not shown", "category": "complex"},
        s.reviewer(),
    )
    assert code == 200 and answer["status"] == "rectifying"
    # the deadline counted from receipt, not from the decision
    assert answer["rectify_due"] == answer["rectify_dues"]["complex"]
    s.wait_for_stage(ticket_id, "reply")
    _walk(
        s,
        ticket_id,
        ("reply", {"report": "explained and apologised"}, "replied", "revisit"),
        ("revisit", {"satisfied": False, "note": "still unhappy"}, "closed", None),
    )
    assert s.wait_until_ended("appeal-rejected-01") == "SUCCEEDED"
    code, rating = s.call("GET", "/v1/ratings/appeal-rejected-01", s.admin())
    assert rating["valid"] is True and rating["ticket"]["rectified"] is True


def test_duplicate_stream_delivery_opens_one_ticket_and_one_execution(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("duplicate-01", deliver=False)
    record = s.insert_record("duplicate-01")
    # the same record twice in a batch, then the batch again
    assert s.deliver(record, record) == {"batchItemFailures": []}
    assert s.deliver(record) == {"batchItemFailures": []}
    assert list(s.executions()).count("duplicate-01") == 1
    assert s.execution("duplicate-01")["status"] == "RUNNING"
    assert s.raw_ticket(ticket_id)["execution_arn"]["S"] == s.executions()["duplicate-01"]
    opened = [e for e in s.wait_for_event(ticket_id, "opened") and s.events() if e["ticket_id"] == ticket_id]
    assert [e["event"] for e in opened].count("opened") == 1


def test_a_crash_between_starting_and_recording_still_leaves_one_execution(
    ticket_stack: TicketStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("crash-01", deliver=False)
    record = s.insert_record("crash-01")
    from functions.tickets import wiring

    tickets = wiring.runtime().tickets
    calls = {"n": 0}
    real = tickets.store.record_execution

    def crash_once(ticket: str, arn: str) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the function died here")
        real(ticket, arn)

    monkeypatch.setattr(tickets.store, "record_execution", crash_once)
    # The first delivery starts the execution and dies before recording it: the batch fails (Powertools
    # raises when every record of a batch failed, so that Lambda retries it)
    with pytest.raises(BatchProcessingError):
        s.deliver(record)
    assert "execution_arn" not in s.raw_ticket(ticket_id)
    # The retry finds the same execution (same name, same stored input) and records it
    assert s.deliver(record) == {"batchItemFailures": []}
    assert list(s.executions()).count("crash-01") == 1
    assert s.raw_ticket(ticket_id)["execution_arn"]["S"] == s.executions()["crash-01"]


def test_an_action_out_of_order_is_refused_and_changes_nothing(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("out-of-order-01")
    s.wait_for_stage(ticket_id, "contact")
    before = s.call("GET", f"/v1/tickets/{ticket_id}", s.department())[1]
    for action, body in (
        ("reply", {"report": "done"}),
        ("revisit", {"satisfied": True}),
        ("verify", {"finding": "valid", "category": "simple"}),
    ):
        code, answer = s.act(ticket_id, action, body)
        assert code == 409 and answer["error"] == "illegal_transition", answer
    assert s.call("GET", f"/v1/tickets/{ticket_id}", s.department())[1] == before
    assert s.execution("out-of-order-01")["status"] == "RUNNING"


def test_stream_ignores_good_ratings_and_modifications(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    s.bad_rating("good-rating-01", satisfaction=4, deliver=False)
    record = s.insert_record("good-rating-01")
    assert stream.open_ticket_for(record) is None
    modified = {**s.insert_record("happy-path-01"), "eventName": "MODIFY"}
    assert stream.open_ticket_for(modified) is None
    assert "good-rating-01" not in s.executions()


def test_a_rating_of_a_region_alone_goes_to_its_administration_office(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("region-only-01", region="520102016000")  # a street in 南明区
    code, ticket = s.call("GET", f"/v1/tickets/{ticket_id}", s.admin())
    assert ticket["department"] == "D52010201"  # 南明区政务服务中心
    assert ticket["supervisor"] == "520102000000"


def test_a_rescheduled_deadline_is_waited_on_by_the_running_execution(
    ticket_stack: TicketStack,
) -> None:
    s = ticket_stack
    # Given a ticket waiting for contact, due at the end of Monday 2026-11-23
    ticket_id = s.bad_rating("rescheduled-01", deliver=False)
    s.deliver_with_fast_clock("rescheduled-01")
    s.wait_for_stage(ticket_id, "contact")
    before = s.call("GET", f"/v1/tickets/{ticket_id}", s.admin())[1]
    assert before["contact_due"].startswith("2026-11-23T23:59:59")
    # When operators load a 2026 schedule in which Monday 11-23 is a holiday
    code, year = s.call("GET", "/v1/calendar/2026", s.admin())
    upload = {"holidays": [*year["holidays"], "2026-11-23"], "workdays": year["workdays"]}
    code, loaded = s.call("PUT", "/v1/calendar/2026", s.admin(), upload)
    assert code == 200 and loaded["rescheduled"] >= 1
    # Then the ticket's deadline moved to Tuesday, and the running execution waits on the new one
    after = s.call("GET", f"/v1/tickets/{ticket_id}", s.admin())[1]
    assert after["contact_due"].startswith("2026-11-24T23:59:59")
    # (should the old deadline have passed first on a busy machine, the escalation at the new one
    # still comes: look for that one)
    deadline = time.monotonic() + 15
    while not any(
        e["ticket_id"] == ticket_id and e["event"] == "escalated" and e["due"] == after["contact_due"]
        for e in s.events()
    ):
        assert time.monotonic() < deadline, s.events_seen
        s.pump()
        time.sleep(0.05)
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in s.history("rescheduled-01")
        if "stateEnteredEventDetails" in e
    ]
    assert "Reload" in entered
    assert datetime.fromisoformat(after["contact_due"]) > datetime.fromisoformat(before["contact_due"])


def test_actions_faster_than_the_workflow_are_each_handed_over_in_turn(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    # Given a ticket whose first task token has not even been stored yet
    ticket_id = s.bad_rating("fast-actions-01")
    # When the department sends every action at once, without waiting for the workflow
    for action, body in (
        ("contact", {"note": "called"}),
        ("verify", {"finding": "valid", "category": "simple"}),
        ("reply", {"report": "fixed on the spot"}),
        ("revisit", {"satisfied": True}),
    ):
        code, answer = s.act(ticket_id, action, body)
        assert code == 200, answer
    # Then the workflow takes them one by one and ends
    assert s.wait_until_ended("fast-actions-01") == "SUCCEEDED"
    assert s.raw_ticket(ticket_id)["signals"]["M"] == {}
