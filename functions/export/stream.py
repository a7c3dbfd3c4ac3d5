"""The export's stream side: ratings and their ticket outcomes enter the pending set of every target,
exactly once (each record's write is conditional on the stream sequence number it last applied, so a
replay or a duplicate delivery changes nothing). A record that fails is a batch item failure: Lambda
retries from it and finally hands it to the on-failure queue; the rest of the batch goes on."""

from __future__ import annotations

from typing import Any


def take(record: Any) -> None:
    from functions.core.storage.ratings import item_to_rating
    from functions.export import wiring

    if record.event_name is not None and record.event_name.name == "REMOVE":
        return
    image = record.raw_event["dynamodb"].get("NewImage")
    if not image:
        return
    wiring.runtime().service.take(item_to_rating(image), str(record.dynamodb.sequence_number))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    return consume_batch("export", event, context, take, "dynamodb-stream")
