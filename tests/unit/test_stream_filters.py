"""The tickets consumer's event filter (infra/topology.py) lets through every record the consumer acts on
and nothing else: checked against the consumer's own decision, with Lambda's matching rules for the
patterns it uses (a list of values matches any of them; nested objects match nested fields)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from functions.tickets import stream
from infra import topology


def matches(pattern: Any, value: Any) -> bool:
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            name in value and matches(inner, value[name]) for name, inner in pattern.items()
        )
    return value in pattern


def record(event: str, satisfaction: str | None) -> dict[str, Any]:
    image: dict[str, Any] = {"rating_id": {"S": "r1"}}
    if satisfaction is not None:
        image["satisfaction"] = {"N": satisfaction}
    return {"eventName": event, "dynamodb": {"NewImage": image, "OldImage": image}}


@pytest.mark.parametrize("event", ["INSERT", "MODIFY", "REMOVE"])
@pytest.mark.parametrize("satisfaction", ["1", "2", "3", "4", "5", None])
def test_the_filter_passes_exactly_the_records_that_open_a_ticket(
    event: str, satisfaction: str | None
) -> None:
    # Given the tickets consumer's mapping and a stream record
    (source,) = [s for s in topology.EVENT_SOURCES if s.handler == "functions.tickets.stream:handler"]
    given = record(event, satisfaction)

    # When the consumer is asked what it does with it
    with mock.patch.object(stream, "item_to_rating"), mock.patch.object(stream, "wiring") as wiring:
        stream.open_ticket_for(given)
    acts = wiring.runtime.return_value.tickets.open_ticket.called

    # Then the filter delivers it exactly when the consumer acts on it
    assert any(matches(pattern, given) for pattern in source.filters) == acts


def test_the_indices_batch_with_a_window_and_the_tickets_consumer_is_filtered() -> None:
    index = next(s for s in topology.EVENT_SOURCES if s.handler == "functions.index.stream:handler")
    tickets = next(s for s in topology.EVENT_SOURCES if s.handler == "functions.tickets.stream:handler")
    assert 0 < index.batching_window_seconds <= 300
    assert index.batch_size == topology.INDEX_BATCH_SIZE
    assert not index.filters  # the indices count every record
    assert tickets.filters == (topology.BAD_RATING_INSERTS,)
