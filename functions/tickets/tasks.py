"""The workflow's task-token queue → the ticket: each message is a wait the state machine entered
({"ticket_id", "stage", "token", "entered"}); its token is stored on the ticket, and an action the
department already took for that stage is handed over at once."""

from __future__ import annotations

import json
from typing import Any

from functions.tickets import wiring


def take(record: dict[str, Any]) -> None:
    message = json.loads(record["body"])
    wiring.runtime().tickets.take_token(
        message["ticket_id"], message["stage"], message["token"], message.get("entered", "")
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    def record_handler(record: Any) -> None:
        take(record.raw_event)

    return consume_batch("tickets", event, context, record_handler, "sqs")
