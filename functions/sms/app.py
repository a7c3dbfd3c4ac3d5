"""The SMS function's HTTP side: completed cases from the case system (POST /v1/cases), and, in the
local stack only, the fake phone network (its outbox, inbound texts, and its clock)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from chalice import Response

from functions.core.domain.errors import ValidationFailed
from functions.core.http.api import json_response, read_json
from functions.core.http.app import Access, create_app
from functions.core.http.auth import caller_from_context, require_channel
from functions.core.observability import count, logger
from functions.sms import wiring
from functions.sms.handlers import report_reply

app = create_app("sms")

MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@app.route("/v1/cases", methods=["POST"], access=Access.CHANNEL)
def post_case() -> Response:
    require_channel(caller_from_context(app.current_request.context))
    body = read_json(app.current_request)
    answer = wiring.runtime().service.record_case(body)
    count("CaseRecorded", invitation=answer["invitation"])
    logger.info("case recorded", extra={"case_no": answer["case_no"], "invitation": answer["invitation"]})
    return json_response(answer, 202)


@app.route("/local/sms/outbox", methods=["GET"], access=Access.LOCAL)
def local_outbox() -> Response:
    return json_response({"messages": wiring.outbox.get().messages()})


@app.route("/local/sms/inbound", methods=["POST"], access=Access.LOCAL)
def local_inbound() -> Response:
    body = read_json(app.current_request)
    # The provider's message id: the same id twice is one reply delivered twice (as SNS may).
    message_id = body.pop("message_id", None) if isinstance(body, dict) else None
    if message_id is None:
        message_id = f"local-{uuid.uuid4().hex}"
    elif not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id):
        raise ValidationFailed({"message_id": "1-128 of [A-Za-z0-9._:-]"})
    outcome = wiring.runtime().service.receive(body, message_id=message_id)
    report_reply(outcome)
    return json_response(outcome, 200)


@app.route("/local/sms/clock", methods=["PUT"], access=Access.LOCAL)
def local_clock() -> Response:
    """{"now": "<ISO time with offset>"} moves the SMS function's clock there; {"now": null} restores it."""
    body: Any = read_json(app.current_request)
    raw = body.get("now") if isinstance(body, dict) else None
    clock = wiring.clock.get()
    if raw is None:
        clock.offset = timedelta(0)
    else:
        try:
            target = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            target = None
        if target is None or target.tzinfo is None:
            raise ValidationFailed({"now": "an ISO 8601 time with offset, or null"})
        clock.offset = timedelta(0)
        clock.offset = target - clock()
    return json_response({"now": clock().isoformat()})
