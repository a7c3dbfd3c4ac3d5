"""Exactly once, proved on moto: whatever Lambda does with the ratings stream (duplicate deliveries,
replays of whole batches and of their tails, crashes between two counter writes, item writes that
fail, poison records, shard progress written or lost, marks pruned), every subject's figures over any period equal an independent recount of the
ratings table in its current state.

Ratings are written to the real ratings table (their stream records are moto's), split over two
shards by rating id as DynamoDB splits them by key, and delivered by a simulated event source mapping
whose misbehaviour hypothesis chooses. The recount below shares no code with the counting."""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.core.domain.province import IndexRule
from functions.core.storage.tables import COUNTERS, RATINGS
from functions.index.counters import DynamoCounters
from functions.index.figures import FigureReader, Period, figures_view
from functions.index.stream import handle
from tests.integration.stream_pump import StreamPump, event

# A small directory: paths of each leaf up to the province.
PATHS = {
    "staff#S1": ("staff#S1", "window#W1", "department#D1", "region#C1", "region#P"),
    "staff#S2": ("staff#S2", "window#W1", "department#D1", "region#C1", "region#P"),
    "item#I1": ("item#I1", "department#D1", "region#C1", "region#P"),
    "staff#S3": ("staff#S3", "window#W3", "department#D3", "region#C2", "region#P"),
    "region#T1": ("region#T1", "region#C2", "region#P"),
}
SUBJECTS = sorted({s for path in PATHS.values() for s in path})
TAGS = ("快", "好", "慢")
FIRST_DAY = date(2026, 1, 25)
DAYS = [(FIRST_DAY + timedelta(days=i)).isoformat() for i in range(45)]  # across two month ends
RULE = IndexRule()
TICKET_FLAGS = ("rectified", "replied", "finished", "on_time")


class Crash(BaseException):
    """The process dies: nothing after it runs (not an Exception, so no handler catches it)."""


class FaultyClient:
    """The counters' DynamoDB client, failing the update requests it is told to."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.exceptions = client.exceptions
        self.updates = 0
        self.crash_at: int | None = None
        self.fail_at: int | None = None

    def update_item(self, **kwargs: Any) -> Any:
        self.updates += 1
        if self.crash_at is not None and self.updates >= self.crash_at:
            self.crash_at = None
            raise Crash()
        if self.fail_at is not None and self.updates == self.fail_at:
            self.fail_at = None
            raise RuntimeError("ProvisionedThroughputExceededException")
        return self._client.update_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    from moto import mock_aws

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "cn-northwest-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            yield boto3.client("dynamodb")


# --- what happens to the ratings -------------------------------------------------------------

new_rating = st.fixed_dictionaries(
    {
        "op": st.just("put"),
        "leaf": st.sampled_from(sorted(PATHS)),
        "satisfaction": st.integers(1, 5),
        "day": st.sampled_from(DAYS),
        "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        "named": st.booleans(),
    }
)
change = st.fixed_dictionaries(
    {
        "op": st.just("modify"),
        "which": st.integers(0, 1000),
        "valid": st.booleans(),
        "ticket": st.fixed_dictionaries({flag: st.booleans() for flag in TICKET_FLAGS}),
    }
)
removal = st.fixed_dictionaries({"op": st.just("remove"), "which": st.integers(0, 1000)})
poison = st.fixed_dictionaries({"op": st.just("poison")})
operations = st.lists(
    st.one_of(new_rating, new_rating, change, change, removal, poison), min_size=1, max_size=16
)

# --- what the event source mapping does ---------------------------------------------------------

delivery_step = st.fixed_dictionaries(
    {
        "shard": st.integers(0, 1),
        "size": st.integers(1, 12),
        "replay_back": st.integers(0, 10),  # deliver again from this many records before the checkpoint
        "fault": st.sampled_from(["none", "none", "none", "crash", "item"]),
        "fault_at": st.integers(1, 20),
    }
)
deliveries = st.lists(delivery_step, max_size=12)
periods = st.lists(
    st.tuples(st.one_of(st.none(), st.sampled_from(DAYS)), st.one_of(st.none(), st.sampled_from(DAYS))),
    min_size=1,
    max_size=4,
)


def apply_operations(dynamodb: Any, table: str, ops: list[dict[str, Any]]) -> None:
    alive: list[str] = []
    for op in ops:
        if op["op"] == "put":
            rating_id = f"r{uuid.uuid4().hex[:10]}"
            item: dict[str, Any] = {
                "rating_id": {"S": rating_id},
                "satisfaction": {"N": str(op["satisfaction"])},
                "paths": {"L": [{"S": p} for p in PATHS[op["leaf"]]]},
                "day": {"S": op["day"]},
                "valid": {"BOOL": True},
            }
            if op["tags"]:
                item["tags"] = {"L": [{"S": t} for t in op["tags"]]}
            if op["named"]:
                item["rater"] = {"M": {"phone_masked": {"S": "138****0000"}}}
            dynamodb.put_item(TableName=table, Item=item)
            alive.append(rating_id)
        elif op["op"] == "modify" and alive:
            rating_id = alive[op["which"] % len(alive)]
            ticket = {flag: {"BOOL": value} for flag, value in op["ticket"].items()}
            ticket["status"] = {"S": "closed" if op["ticket"]["finished"] else "rectifying"}
            dynamodb.update_item(
                TableName=table,
                Key={"rating_id": {"S": rating_id}},
                UpdateExpression="SET valid = :v, ticket = :t",
                ExpressionAttributeValues={":v": {"BOOL": op["valid"]}, ":t": {"M": ticket}},
            )
        elif op["op"] == "remove" and alive:
            rating_id = alive.pop(op["which"] % len(alive))
            dynamodb.delete_item(TableName=table, Key={"rating_id": {"S": rating_id}})
        elif op["op"] == "poison":
            # Not a rating at all (a tool wrote into the table): it can never be counted.
            dynamodb.put_item(
                TableName=table, Item={"rating_id": {"S": f"x{uuid.uuid4().hex[:10]}"}, "note": {"S": "?"}}
            )


def is_poison(record: dict[str, Any]) -> bool:
    return record["dynamodb"]["Keys"]["rating_id"]["S"].startswith("x")


def deliver(
    pump: StreamPump, client: FaultyClient, counters: DynamoCounters, steps: list[dict[str, Any]]
) -> None:
    """A mapping per shard: batches in order from a checkpoint, partial failures retried from the
    lowest failed record, a batch still failing after its retries handed off (skipped) from there, a
    crashed invocation retried whole; hypothesis adds replays of records already delivered."""
    records = pump.take()
    shards: dict[str, list[dict[str, Any]]] = {"shardId-A": [], "shardId-B": []}
    for _, record in records:
        key = record["dynamodb"]["Keys"]["rating_id"]["S"]
        shards["shardId-A" if zlib.crc32(key.encode()) % 2 else "shardId-B"].append(record)
    checkpoint = dict.fromkeys(shards, 0)
    attempts = dict.fromkeys(shards, 0)
    names = sorted(shards)

    def invoke(shard: str, start: int, size: int) -> None:
        batch = shards[shard][start : start + size]
        if not batch:
            return
        try:
            answer = handle(event(shard, batch), None, counters)
        except Crash:
            return  # the checkpoint stays: the whole batch comes again
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
        if start != checkpoint[shard]:
            return  # a replay: the mapping's position is not moved by it
        if not failed:
            checkpoint[shard] = start + len(batch)
            attempts[shard] = 0
            return
        first = min(sequences.index(s) for s in failed)
        attempts[shard] = attempts[shard] + 1 if first == 0 else 1
        checkpoint[shard] = start + first
        # Retries exhausted: the tail goes to the on-failure queue. Only a poison record fails that
        # often here. (A record whose counter write failed in that very attempt would go with it and
        # wait in the queue for an operator: the mapping's doing, not the counting's, so the simulated
        # mapping retries once more instead.)
        poison_only = all(is_poison(r) for r in batch if r["dynamodb"]["SequenceNumber"] in failed)
        if attempts[shard] > 3 and poison_only:
            checkpoint[shard] = start + len(batch)
            attempts[shard] = 0

    for step in steps:
        shard = names[step["shard"]]
        client.crash_at = client.updates + step["fault_at"] if step["fault"] == "crash" else None
        client.fail_at = client.updates + step["fault_at"] if step["fault"] == "item" else None
        start = max(0, checkpoint[shard] - step["replay_back"])
        invoke(shard, start, step["size"])
    # Then the mapping catches up without faults, as it does once the trouble passes.
    client.crash_at = client.fail_at = None
    for shard in names:
        guard = 0
        while checkpoint[shard] < len(shards[shard]) and guard < 1000:
            invoke(shard, checkpoint[shard], 25)
            guard += 1


# --- the independent recount --------------------------------------------------------------------


def recount(items: list[dict[str, Any]], subject: str, first: str | None, last: str | None) -> dict[str, Any]:
    total = 0
    levels = dict.fromkeys(range(1, 6), 0)
    tags: dict[str, int] = {}
    rectified = finished = on_time = named_bad = named_replied = 0
    for item in items:
        if "paths" not in item:
            continue  # not a rating
        if subject not in {p["S"] for p in item["paths"]["L"]}:
            continue
        day = item["day"]["S"]
        if (first and day < first) or (last and day > last):
            continue
        total += 1
        if not item["valid"]["BOOL"]:
            continue
        level = int(item["satisfaction"]["N"])
        levels[level] += 1
        for tag in {t["S"] for t in item.get("tags", {}).get("L", [])}:
            tags[tag] = tags.get(tag, 0) + 1
        ticket = {k: v["BOOL"] for k, v in item.get("ticket", {}).get("M", {}).items() if "BOOL" in v}
        if level <= 2:
            rectified += ticket.get("rectified", False)
            finished += ticket.get("finished", False)
            on_time += ticket.get("finished", False) and ticket.get("on_time", False)
            if "rater" in item:
                named_bad += 1
                named_replied += ticket.get("replied", False)
    valid = sum(levels.values())
    good = levels[3] + levels[4] + levels[5]
    bad = levels[1] + levels[2]
    scores = {5: 10, 4: 8, 3: 6, 2: 4, 1: 2}

    def rate(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "total": total,
        "valid": valid,
        "invalid": total - valid,
        "counts": {str(k): v for k, v in levels.items()},
        "good": good,
        "bad": bad,
        "index": round((10 + sum(scores[k] * v for k, v in levels.items())) / (1 + valid), 4),
        "good_rate": rate(good, valid),
        "bad_rate": rate(bad, valid),
        "rectified": rectified,
        "rectification_rate": rate(rectified, bad),
        "on_time_rate": rate(on_time, finished),
        "named_reply_rate": rate(named_replied, named_bad),
        "tags": dict(sorted(tags.items())),
    }


@settings(
    max_examples=int(os.environ.get("INDEX_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations, steps=deliveries, asked=periods)
def test_figures_equal_a_recount_whatever_the_deliveries(
    aws: Any,
    ops: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    asked: list[tuple[str | None, str | None]],
) -> None:
    # Given fresh tables and ratings written, changed and removed at random
    dynamodb = aws
    prefix = f"p{uuid.uuid4().hex[:8]}"
    ratings_table, counters_table = RATINGS.physical_name(prefix), COUNTERS.physical_name(prefix)
    for spec in (RATINGS, COUNTERS):
        dynamodb.create_table(**spec.create_table_request(spec.physical_name(prefix)))
    pump = StreamPump(dynamodb, ratings_table)
    apply_operations(dynamodb, ratings_table, ops)

    # When the stream is delivered with duplicates, replays, crashes and failed writes
    client = FaultyClient(dynamodb)
    # (pruning every other shard's mark as soon as its progress allows: the most a replay can face)
    counters = DynamoCounters(client, counters_table, workers=1, max_foreign_marks=0)
    deliver(pump, client, counters, steps)

    # Then every subject's figures over every period asked equal a recount of the table as it is now
    items = dynamodb.scan(TableName=ratings_table)["Items"]
    reader = FigureReader(DynamoCounters(dynamodb, counters_table))
    for first, last in asked:
        if first and last and first > last:
            first, last = last, first
        period = Period(
            date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None
        )
        for subject in SUBJECTS:
            view = figures_view("k", "c", period, reader.counts(subject, period), RULE)
            expected = recount(items, subject, first, last)
            got = {key: view[key] for key in expected}
            assert got == expected, (subject, first, last)
