"""The ticket rules without AWS: transitions, who may act, the outcome on the rating, the waits the
workflow is given, and the one placeholder substitution of the ASL."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.domain.errors import Forbidden, IllegalTransition, ValidationFailed
from functions.core.domain.regions import is_within
from functions.tickets.rules import Actor, Status, Step, Ticket, apply_action
from infra import topology
from infra.statemachines import definition, placeholders

ZONE = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 23, 9, tzinfo=ZONE)
DEPARTMENT = Actor("department", "D52010001", "department:D52010001")
REVIEWER = Actor("reviewer", "520100000000", "reviewer:520100000000")


def ticket(**changes: object) -> Ticket:
    base = Ticket(
        ticket_id="tk-r1",
        rating_id="r1",
        department="D52010001",
        supervisor="520100000000",
        named=True,
        status=Status.OPEN,
        received_at=RECEIVED,
        contact_due=datetime(2026, 11, 24, 23, 59, 59, tzinfo=ZONE),
        rectify_dues={
            "simple": datetime(2026, 11, 24, 23, 59, 59, tzinfo=ZONE),
            "general": datetime(2026, 11, 30, 23, 59, 59, tzinfo=ZONE),
            "complex": datetime(2026, 12, 14, 23, 59, 59, tzinfo=ZONE),
        },
        provisional=False,
    )
    return Ticket(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_the_outcome_on_the_rating_follows_the_status() -> None:
    assert ticket().outcome() == {
        "status": "open",
        "contacted": False,
        "rectified": False,
        "replied": False,
        "finished": False,
        "on_time": False,
    }
    closed = ticket(status=Status.CLOSED).outcome()
    assert closed["finished"] and closed["on_time"] and closed["rectified"] and closed["replied"]
    late = ticket(status=Status.CLOSED, overdue={"contact": "2026-11-25T00:00:00Z"}).outcome()
    assert late["finished"] and not late["on_time"]
    invalid = ticket(status=Status.INVALID).outcome()
    assert invalid["finished"] and not invalid["rectified"]


def test_a_late_action_is_taken_and_marked() -> None:
    after_due = datetime(2026, 11, 25, 10, tzinfo=ZONE)
    moved = apply_action(ticket(), "contact", {"note": "late"}, DEPARTMENT, after_due, is_within)
    assert moved.after.status is Status.CONTACTED and moved.entry["late"] is True
    assert moved.after.late == ("contact",) and not moved.after.on_time


def test_who_may_act_and_in_which_order() -> None:
    now = RECEIVED + timedelta(hours=1)
    with pytest.raises(Forbidden):
        apply_action(ticket(), "contact", {}, Actor("department", "D52010002", "x"), now, is_within)
    with pytest.raises(Forbidden):
        apply_action(
            ticket(status=Status.APPEALING), "decide-appeal", {"approve": True}, DEPARTMENT, now, is_within
        )
    with pytest.raises(IllegalTransition):
        apply_action(ticket(), "reply", {"report": "x"}, DEPARTMENT, now, is_within)
    with pytest.raises(ValidationFailed):
        apply_action(
            ticket(status=Status.CONTACTED), "verify", {"finding": "valid"}, DEPARTMENT, now, is_within
        )
    approved = apply_action(
        ticket(status=Status.APPEALING), "decide-appeal", {"approve": True}, REVIEWER, now, is_within
    )
    assert approved.after.status is Status.INVALID and approved.end


def test_the_wait_has_a_reminder_then_the_rest_until_the_deadline() -> None:
    now = RECEIVED

    def seconds_until(moment: datetime) -> int:
        return max(1, int((moment - now).total_seconds()))

    step = Step.make(ticket(), now, seconds_until, timedelta(hours=4))
    due = ticket().contact_due
    assert step["stage"] == "contact" and step["due"] == due.isoformat()
    assert step["remind_in"] == seconds_until(due - timedelta(hours=4))
    assert step["remind_in"] + step["due_in"] == seconds_until(due)
    # past its reminder: no reminder; overdue already and past due: an open-ended wait
    late = Step.make(ticket(), due - timedelta(hours=1), seconds_until, timedelta(hours=4))
    assert late["remind_in"] == 0
    open_ended = Step.make(
        ticket(overdue={"contact": "x"}), due + timedelta(hours=1), seconds_until, timedelta(hours=4)
    )
    assert (open_ended["remind_in"], open_ended["due_in"]) == (0, 0)
    assert Step.make(ticket(status=Status.APPEALING), now, seconds_until, timedelta(hours=4))["due_in"] == 0


def test_the_asl_placeholders_are_exactly_the_topology_s_and_values_cannot_break_it() -> None:
    (machine,) = [m for m in topology.STATE_MACHINES if m.name == "ticket"]
    assert placeholders("ticket") == {name for name, _ in machine.placeholders}
    values = {name: f'odd "value" {name}' for name, _ in machine.placeholders}
    parsed = json.loads(definition("ticket", values))
    assert parsed["States"]["Escalate"]["Parameters"]["TopicArn"] == 'odd "value" TicketEventsTopicArn'
    with pytest.raises(ValueError):
        definition("ticket", {**values, "Unused": "x"})
    with pytest.raises(ValueError):
        definition("ticket", {k: v for k, v in values.items() if k != "Partition"})


def test_the_fast_clock_is_for_the_local_stack_only() -> None:
    from functions.tickets.clock import Clock

    fast = Clock.parse("2026-11-22T20:00:00+08:00@3600")
    assert fast.now() >= datetime(2026, 11, 22, 20, tzinfo=ZONE)
    assert fast.seconds_until(datetime(2026, 11, 22, 22, tzinfo=ZONE)) in (1, 2)
    wall = Clock.parse("")
    assert abs((wall.now() - datetime.now(ZONE)).total_seconds()) < 5


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ACTION_FIELDS = ["approve", "category", "reason", "finding", "evidence", "note", "report", "satisfied"]


@settings(max_examples=400, deadline=None)
@given(
    action=st.sampled_from(["contact", "verify", "decide-appeal", "reply", "revisit"]),
    status=st.sampled_from(list(Status)),
    body=JSON_VALUES
    | st.dictionaries(st.sampled_from(ACTION_FIELDS), JSON_VALUES, max_size=4)
    | st.fixed_dictionaries({"category": st.sampled_from(["simple", "general", "x"])}),
    admin=st.booleans(),
)
def test_any_body_for_any_action_is_a_transition_or_a_domain_error(
    action: str, status: Status, body: object, admin: bool
) -> None:
    # Given a ticket in any status and any JSON body (e.g. decide-appeal {"category": "simple"}, null, ["x"])
    actor = (
        Actor("admin", None, "admin:-") if admin else (REVIEWER if action == "decide-appeal" else DEPARTMENT)
    )
    # When the action is applied, then it is a transition or a refusal with meaning, never a KeyError
    with contextlib.suppress(Forbidden, IllegalTransition, ValidationFailed):
        apply_action(ticket(status=status), action, body, actor, RECEIVED, is_within)


@pytest.mark.parametrize("body", [{"category": "simple"}, None, ["x"], {"approve": None, "category": "x"}])
def test_decide_appeal_without_approve_is_a_validation_error(body: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        apply_action(ticket(status=Status.APPEALING), "decide-appeal", body, REVIEWER, RECEIVED, is_within)
    assert "approve" in refused.value.fields or "body" in refused.value.fields
