"""The third early-warning rule on moto: open tickets due by the end of the next working day, or already
overdue, read from the tickets table (written in the tickets store's own item shape) through its
`by_department` index, with the working-day calendar's weekends, holidays, make-up working days and
the province's local holidays; listed at GET /v1/warnings and counted by the province-wide check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.index import wiring as index_wiring
from functions.index.settings import IndexSettings
from functions.tickets.rules import Status, Ticket
from functions.tickets.store import ticket_to_item
from infra.local.gateway import LocalApiGateway
from tests.gateway import TEST_API_KEYS, GatewayClient
from tests.integration.conftest import RateStack

DEPARTMENT = "D52010201"
OTHER = "D52010001"  # 贵阳市政务服务中心
PROVINCE = "520000000000"
ZONE = ZoneInfo("Asia/Shanghai")
FAR = datetime(2026, 12, 31, 23, 59, 59, tzinfo=ZONE)


@pytest.fixture
def index(rate_stack: RateStack) -> Iterator[Any]:
    from functions.index.app import app

    index_wiring.use(index_wiring.build(IndexSettings.from_env(rate_stack.env), rate_stack.dynamodb))
    try:
        yield GatewayClient(LocalApiGateway({"index": app}, api_keys=TEST_API_KEYS))
    finally:
        index_wiring.use(None)


def at(day: str, clock: str = "23:59:59") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZONE)


def put_ticket(
    stack: RateStack,
    ticket_id: str,
    status: Status,
    contact_due: datetime,
    department: str = DEPARTMENT,
    category: str | None = None,
    general_due: datetime = FAR,
) -> None:
    ticket = Ticket(
        ticket_id=ticket_id,
        rating_id=f"R-{ticket_id}",
        department=department,
        supervisor="520102000000",
        named=False,
        status=status,
        received_at=at("2026-09-01", "10:00:00"),
        contact_due=contact_due,
        rectify_dues={"simple": FAR, "general": general_due, "complex": FAR},
        provisional=False,
        category=category,
    )
    table = IndexSettings.from_env(stack.env).tickets_table
    stack.dynamodb.put_item(TableName=table, Item=ticket_to_item(ticket))


def listed(index: Any, stack: RateStack, day: str, department: str = DEPARTMENT) -> dict[str, Any]:
    answer = index.http.get(f"/v1/warnings?date={day}", headers=stack.token("department", department))
    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert "ticket_due" in body["rules"] and body["pending_rules"] == []
    return {w["ticket_id"]: w for w in body["warnings"] if w["rule"] == "ticket_due"}


def test_open_tickets_due_by_the_next_working_day_or_overdue_are_listed(
    rate_stack: RateStack, index: Any
) -> None:
    # Given, on Thursday 2026-09-17 (the next working day is Friday the 18th), tickets of a department
    put_ticket(rate_stack, "T-tomorrow", Status.OPEN, at("2026-09-18"))
    put_ticket(rate_stack, "T-overdue", Status.OPEN, at("2026-09-16"))
    # rectifying: its deadline is the reply deadline of its category, not the (past) contact deadline
    put_ticket(
        rate_stack,
        "T-reply",
        Status.RECTIFYING,
        at("2026-09-03"),
        category="general",
        general_due=at("2026-09-18", "12:00:00"),
    )
    put_ticket(rate_stack, "T-closed", Status.CLOSED, at("2026-09-18"))
    put_ticket(rate_stack, "T-invalid", Status.INVALID, at("2026-09-16"))
    put_ticket(rate_stack, "T-appealing", Status.APPEALING, at("2026-09-16"))  # no deadline to keep
    put_ticket(rate_stack, "T-later", Status.OPEN, at("2026-09-21"))
    put_ticket(rate_stack, "T-elsewhere", Status.OPEN, at("2026-09-18"), department=OTHER)

    # When the department asks for the day's warnings
    found = listed(index, rate_stack, "2026-09-17")

    # Then the open ones due by Friday's end are listed, the overdue one marked, nothing else
    assert set(found) == {"T-tomorrow", "T-overdue", "T-reply"}
    assert (found["T-overdue"]["overdue"], found["T-tomorrow"]["overdue"]) == (True, False)
    assert (found["T-reply"]["stage"], found["T-reply"]["due"]) == ("reply", "2026-09-18T12:00:00+08:00")
    assert found["T-tomorrow"]["stage"] == "contact"
    assert found["T-tomorrow"]["horizon"] == "2026-09-18T23:59:59+08:00"
    assert found["T-tomorrow"]["department"]["code"] == DEPARTMENT
    # and the other department sees only its own
    assert set(listed(index, rate_stack, "2026-09-17", OTHER)) == {"T-elsewhere"}
    # and on the last day a warning may be asked for (its next working day is in 2100), every open
    # ticket with a deadline is overdue
    last = listed(index, rate_stack, "2099-12-31")
    assert set(last) == {"T-tomorrow", "T-overdue", "T-reply", "T-later"}
    assert all(w["overdue"] for w in last.values())


def test_the_horizon_follows_weekends_holidays_and_make_up_working_days(
    rate_stack: RateStack, index: Any
) -> None:
    for ticket_id, due in {
        "T-0920": "2026-09-20",  # a Sunday made a working day (调休) for the Mid-Autumn Festival
        "T-0921": "2026-09-21",
        "T-0928": "2026-09-28",  # Monday after Mid-Autumn (Friday the 25th) and the weekend
        "T-0929": "2026-09-29",
        "T-1008": "2026-10-08",  # the first working day after National Day (1 to 7 October)
        "T-1009": "2026-10-09",
    }.items():
        put_ticket(rate_stack, ticket_id, Status.OPEN, at(due))

    # On Friday the 18th the next working day is Sunday the 20th (a make-up day)
    assert set(listed(index, rate_stack, "2026-09-18")) == {"T-0920"}
    # On Thursday the 24th: not the holiday, not the weekend, Monday the 28th
    assert set(listed(index, rate_stack, "2026-09-24")) == {"T-0920", "T-0921", "T-0928"}
    # On 30 September: 8 October, everything before it already overdue
    on_30 = listed(index, rate_stack, "2026-09-30")
    assert set(on_30) == {"T-0920", "T-0921", "T-0928", "T-0929", "T-1008"}
    assert [t for t, w in on_30.items() if not w["overdue"]] == ["T-1008"]


def test_local_holidays_move_the_horizon_and_the_province_check_counts_tickets(
    rate_stack: RateStack, index: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.core.observability import flush
    from functions.index import analysis_wiring
    from functions.index.warnings import EarlyWarnings, check_province

    put_ticket(rate_stack, "T-0929", Status.OPEN, at("2026-09-29"))
    put_ticket(rate_stack, "T-overdue", Status.OPEN, at("2026-09-23"), department=OTHER)
    put_ticket(rate_stack, "T-0930", Status.OPEN, at("2026-09-30"))
    wired = analysis_wiring.analysis()
    # A province whose local holiday is Monday the 28th: on the 24th the horizon is Tuesday the 29th
    province = replace(wired.settings.province, local_holidays=("2026-09-28",))
    service = EarlyWarnings(wired.figures, wired.store, province, wired.tickets)
    departments = [wired.directory.get("department", DEPARTMENT)]
    morning = at("2026-09-24", "09:00:00")
    assert [w["ticket_id"] for w in service.evaluate(departments, date(2026, 9, 24), morning)] == ["T-0929"]

    capsys.readouterr()
    totals = check_province(service, wired.store, PROVINCE, date(2026, 9, 23), morning)
    assert totals == {"bad_rate_jump": 0, "index_drop": 0, "ticket_due": 2}
    # and emits them as metrics, one per rule, with no department dimension (outside a request or batch
    # they are emitted at once; flush emits whatever a scope still holds)
    flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    emitted = {k: v for line in lines for k, v in line.items() if k.startswith("EarlyWarning")}
    assert emitted == {
        "EarlyWarningBadRateJump": [0],
        "EarlyWarningIndexDrop": [0],
        "EarlyWarningTicketDue": [2],
    }
    assert not any(DEPARTMENT in json.dumps(line) or "department" in line for line in lines)
