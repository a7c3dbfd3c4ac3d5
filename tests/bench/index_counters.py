"""The indices' counters: write requests per rating, the merge ratio and aggregation throughput of the
ratings-stream side, and what a figure costs to read.

The stream side runs in this process on moto, as Lambda runs it: `functions.index.stream.handle` gets
Lambda-shaped batches of ratings-stream records (INSERTs whose images are what the rate function
stores) and writes the counters through the production client configuration. Every DynamoDB request
is counted through botocore's events; write and read units are computed from the items' sizes with
DynamoDB's rules (moto's ConsumedCapacity is not a measurement).

Subjects are drawn from the demo directory:
- realistic skew: the rated service (a window's staff member, a department's item, or a region alone,
  a third each) drawn with Zipf weights (1/rank), so that many ratings share a province, city and
  county and few share a staff member; a batch covers one day (it spans seconds of the stream);
- worst case: every rating a different staff member of a different county.

Run alone: .venv/bin/python -m tests.bench.index_counters"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from functions.core.storage import clients
from functions.core.storage.tables import COUNTERS
from functions.index.aggregation import BatchPlan, record_changes
from functions.index.counters import DynamoCounters
from functions.index.figures import FigureReader, Period
from functions.index.hotwords import HOT_WORD_SLOTS
from functions.index.stream import handle
from infra.provinces import demo_directory_csv
from infra.topology import INDEX_BATCH_SIZE, INDEX_BATCHING_WINDOW_SECONDS
from tests.bench.dynamodb_cost import item_size
from tests.bench.figures import heading, line, note
from tests.bench.harness import AWS_ENVIRONMENT, CallRecorder, environment, quiet_logger
from tests.bench.workload import LEVEL_WEIGHTS, LEVELS, PROVINCE, province

TABLE = COUNTERS.physical_name("haochaping-bench")
BATCH = 100
SHARD = "shardId-00000001700000000000-bench001"
STREAM_ARN = "arn:aws-cn:dynamodb:cn-northwest-1:123456789012:table/haochaping-bench-ratings/stream/1"


class DemoPaths:
    """Every subject's path up to the province, from the demo directory."""

    def __init__(self) -> None:
        rows = list(csv.DictReader(io.StringIO(demo_directory_csv(PROVINCE).lstrip("\ufeff"))))
        self.kind = {r["code"]: r["kind"] for r in rows}
        self.parent = {r["code"]: r["parent"] for r in rows}
        self.staff = sorted(
            c for c, k in self.kind.items() if k == "staff" and self.kind[self.parent[c]] == "window"
        )
        self.items = sorted(c for c, k in self.kind.items() if k == "item")
        self.regions = sorted(c for c, k in self.kind.items() if k == "region" and self.parent[c])

    def path(self, code: str) -> tuple[str, ...]:
        keys = []
        while code:
            keys.append(f"{self.kind[code]}#{code}")
            code = self.parent[code]
        return tuple(keys)

    def county_of(self, code: str) -> str:
        for key in self.path(code):
            kind, _, region = key.partition("#")
            if kind == "region" and region[4:6] != "00" and region[6:] == "0" * 6:
                return region
        return ""


class Ratings:
    """Rating images as the rate function stores them, and their stream records."""

    def __init__(self, seed: int = 2026) -> None:
        self.random = random.Random(seed)
        self.sequence = 10**20
        self.tags = province().tags

    def image(self, rating_id: str, paths: tuple[str, ...], day: str) -> dict[str, Any]:
        rng = self.random
        satisfaction = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
        item: dict[str, Any] = {
            "rating_id": {"S": rating_id},
            "satisfaction": {"N": str(satisfaction)},
            "paths": {"L": [{"S": p} for p in paths]},
            "day": {"S": day},
            "valid": {"BOOL": True},
        }
        tags = rng.sample(self.tags.good if satisfaction >= 3 else self.tags.bad, rng.randint(0, 2))
        if tags:
            item["tags"] = {"L": [{"S": t} for t in tags]}
        if rng.random() < 0.25:
            item["rater"] = {"M": {"phone_masked": {"S": "139****0000"}}}
        return item

    def insert(self, image: dict[str, Any]) -> dict[str, Any]:
        self.sequence += 1
        return {
            "eventID": f"e{self.sequence}",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventSourceARN": STREAM_ARN,
            "awsRegion": "cn-northwest-1",
            "dynamodb": {
                "Keys": {"rating_id": image["rating_id"]},
                "NewImage": image,
                "SequenceNumber": str(self.sequence),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "ApproximateCreationDateTime": 1_790_000_000,
            },
        }


def event(records: list[dict[str, Any]], shard: str = SHARD) -> dict[str, Any]:
    return {
        "Records": records,
        "shardId": shard,
        "eventSourceARN": STREAM_ARN,
        "window": {"start": "2026-09-30T02:00:00Z", "end": "2026-09-30T02:01:00Z"},
        "state": {},
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }


def zipf_choice(rng: random.Random, options: list[str], weights: list[float]) -> str:
    return rng.choices(options, weights)[0]


def realistic_paths(demo: DemoPaths, count: int, seed: int = 7) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    pools = []
    for leaves in (demo.staff, demo.items, demo.regions):
        shuffled = list(leaves)
        rng.shuffle(shuffled)
        pools.append((shuffled, [1 / rank for rank in range(1, len(shuffled) + 1)]))
    return [demo.path(zipf_choice(rng, *pools[i % 3])) for i in range(count)]


def worst_case_paths(demo: DemoPaths, count: int) -> list[tuple[str, ...]]:
    """Round robin over counties, a new staff member each time."""
    by_county: dict[str, list[str]] = {}
    for staff in demo.staff:
        by_county.setdefault(demo.county_of(staff), []).append(staff)
    queues = [list(v) for _, v in sorted(by_county.items())]
    chosen: list[tuple[str, ...]] = []
    turn = 0
    while len(chosen) < count:
        queue = queues[turn % len(queues)]
        staff = queue[(turn // len(queues)) % len(queue)]
        chosen.append(demo.path(staff))
        turn += 1
    return chosen


@contextlib.contextmanager
def counters_table() -> Iterator[tuple[Any, CallRecorder]]:
    from moto import mock_aws

    with environment(AWS_ENVIRONMENT), mock_aws():
        client = clients.dynamodb.__wrapped__()
        client.create_table(**COUNTERS.create_table_request(TABLE))
        yield client, CallRecorder(client)


class CountingSink(io.TextIOBase):
    """Where the functions' log lines and EMF metric lines go while measured: only their bytes are kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return len(text)


@contextlib.contextmanager
def counted_logs() -> Iterator[CountingSink]:
    """What the functions log (JSON log lines and EMF metrics, as CloudWatch Logs would ingest them),
    counted and not shown."""
    from functions.core.observability import logger

    sink = CountingSink()
    handler = logger.registered_handler
    previous = handler.setStream(sink) if isinstance(handler, logging.StreamHandler) else None
    try:
        with contextlib.redirect_stdout(sink):
            yield sink
    finally:
        if previous is not None:
            handler.setStream(previous)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def count_stream(label: str, paths: list[tuple[str, ...]], days: list[str], batch: int = BATCH) -> None:
    ratings = Ratings()
    records = [ratings.insert(ratings.image(f"b{i:07d}", p, days[i])) for i, p in enumerate(paths)]
    subject_updates = sum(2 * len(p) for p in paths)  # day and month bucket of every subject, unmerged
    planning_started = time.perf_counter()
    for start in range(0, len(records), batch):
        plan = BatchPlan()
        for record in records[start : start + batch]:
            plan.add(record["dynamodb"]["SequenceNumber"], record_changes(record))
        plan.items()
    planning_seconds = time.perf_counter() - planning_started
    with counters_table() as (client, recorder), quiet_logger():
        counters = DynamoCounters(client, TABLE)
        recorder.take()
        started = time.perf_counter()
        for start in range(0, len(records), batch):
            answer = handle(event(records[start : start + batch]), None, counters)
            assert not answer["batchItemFailures"], answer
        seconds = time.perf_counter() - started
        calls = recorder.take()
        # Lambda delivers the last batch again (a crash after its writes): every item finds its mark.
        last = records[(len(records) - 1) // batch * batch :]
        handle(event(last), None, counters)
        replayed = recorder.take()
    operations = Counter(call.operation for call in calls)
    updates = [call for call in calls if call.operation == "UpdateItem"]
    units = sum(write_units(item_size(call.answer.get("Attributes", {}))) for call in updates)
    n = len(records)
    heading(f"index counters: {label}, batches of {batch}")
    line("ratings", n)
    line("subjects per rating", round(sum(len(p) for p in paths) / n, 2), "", "on the rating's paths")
    line("counter write requests per rating", round(operations["UpdateItem"] / n, 2), "", "target < 6")
    line("counter write units per rating", round(units / n, 2), "WCU", "item size after the write")
    line(
        "merge ratio",
        round(subject_updates / max(1, operations["UpdateItem"]), 2),
        "",
        "subject-bucket updates / write requests",
    )
    line(
        "a batch delivered again",
        f"{len(replayed)} requests for {len(last)} records",
        "",
        "each item's conditional write is refused; nothing is counted twice",
    )
    line("other requests", dict(operations - Counter({"UpdateItem": operations["UpdateItem"]})) or 0)
    line("aggregation throughput", round(n / seconds, 1), "records/s", "in-process on moto, 8 writer threads")
    line("contributions and merging alone", round(n / planning_seconds), "records/s", "no I/O: the CPU side")
    line("time per write request", round(1000 * seconds / max(1, len(calls)), 2), "ms", "moto's own, mostly")


# --- production's shape: many shards, the window's batches ---------------------------------------
# A table gains a partition (and a stream shard) per 10 GB or 1,000 WCU/s, and every shard rolls over
# about every 4 hours while the stream keeps 24 hours: the shards seen in 25 hours are about 6 times
# those open at once. 28: a new table of 4 partitions; 105 and 315: a year and three of Jiangsu.
SHARDS_SEEN = (1, 28, 105, 315)
RATES = (6.6, 24.0)  # Jiangsu's average and peak, ratings per second
PEAK_TWICE = 50.0  # ratings per second the hot-key goal is stated at
SHARD_HOURS, STREAM_HOURS = 4, 25
PARTITION_WRITE_UNITS = 1000  # per second


def open_shards(seen: int) -> int:
    return max(1, round(seen * SHARD_HOURS / STREAM_HOURS))


def window_batch(rate: float, shards_open: int) -> int:
    """Records per batch: the shard's share of the rate over the window, or a full batch sooner."""
    return max(1, min(INDEX_BATCH_SIZE, math.ceil(rate / shards_open * INDEX_BATCHING_WINDOW_SECONDS)))


def billed_write_units(call: Any) -> int:
    """An UpdateItem is billed on the larger of the item before and after (at least one unit; a refused
    conditional write too): the answers carry the item (ALL_NEW, ALL_OLD, or the refused one's)."""
    answer = call.answer
    item = answer.get("Attributes") or answer.get("Item") or {}
    return write_units(item_size(item))


@dataclass
class ShapeFigures:
    shards: int
    batch: int
    ratings: int
    updates: int
    write_units: int
    reads: int
    largest: int
    hottest_units_per_batch: float
    exact: bool
    log_bytes: int  # what the consumer logged over the measured batches
    batches: int
    stored_bytes: int  # counter items, with DynamoDB's 100 bytes per item

    @property
    def updates_per_rating(self) -> float:
        return self.updates / self.ratings

    @property
    def units_per_rating(self) -> float:
        return self.write_units / self.ratings


def production_shape(shards_seen: int, batch: int, ratings: int | None = None) -> ShapeFigures:
    """Every one of `shards_seen` shards first counts a few ratings (as a day of rollovers leaves them
    behind on the busy items); then `ratings` more arrive in batches of `batch` over the open shards.
    Measured: the second part's requests and billed write units, the largest counter item at the end,
    and the figures against a recount of every rating counted."""
    demo = DemoPaths()
    measured = ratings or max(500, 2 * batch)
    warm = 1 if shards_seen > 1 else 0
    paths = realistic_paths(demo, shards_seen * warm + measured, seed=shards_seen)
    day = "2026-09-30"
    gen = Ratings(seed=shards_seen)
    records = [gen.insert(gen.image(f"s{i:07d}", p, day)) for i, p in enumerate(paths)]
    names = [f"shardId-{1_700_000_000_000 + i:020d}-{i:08x}" for i in range(shards_seen)]
    open_now = names[-open_shards(shards_seen) :]
    with counters_table() as (client, recorder), counted_logs() as logged:
        counters = DynamoCounters(client, TABLE)
        for i, name in enumerate(names[: -len(open_now)] if warm else []):
            handle(event(records[i * warm : (i + 1) * warm], name), None, counters)
        rest = records[len(names[: -len(open_now)]) * warm :] if warm else records
        recorder.take()
        logged.bytes = 0
        per_item: Counter[tuple[str, str]] = Counter()
        batches = 0
        for turn, start in enumerate(range(0, len(rest), batch)):
            answer = handle(
                event(rest[start : start + batch], open_now[turn % len(open_now)]), None, counters
            )
            assert not answer["batchItemFailures"], answer
            batches += 1
        calls = recorder.take()
        log_bytes = logged.bytes
        updates = [c for c in calls if c.operation == "UpdateItem"]
        for call in updates:
            key = call.params["Key"]
            per_item[(key["subject"]["S"], key["bucket"]["S"])] += billed_write_units(call)
        items = client.scan(TableName=TABLE)["Items"]
        largest = max(item_size(i) for i in items if i["subject"]["S"] != "~stream")
        reader = FigureReader(counters)
        # Every rating counts for the province: its day's figure is a recount of them all.
        total = reader.counts(paths[0][-1], Period(date(2026, 9, 30), date(2026, 9, 30))).get("n", 0)
    hottest = max(per_item.values()) if per_item else 0
    return ShapeFigures(
        shards=shards_seen,
        batch=batch,
        ratings=len(rest),
        updates=len(updates),
        write_units=sum(billed_write_units(c) for c in updates),
        reads=sum(1 for c in calls if c.operation in ("GetItem", "BatchGetItem")),
        largest=largest,
        hottest_units_per_batch=hottest / max(1, batches),
        exact=total == len(records),
        log_bytes=log_bytes,
        batches=batches,
        stored_bytes=sum(item_size(i) + 100 for i in items),
    )


def production_table() -> dict[tuple[int, float], ShapeFigures]:
    """The issue's table after the change. A batch holds what the window gathers of the rate on one
    shard (the audit's model: the province's rate on the shard); a table of P partitions splits the
    rate over P open shards, which the second part shows at 105 and 315 shards."""
    heading(
        f"index counters at production's shape: batching window {INDEX_BATCHING_WINDOW_SECONDS} s, "
        f"batches of up to {INDEX_BATCH_SIZE} (python -m tests.bench.index_counters)"
    )
    rows: dict[tuple[int, float], ShapeFigures] = {}

    def row(seen: int, rate: float, shards_open: int) -> ShapeFigures:
        batch = window_batch(rate, shards_open)
        f = production_shape(seen, batch)
        line(
            f"{seen} shards in 25 h, {rate:g} ratings/s over {shards_open} open: batch {batch}",
            f"{f.updates_per_rating:.2f} UpdateItem, {f.units_per_rating:.2f} WRU per rating",
            "",
            f"largest counter item {f.largest} B; {f.reads / f.ratings:.3f} progress reads per rating; "
            f"figures {'equal' if f.exact else 'DIFFER FROM'} a recount",
        )
        return f

    for seen in SHARDS_SEEN:
        for rate in RATES:
            rows[(seen, rate)] = row(seen, rate, 1)
    base = rows[(1, RATES[0])].units_per_rating
    for seen in SHARDS_SEEN[2:]:
        f = rows[(seen, RATES[0])]
        line(
            f"WRU per rating at {seen} shards against 1 shard",
            f"{(f.units_per_rating / base - 1):+.1%}",
            "",
            "goal: within 25 %",
        )
    print()
    for seen in SHARDS_SEEN[2:]:
        rows[(seen, -RATES[0])] = row(seen, RATES[0], open_shards(seen))
    note(
        "The rate split over the open shards gives smaller batches, so less to merge: the cost per rating "
        "follows the batch, not the shards or the table's age (same batch, same cost, at any shard count)."
    )
    hot_key(rows)
    return rows


def hot_key(rows: dict[tuple[int, float], ShapeFigures]) -> None:
    """The busiest counter item's write units per second at twice the peak, against a partition's."""
    heading(f"index counters: the hottest item at {PEAK_TWICE:g} ratings/s (twice Jiangsu's peak)")
    for seen in SHARDS_SEEN:
        f = rows[(seen, RATES[1])]
        shards_open = open_shards(seen)
        # Each open shard invokes when its batch is full or its window ends, whichever comes first; a
        # backlog (after an outage) runs batches back to back, about one a second per shard.
        fill = min(INDEX_BATCHING_WINDOW_SECONDS, INDEX_BATCH_SIZE / (PEAK_TWICE / shards_open))
        steady = f.hottest_units_per_batch * shards_open / fill
        backlog = f.hottest_units_per_batch * shards_open
        line(
            f"{seen} shards in 25 h ({shards_open} open)",
            f"{steady:.1f} WRU/s steady, {backlog:.0f} WRU/s catching up",
            "",
            f"goal: under {PARTITION_WRITE_UNITS // 3} (a third of a partition's {PARTITION_WRITE_UNITS})",
        )


COMMENT_PARTS = (
    "排队时间太长",
    "窗口只开了一个",
    "工作人员态度很好",
    "办事效率高",
    "材料要求解释不清楚",
    "让我来回跑了三趟",
    "网上办理很方便",
    "自助终端经常坏",
    "一次办结",
    "希望改进",
    "预约办理很快",
    "指引清楚",
    "等了一个上午",
    "系统卡顿",
    "停车困难",
    "服务热情周到",
    "告知不一次性",
    "材料繁琐",
    "大厅环境整洁",
    "电话没人接",
    "审批速度快",
    "需要重复提交材料",
    "导办人员耐心",
    "叫号混乱",
    "证照当场领取",
    "咨询回复及时",
)


def hot_words_cost(ratings: int = 400, batch: int = 198) -> None:
    """Commented ratings through the real segmenter and the consumer: write units of the hot-word items
    per commented rating, and the largest of them."""
    from functions.index import analysis_wiring
    from functions.index.segmenter import Segmenter

    demo = DemoPaths()
    rng = random.Random(11)
    gen = Ratings(seed=11)
    records = []
    for i, path in enumerate(realistic_paths(demo, ratings, seed=11)):
        image = gen.image(f"w{i:07d}", path, "2026-09-30")
        image["comment"] = {"S": "，".join(rng.sample(COMMENT_PARTS, rng.randint(1, 4))) + "。"}
        records.append(gen.insert(image))
    analysis_wiring.use_segmenter(Segmenter())
    try:
        with counters_table() as (client, recorder), counted_logs():
            counters = DynamoCounters(client, TABLE)
            recorder.take()
            for start in range(0, len(records), batch):
                handle(event(records[start : start + batch]), None, counters)
            calls = [c for c in recorder.take() if c.operation == "UpdateItem"]
            hot = [c for c in calls if c.params["Key"]["bucket"]["S"].startswith("hw|")]
            items = [i for i in client.scan(TableName=TABLE)["Items"] if i["bucket"]["S"].startswith("hw|")]
    finally:
        analysis_wiring.use_segmenter(None)
    heading(
        f"index hot words: {ratings} commented ratings, batches of {batch}, {HOT_WORD_SLOTS} slots per bucket"
    )
    line(
        "hot-word write units per commented rating",
        round(sum(map(billed_write_units, hot)) / ratings, 2),
        "WRU",
    )
    line(
        "all counter write units per commented rating",
        round(sum(map(billed_write_units, calls)) / ratings, 2),
        "WRU",
    )
    line("largest hot-word item", max(item_size(i) for i in items), "B", "limit 400 KB")


def read_costs() -> None:
    """A staff member rated every day of 2026: what a day, a month, a year and 365 days cost to read."""
    demo = DemoPaths()
    staff = demo.staff[0]
    days = [(date(2026, 1, 1) + timedelta(days=i)).isoformat() for i in range(365)]
    ratings = Ratings()
    records = [
        ratings.insert(ratings.image(f"y{i:04d}", demo.path(staff), day)) for i, day in enumerate(days)
    ]
    with counters_table() as (client, recorder), quiet_logger():
        counters = DynamoCounters(client, TABLE)
        for start in range(0, len(records), BATCH):
            handle(event(records[start : start + BATCH]), None, counters)
        reader = FigureReader(counters)
        heading("index figures: read cost of one subject's figure (eventually consistent Query)")
        for label, period in (
            ("one day", Period(date(2026, 6, 15), date(2026, 6, 15))),
            ("one month", Period(date(2026, 6, 1), date(2026, 6, 30))),
            ("one year", Period(date(2026, 1, 1), date(2026, 12, 31))),
            ("365 days from mid-month", Period(date(2026, 2, 15), date(2027, 2, 14))),
            ("all time", Period(None, None)),
        ):
            recorder.take()
            counts = reader.counts(f"staff#{staff}", period)
            calls = [c for c in recorder.take() if c.operation == "Query"]
            items = [item for c in calls for item in c.answer.get("Items", [])]
            units = sum(
                0.5 * max(1, math.ceil(sum(item_size(i) for i in c.answer.get("Items", [])) / 4096))
                for c in calls
            )
            line(
                label,
                f"{len(calls)} requests, {len(items)} items, {units:g} RCU",
                "",
                f"{counts.get('n', 0)} ratings",
            )
    note(
        "A period is read as its leading partial month in days, whole months, and its trailing partial month "
        "in days: at most three Query requests, whatever its length."
    )


def main() -> None:
    demo = DemoPaths()
    # Sizes kept small: moto answers an UpdateItem in milliseconds, and make bench runs everything.
    realistic = realistic_paths(demo, 1000)
    one_day_per_500 = [(date(2026, 9, 28) + timedelta(days=i // 500)).isoformat() for i in range(1000)]
    count_stream("realistic skew (Zipf over the demo directory)", realistic, one_day_per_500)
    count_stream("realistic skew (Zipf over the demo directory)", realistic[:200], one_day_per_500, batch=10)
    worst = worst_case_paths(demo, 500)
    count_stream("worst case (each rating another staff member of another county)", worst, one_day_per_500)
    read_costs()
    production_table()
    hot_words_cost()


if __name__ == "__main__":
    main()
