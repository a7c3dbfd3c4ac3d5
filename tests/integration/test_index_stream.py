"""The index function's stream side on moto: what it reports back to the mapping, and the shard marks
it keeps on counter items."""

from __future__ import annotations

from typing import Any

import pytest

from functions.core.storage.tables import COUNTERS
from functions.index.counters import MARK_LIFETIME_SECONDS, DynamoCounters, ItemChange, mark_attribute
from functions.index.stream import MissingShard, handle
from tests.integration.conftest import PREFIX, RateStack
from tests.integration.stream_pump import event

TABLE = COUNTERS.physical_name(PREFIX)


def rating_record(sequence: str, rating_id: str, satisfaction: int = 5) -> dict[str, Any]:
    return {
        "eventName": "INSERT",
        "eventSourceARN": "arn:aws:dynamodb:cn-northwest-1:123456789012:table/t/stream/1",
        "dynamodb": {
            "SequenceNumber": sequence,
            "Keys": {"rating_id": {"S": rating_id}},
            "NewImage": {
                "rating_id": {"S": rating_id},
                "satisfaction": {"N": str(satisfaction)},
                "paths": {"L": [{"S": "department#D1"}, {"S": "region#520000000000"}]},
                "day": {"S": "2026-09-30"},
                "valid": {"BOOL": True},
            },
        },
    }


def stored(rate_stack: RateStack, subject: str, bucket: str) -> dict[str, Any]:
    return rate_stack.dynamodb.get_item(
        TableName=TABLE, Key={"subject": {"S": subject}, "bucket": {"S": bucket}}
    ).get("Item", {})


def test_a_poison_record_fails_alone_and_the_rest_of_the_batch_is_counted(rate_stack: RateStack) -> None:
    # Given a batch with a record that is not a rating between two ratings
    poison = rating_record("200", "bad")
    del poison["dynamodb"]["NewImage"]["paths"]
    batch = [rating_record("100", "r1"), poison, rating_record("300", "r2", satisfaction=1)]
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)

    # When it is handled, and handled again as Lambda retries from the failed record
    first = handle(event("shard-1", batch), None, counters)
    again = handle(event("shard-1", batch[1:]), None, counters)

    # Then only the poison record is reported, each time, and the ratings are counted once
    assert first["batchItemFailures"] == [{"itemIdentifier": "200"}]
    assert again["batchItemFailures"] == [{"itemIdentifier": "200"}]
    for bucket in ("d#2026-09-30", "m#2026-09"):
        item = stored(rate_stack, "department#D1", bucket)
        assert (item["n"], item["v5"], item["v1"]) == ({"N": "2"}, {"N": "1"}, {"N": "1"})


def test_without_its_shard_the_batch_is_refused_whole(rate_stack: RateStack) -> None:
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)
    with pytest.raises(MissingShard):
        handle({"Records": [rating_record("1", "r1")]}, None, counters)


def test_marks_of_shards_older_than_the_stream_keeps_records_are_dropped(rate_stack: RateStack) -> None:
    # Given an item written from one shard, and a day later from the next one
    now = [1_800_000_000.0]
    counters = DynamoCounters(rate_stack.dynamodb, TABLE, clock=lambda: now[0])
    change = ItemChange("department#D1", "m#2026-09", [("0" * 39 + "1", {"n": 1})])
    counters.apply("old-shard", [change])
    now[0] += MARK_LIFETIME_SECONDS + 1
    counters.apply("new-shard", [ItemChange("department#D1", "m#2026-09", [("0" * 39 + "2", {"n": 1})])])

    # Then the old shard's mark is gone and the counts are kept
    item = stored(rate_stack, "department#D1", "m#2026-09")
    assert mark_attribute("old-shard") not in item
    assert mark_attribute("new-shard") in item
    assert item["n"] == {"N": "2"}
    assert counters.stats.pruned == 1


def test_the_local_mapping_names_the_shard_as_a_tumbling_window_does(rate_stack: RateStack) -> None:
    # Given the local stack's poller on the ratings stream with the topology's window
    import boto3

    from infra import topology
    from infra.local.pollers import DynamoDBStreamPoller

    source = next(s for s in topology.EVENT_SOURCES if s.handler == "functions.index.stream:handler")
    arn = rate_stack.dynamodb.describe_table(TableName=rate_stack.settings.ratings_table)["Table"][
        "LatestStreamArn"
    ]
    seen: list[dict[str, Any]] = []
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)

    def index_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return handle(event, context, counters)

    poller = DynamoDBStreamPoller(
        boto3.client("dynamodbstreams"),
        arn,
        index_handler,
        function_name="index",
        tumbling_window_seconds=source.tumbling_window_seconds,
    )
    image = rating_record("1", "r-local")["dynamodb"]["NewImage"]

    # When a rating is written and the poller passes
    rate_stack.dynamodb.put_item(TableName=rate_stack.settings.ratings_table, Item=image)
    assert poller.poll_once() == 1

    # Then the event named its shard and window, and the rating was counted
    assert seen[0]["shardId"].startswith("shardId-") and set(seen[0]["window"]) == {"start", "end"}
    assert stored(rate_stack, "region#520000000000", "m#2026-09")["n"] == {"N": "1"}


def test_many_distinct_fields_are_written_in_runs_each_counted_once(rate_stack: RateStack) -> None:
    # Given a batch whose records add 450 distinct fields to one item (hot words of many comments)
    records = [
        ("0" * 38 + f"{i:02d}", {f"hw:bad:w{i}-{j}": 1 for j in range(50)} | {"n": 1}) for i in range(9)
    ]
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)

    # When it is written, then delivered again whole
    assert counters.apply("s", [ItemChange("region#520000000000", "hw|m#2026-09", list(records))]) == []
    requests = counters.stats.requests
    assert counters.apply("s", [ItemChange("region#520000000000", "hw|m#2026-09", list(records))]) == []

    # Then it took several writes, and every field is counted once
    item = stored(rate_stack, "region#520000000000", "hw|m#2026-09")
    assert requests >= 5
    assert item["n"] == {"N": "9"}
    assert sum(1 for name in item if name.startswith("hw:")) == 450
    assert all(item[name] == {"N": "1"} for name in item if name.startswith("hw:"))


def test_an_item_written_from_many_shards_keeps_only_the_marks_of_batches_in_flight(
    rate_stack: RateStack,
) -> None:
    # Given a year's worth of shards (105) each counting a rating for the same department and month
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)
    for shard in range(105):
        sequence = f"{shard + 1}00"
        record = rating_record(sequence, f"r{shard}")
        assert handle(event(f"shard-{shard}", [record]), None, counters)["batchItemFailures"] == []

    # Then the item holds the 105 ratings and a bounded number of marks, not one per shard
    item = stored(rate_stack, "department#D1", "m#2026-09")
    marks = [name for name in item if name.startswith("@")]
    assert item["n"] == {"N": "105"}
    assert len(marks) <= 3
    assert counters.stats.pruned >= 100

    # And a replay of any shard's batch, after its marks are gone, counts nothing again
    handle(event("shard-7", [rating_record("800", "r7")]), None, counters)
    assert stored(rate_stack, "department#D1", "m#2026-09")["n"] == {"N": "105"}


def test_a_long_running_consumer_rereads_progress_it_knows_only_from_before(rate_stack: RateStack) -> None:
    # Given one process counting batch after batch from five open shards into the same item
    counters = DynamoCounters(rate_stack.dynamodb, TABLE)
    for turn in range(40):
        shard = f"open-{turn % 5}"
        record = rating_record(f"{turn + 1}00", f"long{turn}")
        assert handle(event(shard, [record]), None, counters)["batchItemFailures"] == []

    # Then the marks of batches long finished were pruned although their shards were seen before
    item = stored(rate_stack, "department#D1", "m#2026-09")
    assert item["n"] == {"N": "40"}
    assert len([name for name in item if name.startswith("@")]) <= 3
