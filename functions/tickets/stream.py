"""Ratings stream → tickets: every bad rating (satisfaction 1-2) that is inserted opens exactly one
ticket and one workflow execution. A per-record function and Powertools' partial batch response: a
record that fails is retried alone, the rest of the batch proceeds."""

from __future__ import annotations

import base64
from typing import Any

from functions.core.storage.ratings import item_to_rating
from functions.tickets import wiring

BAD = ("1", "2")


def open_ticket_for(record: dict[str, Any]) -> str | None:
    """The ticket a stream record opens, if any. Only INSERTs: a MODIFY is the ticket's own outcome
    (or an appeal's invalidation) coming back on the stream."""
    if record.get("eventName") != "INSERT":
        return None
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if image.get("satisfaction", {}).get("N") not in BAD:
        return None
    return wiring.runtime().tickets.open_ticket(item_to_rating(_binary_decoded(image)))


def _binary_decoded(value: Any) -> Any:
    """Lambda's stream events carry binary attributes (the rater's sealed data) as base64 text."""
    if isinstance(value, dict):
        if set(value) == {"B"} and isinstance(value["B"], str):
            return {"B": base64.b64decode(value["B"])}
        return {k: _binary_decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_binary_decoded(v) for v in value]
    return value


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    def record_handler(record: Any) -> None:
        open_ticket_for(record.raw_event)

    return consume_batch("tickets", event, context, record_handler, "dynamodb-stream")
