"""The tickets and calendar endpoints' bad input: each refused with its contract error, none changing
the ticket or its trail. And the calendar endpoints of API.md."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.ticket_stack import CITY, OTHER_CITY, OTHER_DEPARTMENT, TicketStack


@pytest.fixture(scope="module")
def contacted(ticket_stack: TicketStack) -> str:
    """A ticket the department has contacted (waiting for its verification)."""
    ticket_id = ticket_stack.bad_rating("api-bad-input-01")
    ticket_stack.wait_for_stage(ticket_id, "contact")
    code, answer = ticket_stack.act(ticket_id, "contact", {"note": "called"})
    assert code == 200, answer
    ticket_stack.wait_for_stage(ticket_id, "verify")
    return ticket_id


def _snapshot(s: TicketStack, ticket_id: str) -> dict[str, Any]:
    code, ticket = s.call("GET", f"/v1/tickets/{ticket_id}", s.admin())
    assert code == 200
    ticket.pop("on_time")
    return ticket


@pytest.mark.parametrize(
    ("action", "body", "who", "status", "error"),
    [
        ("verify", {"finding": "fine", "category": "general"}, "department", 400, "validation"),
        ("verify", {"finding": "valid", "category": "urgent"}, "department", 400, "validation"),
        ("verify", {"finding": "valid"}, "department", 400, "validation"),
        (
            "verify",
            {"finding": "misrating", "reason": "x", "evidence": ["tickets/x/forged"]},
            "department",
            400,
            "validation",
        ),
        ("verify", {"finding": "valid", "category": "simple"}, "other_department", 404, "not_found"),
        ("verify", {"finding": "valid", "category": "simple"}, "ghost_department", 403, "forbidden"),
        ("verify", {"finding": "valid", "category": "simple"}, "reviewer", 403, "forbidden"),
        ("decide-appeal", {"approve": True}, "department", 403, "forbidden"),
        ("decide-appeal", {"approve": True}, "reviewer", 409, "illegal_transition"),
        ("contact", {"note": "again"}, "department", 409, "illegal_transition"),
        ("reply", {"report": 5}, "department", 400, "validation"),
        ("verify", "not json", "department", 400, "validation"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    ticket_stack: TicketStack, contacted: str, action: str, body: Any, who: str, status: int, error: str
) -> None:
    s = ticket_stack
    headers = {
        "department": s.department(),
        "other_department": s.department(OTHER_DEPARTMENT),
        "ghost_department": s.department("D52019999"),  # not (or no longer) in the directory
        "reviewer": s.reviewer(CITY),
    }[who]
    before = _snapshot(s, contacted)
    code, answer = s.act(contacted, action, body, headers)
    assert (code, answer["error"]) == (status, error), answer
    assert set(answer) >= {"error", "message"}
    assert _snapshot(s, contacted) == before


def test_another_scopes_ticket_is_answered_as_one_that_does_not_exist(
    ticket_stack: TicketStack, contacted: str
) -> None:
    s = ticket_stack
    # Given a ticket id that does not exist, and one that exists in another department's scope
    code, missing = s.call("GET", "/v1/tickets/tk-nothing-here", s.department(OTHER_DEPARTMENT))
    assert (code, missing["error"]) == (404, "not_found")
    assert s.act("tk-nothing-here", "contact", {"note": "x"})[0] == 404
    # Then the other scope gets the very same answer for the one that exists, whatever it does
    evidence = {"content_type": "application/pdf", "size": 100}
    for who in (s.department(OTHER_DEPARTMENT), s.reviewer(OTHER_CITY)):
        assert s.call("GET", f"/v1/tickets/{contacted}", who) == (404, missing)
        assert s.call("POST", f"/v1/tickets/{contacted}/evidence", who, evidence) == (404, missing)
        assert s.act(contacted, "contact", {"note": "x"}, who) == (404, missing)
        assert s.call("GET", "/v1/tickets/tk-nothing-here", who) == (404, missing)
    assert s.call("GET", f"/v1/tickets/{contacted}", s.reviewer(CITY))[0] == 200


def test_lists_show_a_department_its_own_tickets(ticket_stack: TicketStack, contacted: str) -> None:
    s = ticket_stack
    code, mine = s.call("GET", "/v1/tickets?status=contacted", s.department())
    assert code == 200 and contacted in [t["ticket_id"] for t in mine["tickets"]]
    code, others = s.call("GET", "/v1/tickets", s.department(OTHER_DEPARTMENT))
    assert contacted not in [t["ticket_id"] for t in others["tickets"]]
    assert s.call("GET", "/v1/tickets?department=D52010001", s.department(OTHER_DEPARTMENT))[0] == 403
    assert s.call("GET", "/v1/tickets?status=lost", s.admin())[0] == 400
    code, overdue = s.call("GET", "/v1/tickets?overdue=false", s.reviewer(CITY))
    assert contacted in [t["ticket_id"] for t in overdue["tickets"]]


def test_calendar_due_and_year(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    code, due = s.call(
        "GET", "/v1/calendar/due?from=2026-09-30T17:00:00%2B08:00&working_days=5", s.department()
    )
    assert code == 200 and due == {"due": "2026-10-13T23:59:59+08:00", "provisional": False}
    code, year = s.call("GET", "/v1/calendar/2026", s.department())
    assert year["status"] == "official" and "2026-10-10" in year["workdays"]
    assert s.call("GET", "/v1/calendar/due?from=yesterday&working_days=x", s.admin())[0] == 400
    assert s.call("GET", "/v1/calendar/twenty", s.admin())[0] == 400


def test_2027_is_provisional_until_operators_load_it(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    query = "/v1/calendar/due?from=2026-12-30T10:00:00%2B08:00&working_days=15"
    code, before = s.call("GET", query, s.admin())
    assert before == {"due": "2027-01-21T23:59:59+08:00", "provisional": True}
    assert s.call("GET", "/v1/calendar/2027", s.admin())[1]["status"] == "provisional"
    # the national statutory holidays of 2027 by rule, and two days off bridged by a Saturday
    statutory = ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05", "2027-05-01"]
    statutory += ["2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03"]
    upload = {"holidays": ["2027-01-01", "2027-01-04", "2027-01-05", *statutory], "workdays": ["2027-01-09"]}
    # only an admin loads it; malformed uploads change nothing
    assert s.call("PUT", "/v1/calendar/2027", s.department(), upload)[0] == 403
    for bad in (
        {"holidays": ["2027-02-30"]},
        {"holidays": ["2028-01-01"]},
        {"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]},
        {"year": 2027},  # no holidays at all: not a State Council schedule
        {"holidays": [h for h in upload["holidays"] if h != "2027-09-15"]},  # Mid-Autumn missing
    ):
        code, answer = s.call("PUT", "/v1/calendar/2027", s.admin(), bad)
        assert (code, answer["error"]) == (400, "validation"), answer
    assert s.call("GET", "/v1/calendar/2027", s.admin())[1]["status"] == "provisional"
    code, loaded = s.call("PUT", "/v1/calendar/2027", s.admin(), upload)
    assert code == 200 and loaded["status"] == "official"
    code, after = s.call("GET", query, s.admin())
    assert after == {"due": "2027-01-22T23:59:59+08:00", "provisional": False}
    assert s.call("GET", "/v1/calendar/2027", s.admin())[1]["holidays"] == upload["holidays"]


def test_the_openapi_document_describes_every_tickets_route() -> None:
    from functions.core.http.openapi import document
    from functions.tickets.app import app

    paths = document()["paths"]
    documented = {(path, method.upper()) for path, ops in paths.items() for method in ops}
    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert served <= documented
