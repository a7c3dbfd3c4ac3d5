"""The tickets function: the ticket endpoints and the working-day calendar of API.md.

Each view parses, calls the service and shapes the answer."""

from __future__ import annotations

from typing import Any

from chalice import Response

from functions.core.domain.calendar import parse_year
from functions.core.http.api import json_response, query_param, read_json
from functions.core.http.app import Access, create_app
from functions.core.http.auth import caller_from_context, require_person
from functions.tickets import wiring

app = create_app("tickets")


def _caller() -> Any:
    caller = caller_from_context(app.current_request.context)
    require_person(caller)
    return caller


@app.route("/v1/tickets", methods=["GET"], access=Access.PERSON)
def list_tickets() -> Response:
    request = app.current_request
    answer = wiring.runtime().tickets.list(
        _caller(),
        query_param(request, "department"),
        query_param(request, "status"),
        query_param(request, "overdue"),
    )
    return json_response(answer)


@app.route("/v1/tickets/{ticket_id}", methods=["GET"], access=Access.PERSON)
def get_ticket(ticket_id: str) -> Response:
    return json_response(wiring.runtime().tickets.get(ticket_id, _caller()))


@app.route("/v1/tickets/{ticket_id}/evidence", methods=["POST"], access=Access.PERSON)
def issue_evidence(ticket_id: str) -> Response:
    caller = _caller()
    body = read_json(app.current_request) if app.current_request.raw_body else None
    return json_response(wiring.runtime().tickets.issue_evidence(ticket_id, body, caller), 201)


@app.route("/v1/tickets/{ticket_id}/evidence/{file_name}", methods=["GET"], access=Access.PERSON)
def evidence_download(ticket_id: str, file_name: str) -> Response:
    """A cited evidence file: a short-lived download link of the version the trail cites."""
    answer = wiring.runtime().tickets.evidence_download(ticket_id, file_name, _caller())
    return json_response(answer)


def _act(ticket_id: str, action: str) -> Response:
    caller = _caller()
    body = read_json(app.current_request)
    return json_response(wiring.runtime().tickets.act(ticket_id, action, body, caller))


# One route per action (API Gateway declares each; none can shadow /evidence).
@app.route("/v1/tickets/{ticket_id}/contact", methods=["POST"], access=Access.PERSON)
def contact(ticket_id: str) -> Response:
    return _act(ticket_id, "contact")


@app.route("/v1/tickets/{ticket_id}/verify", methods=["POST"], access=Access.PERSON)
def verify(ticket_id: str) -> Response:
    return _act(ticket_id, "verify")


@app.route("/v1/tickets/{ticket_id}/decide-appeal", methods=["POST"], access=Access.PERSON)
def decide_appeal(ticket_id: str) -> Response:
    return _act(ticket_id, "decide-appeal")


@app.route("/v1/tickets/{ticket_id}/reply", methods=["POST"], access=Access.PERSON)
def reply(ticket_id: str) -> Response:
    return _act(ticket_id, "reply")


@app.route("/v1/tickets/{ticket_id}/revisit", methods=["POST"], access=Access.PERSON)
def revisit(ticket_id: str) -> Response:
    return _act(ticket_id, "revisit")


@app.route("/v1/calendar/due", methods=["GET"], access=Access.PERSON)
def due() -> Response:
    _caller()
    request = app.current_request
    found = wiring.runtime().tickets.due(query_param(request, "from"), query_param(request, "working_days"))
    return json_response(found.as_dict())


@app.route("/v1/calendar/{year}", methods=["GET"], access=Access.PERSON)
def get_year(year: str) -> Response:
    _caller()
    return json_response(wiring.runtime().tickets.year(parse_year(year)).as_dict())


@app.route("/v1/calendar/{year}", methods=["PUT"], access=Access.PERSON)
def put_year(year: str) -> Response:
    caller = _caller()
    number = parse_year(year)
    body = read_json(app.current_request)
    return json_response(wiring.runtime().tickets.load_year(number, body, caller))
