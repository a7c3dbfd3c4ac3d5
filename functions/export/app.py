"""The export function's HTTP side: a day's export status and a reconciliation on demand (admins), and,
in the local stack only, the stand-in receivers of the targets (functions/export/receiver.py)."""

from __future__ import annotations

import json
import time
from datetime import date

from chalice import Response

from functions.core.domain.errors import NotFound, ValidationFailed
from functions.core.http.api import json_response, query_param, read_json
from functions.core.http.app import Access, create_app
from functions.core.http.auth import caller_from_context, require_admin
from functions.export import answers, wiring
from functions.export.receiver import MODES, ReceiverTimeout
from functions.export.service import UnknownTarget

app = create_app("export")


def _day(raw: object, field: str = "date") -> str:
    if not isinstance(raw, str):
        raise ValidationFailed({field: "required, YYYY-MM-DD"})
    try:
        return date.fromisoformat(raw).isoformat() if len(raw) == 10 else _bad(field)
    except ValueError:
        return _bad(field)


def _bad(field: str) -> str:
    raise ValidationFailed({field: "a date YYYY-MM-DD"})


def _target(raw: object) -> str:
    """The named target, or the stack's only one when none is named."""
    targets = wiring.runtime().service.targets
    if raw is None and len(targets) == 1:
        return next(iter(targets))
    if not isinstance(raw, str) or raw not in targets:
        raise ValidationFailed({"target": f"one of: {', '.join(sorted(targets)) or '(none configured)'}"})
    return raw


@app.route("/v1/export/status", methods=["GET"], access=Access.PERSON)
def export_status() -> Response:
    require_admin(caller_from_context(app.current_request.context))
    request = app.current_request
    day = _day(query_param(request, "date"))
    target = _target(query_param(request, "target"))
    return json_response(answers.status(wiring.runtime().service.status(target, day)))


@app.route("/v1/export/reconcile", methods=["POST"], access=Access.PERSON)
def export_reconcile() -> Response:
    require_admin(caller_from_context(app.current_request.context))
    body = read_json(app.current_request)
    unknown = set(body) - {"date", "target"}
    if unknown:
        raise ValidationFailed({"body": f"{len(unknown)} unknown field(s); the fields are date, target"})
    day = _day(body.get("date"))
    target = _target(body.get("target"))
    runtime = wiring.runtime()
    wiring.sqs().send_message(
        QueueUrl=runtime.settings.reconcile_queue_url, MessageBody=json.dumps({"date": day, "target": target})
    )
    return json_response({"date": day, "target": target, "status": "queued"}, 202)


def _receiver(target: str):  # type: ignore[no-untyped-def]
    found = wiring.receivers.get().get(target)
    if found is None:
        raise NotFound("no receiver of that name")
    return found


@app.route("/local/receivers/{target}", methods=["PUT"], access=Access.LOCAL)
def local_receiver_mode(target: str) -> Response:
    """{"mode": ok|duplicate|reject|timeout|down, "lose": [natural keys]?, "clock_offset_seconds"?}"""
    receiver = _receiver(target)
    body = read_json(app.current_request)
    mode = body.get("mode", receiver.mode)
    lose = body.get("lose", [])
    offset = body.get("clock_offset_seconds")
    if mode not in MODES:
        raise ValidationFailed({"mode": f"one of {', '.join(MODES)}"})
    if not isinstance(lose, list) or not all(isinstance(k, str) for k in lose):
        raise ValidationFailed({"lose": "a list of natural keys"})
    if offset is not None and (isinstance(offset, bool) or not isinstance(offset, int | float)):
        raise ValidationFailed({"clock_offset_seconds": "a number"})
    receiver.configure(mode, lose, offset)
    return json_response(
        {
            "target": target,
            "mode": receiver.mode,
            "clock_offset_seconds": receiver.clock_offset.total_seconds(),
        }
    )


@app.route("/local/receivers/{target}/records", methods=["GET"], access=Access.LOCAL)
def local_receiver_records(target: str) -> Response:
    receiver = _receiver(target)
    return json_response(
        {
            "target": target,
            "mode": receiver.mode,
            "requests": receiver.requests,
            "records": receiver.records(),
        }
    )


@app.route("/local/receivers/{target}/records", methods=["POST"], access=Access.LOCAL)
def local_receiver_take(target: str) -> Response:
    """Where the local stack's targets send: the stand-in answers as its target would."""
    receiver = _receiver(target)
    request = app.current_request
    try:
        exchange = receiver.receive(request.raw_body or b"", dict(request.headers))
    except ReceiverTimeout:
        time.sleep(receiver.target.timeout_seconds + 0.5)  # the sender has given up by now
        return Response("", status_code=504, headers={"content-type": "text/plain"})
    # Text, as Lambda's proxy answer carries it (every receipt is UTF-8 JSON or an HTML page).
    return Response(
        exchange.body.decode("utf-8", "replace"), status_code=exchange.status, headers=dict(exchange.headers)
    )


@app.route("/local/receivers/{target}/statistics", methods=["GET"], access=Access.LOCAL)
def local_receiver_statistics(target: str) -> Response:
    receiver = _receiver(target)
    return json_response(receiver.statistics(_day(query_param(app.current_request, "date"))))


__all__ = ["app", "UnknownTarget"]
