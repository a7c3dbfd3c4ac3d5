"""The active rating rate's counts (主动评价率 = rated completed cases / completed cases), from the
cases table's stream into the indices' counters, exactly once, by the indices' own machinery.

A case item counts once the case system has reported it completed (it has `fp`, its `paths` and its
local `day`): +1 `cases` for every subject on its paths on the day it was completed, and +1
`cases_rated` while it holds a rating (`rating_id`, claimed by the rating on any channel) other than a
default one. A MODIFY adds
new − old, so a case rated after it was reported moves `cases_rated` alone, and a case rated before it
was reported (a hall tablet rated it first) counts both when the report arrives. A case claimed by a
rating but never reported completed counts nowhere: it is not a completed case the system knows of.

The cases stream has its own shards; their high-water marks in the counter items are kept apart from
the ratings stream's by qualifying the shard id with the stream's name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.index.contribution import (
    CASES_COMPLETED,
    CASES_RATED,
    Changes,
    CounterKey,
    PoisonRecord,
)


def case_contribution(image: Mapping[str, Any] | None) -> tuple[tuple[str, ...], str, dict[str, int]]:
    """(paths, day, fields) of a case item as the stream shows it; no fields when not completed."""
    if image is None or "fp" not in image:
        return (), "", {}
    try:
        paths = tuple(str(v["S"]) for v in image["paths"]["L"])
        day = str(image["day"]["S"])
    except (KeyError, TypeError) as e:
        raise PoisonRecord(f"a recorded case without its paths and day: {type(e).__name__}") from None
    fields = {CASES_COMPLETED: 1}
    # A default rating (系统默认评价) is no one's active rating: the case counts as rated once the person
    # rates it (their rating follows the default up and clears `default_rating`).
    if "rating_id" in image and not image.get("default_rating", {}).get("BOOL", False):
        fields[CASES_RATED] = 1
    return paths, day, fields


def case_changes(record: Mapping[str, Any]) -> Changes:
    event = record.get("eventName")
    if event not in ("INSERT", "MODIFY", "REMOVE"):
        raise PoisonRecord(f"unknown event {event!r}")
    stream = record.get("dynamodb") or {}
    old = stream.get("OldImage") if event != "INSERT" else None
    new = stream.get("NewImage") if event != "REMOVE" else None
    result: Changes = {}
    for image, sign in ((old, -1), (new, 1)):
        paths, day, fields = case_contribution(image)
        for subject in dict.fromkeys(paths):
            target = result.setdefault(CounterKey(subject, day), {})
            for name, value in fields.items():
                target[name] = target.get(name, 0) + sign * value
    return {
        key: nonzero
        for key, fields in result.items()
        if (nonzero := {name: value for name, value in fields.items() if value})
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    from functions.core.observability import end_request
    from functions.index import wiring
    from functions.index.stream import CountingProcessor, MissingShard

    class CaseCountingProcessor(CountingProcessor):
        def take(self, record: Any) -> None:
            sequence = str(record.dynamodb.sequence_number) if record.dynamodb else ""
            self._by_sequence[sequence] = record
            self.plan.add(sequence, case_changes(record.raw_event))

    shard_id = event.get("shardId")
    if not shard_id:
        raise MissingShard(
            "the cases stream mapping needs a tumbling window, so that events name their shard"
        )
    processor = CaseCountingProcessor(wiring.runtime().counters, f"cases/{shard_id}")
    try:
        response: dict[str, Any] = dict(
            process_partial_response(
                event=event, record_handler=processor.take, processor=processor, context=context
            )
        )
    finally:
        end_request()
    if "window" in event:
        response["state"] = {}
    return response
