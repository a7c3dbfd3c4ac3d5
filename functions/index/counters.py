"""The counters table: figures read by key ranges, and stream changes applied exactly once.

Exactly once, although Lambda delivers stream records at least once and replays whole batches (after a
crash between two counter writes) or their tails (after a partial failure), with every counter item's
size bounded by what it counts, not by how many shards wrote it or how old the table is:

- Each stream shard has a progress item (`~stream`, the shard's mark name): the highest sequence number
  up to which every record of the shard has been applied to every counter item (or, for a record that
  never could be, handed to the on-failure queue). The consumer reads it once per batch (consistent)
  and skips what it covers; it moves it once per batch, to just before the batch's first failure.
- What a crashed or partly failed batch left half done is told apart by marks on the counter items:
  an attribute `@<shard>` (a short hash of the shard id) holding the highest sequence number applied to
  that item from that shard, zero-padded to 40 digits so that DynamoDB compares them as numbers, and
  when it was written. Within one shard, records arrive in sequence order and a replay repeats a suffix
  of what was delivered, so an item has applied a record exactly when its mark for the shard is at or
  above it.
- One UpdateItem adds a batch's merged changes to an item and moves its mark, with the condition that
  the mark is still below the first record merged. If it is not (a replay), DynamoDB answers the item
  as it is (ReturnValuesOnConditionCheckFailure); the changes are merged again from the records above
  its mark only, and written on condition that the mark is still the one seen.
- A mark is needed only until its shard's progress passes it: from then on the progress item skips
  those records before any item is looked at. So a writer that finds more than `max_foreign_marks`
  marks of other shards on an item removes those their shards' progress covers (conditionally on the
  values it saw), and any mark older than 25 hours (stream retention and a margin). An item keeps
  only the marks of batches in flight: a handful, whatever the number of shards a table has had.
- Every item is independent: a crash between two items' writes leaves some items ahead of others, and
  the replay brings each exactly up to date.

Only this module and figures' port touch DynamoDB for the counters; the client is injected."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from functions.index.contribution import PoisonRecord
from functions.index.figures import KeyRange

SEQUENCE_DIGITS = 40  # DynamoDB Streams sequence numbers are 21 to 40 digits
MARK_PREFIX = "@"
MARK_LIFETIME_SECONDS = 25 * 3600  # stream retention (24 h) and a margin
MAX_ATTEMPTS = 4
# Where the consumers' per-shard progress items live in the counters table (never a subject's code).
PROGRESS_SUBJECT = "~stream"
# Marks of other shards an item may carry before a writer prunes those their progress covers: a prune
# costs a write, so items written from many shards are pruned every few writes, not on each.
MAX_FOREIGN_MARKS = 2
# "ADD #f99 :f99, " ≈ 15 characters each: well within 4 KB, and within what the local emulation's
# recursive expression parser takes (it fails between 150 and 200).
MAX_FIELDS_PER_WRITE = 100
_KEYS = ("subject", "bucket")


def padded_sequence(sequence: str) -> str:
    if not sequence.isdigit() or len(sequence) > SEQUENCE_DIGITS:
        raise PoisonRecord(f"sequence number {sequence!r} is not 1-{SEQUENCE_DIGITS} digits")
    return sequence.rjust(SEQUENCE_DIGITS, "0")


def mark_attribute(shard_id: str) -> str:
    """`@` and 8 characters: shard ids are up to 65 characters and every counter item keeps a few."""
    digest = hashlib.blake2b(shard_id.encode(), digest_size=5).digest()
    return MARK_PREFIX + base64.b32encode(digest).decode().lower()


@dataclass
class ItemChange:
    """The changes one batch makes to one counter item, record by record (sequence order)."""

    subject: str
    bucket: str
    records: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # (padded seq, fields)
    sources: set[str] = field(default_factory=set)  # the records' own sequence numbers, as delivered

    def merged(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for _, fields in self.records:
            for name, value in fields.items():
                total[name] = total.get(name, 0) + value
        return {name: value for name, value in total.items() if value}


@dataclass
class WriteStats:
    requests: int = 0  # UpdateItem requests, including the ones refused as replays
    replays: int = 0  # items whose mark showed some of the batch's records applied already
    pruned: int = 0  # shard marks removed
    reads: int = 0  # progress reads (GetItem, BatchGetItem)
    prune_failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self, requests: int = 0, replays: int = 0, pruned: int = 0, reads: int = 0, prune_failures: int = 0
    ) -> None:
        with self._lock:  # writer threads share one
            self.requests += requests
            self.replays += replays
            self.pruned += pruned
            self.reads += reads
            self.prune_failures += prune_failures


class DynamoCounters:
    def __init__(
        self,
        client: Any,
        table: str,
        *,
        workers: int = 8,
        clock: Callable[[], float] = time.time,
        max_foreign_marks: int = MAX_FOREIGN_MARKS,
    ) -> None:
        self._client = client
        self._table = table
        self._workers = workers
        self._clock = clock
        self._max_foreign_marks = max_foreign_marks
        # Shards' progress as last read: it only moves forward, so a value known here is a safe bound.
        self._known_progress: dict[str, str] = {}
        self._progress_lock = threading.Lock()
        self.stats = WriteStats()

    # --- the shards' progress ---------------------------------------------------------------------

    def applied_through(self, shard_id: str) -> str:
        """The padded sequence number up to which the shard's records are all applied ('' for none)."""
        item = self._client.get_item(
            TableName=self._table, Key=self._progress_key(mark_attribute(shard_id)), ConsistentRead=True
        ).get("Item")
        self.stats.add(reads=1)
        return str(item["applied"]["S"]) if item else ""

    def checkpoint(self, shard_id: str, sequence: str) -> None:
        """Every record of the shard up to `sequence` (as delivered) is applied everywhere."""
        position = padded_sequence(sequence)
        self.stats.add(requests=1)
        # A refused write is a replay of records the progress already covers.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._table,
                Key=self._progress_key(mark_attribute(shard_id)),
                UpdateExpression="SET applied = :p, written = :t",
                ConditionExpression="attribute_not_exists(applied) OR applied < :p",
                ExpressionAttributeValues={":p": {"S": position}, ":t": {"N": str(int(self._clock()))}},
            )

    @staticmethod
    def _progress_key(mark: str) -> dict[str, Any]:
        return {"subject": {"S": PROGRESS_SUBJECT}, "bucket": {"S": mark}}

    def _progress_of(self, marks: Mapping[str, str]) -> dict[str, str]:
        """Progress of the shards behind these marks ({mark: its sequence}), read (BatchGetItem) only
        where what is known here does not already cover the mark."""
        with self._progress_lock:
            unknown = sorted(m for m, seq in marks.items() if self._known_progress.get(m, "") < seq)
        for start in range(0, len(unknown), 100):
            keys = [self._progress_key(mark) for mark in unknown[start : start + 100]]
            request: dict[str, Any] = {
                self._table: {
                    "Keys": keys,
                    "ProjectionExpression": "#b, applied",
                    "ExpressionAttributeNames": {"#b": "bucket"},
                }
            }
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                self.stats.add(reads=1)
                with self._progress_lock:
                    for item in answer.get("Responses", {}).get(self._table, []):
                        mark, applied = item["bucket"]["S"], item["applied"]["S"]
                        self._known_progress[mark] = max(applied, self._known_progress.get(mark, ""))
                request = answer.get("UnprocessedKeys") or {}
        with self._progress_lock:
            return {mark: self._known_progress.get(mark, "") for mark in marks}

    # --- reading ------------------------------------------------------------------------------

    def sum_ranges(self, subject: str, ranges: Sequence[KeyRange]) -> dict[str, int]:
        total: dict[str, int] = {}
        for key_range in ranges:
            for item in self._query(subject, key_range):
                for name, value in item.items():
                    if "N" in value and name not in _KEYS:
                        total[name] = total.get(name, 0) + int(value["N"])
        return total

    def _query(self, subject: str, key_range: KeyRange) -> Iterable[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#s = :s AND #b BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#s": "subject", "#b": "bucket"},
            "ExpressionAttributeValues": {
                ":s": {"S": subject},
                ":lo": {"S": key_range.low},
                ":hi": {"S": key_range.high},
            },
            "ReturnConsumedCapacity": "TOTAL",
        }
        while True:
            answer = self._client.query(**request)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # --- writing ------------------------------------------------------------------------------

    def apply(self, shard_id: str, changes: Sequence[ItemChange]) -> list[tuple[ItemChange, BaseException]]:
        """Write every item's changes (in parallel); answers the items that could not be written."""
        mark = mark_attribute(shard_id)
        failures: list[tuple[ItemChange, BaseException]] = []

        def write(change: ItemChange) -> None:
            try:
                self._apply_one(mark, change)
            except Exception as e:  # reported per item; the batch utility fails their records
                failures.append((change, e))

        if self._workers <= 1 or len(changes) <= 1:
            for change in changes:
                write(change)
        else:
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                list(pool.map(write, changes))
        return failures

    def _apply_one(self, mark: str, change: ItemChange) -> None:
        # An update expression holds at most 4 KB: many distinct fields (hot words of a busy batch)
        # are written as consecutive runs of records, each run with its mark, so each stays atomic.
        for run in _runs(change.records):
            self._apply_run(mark, change, run)

    def _apply_run(self, mark: str, change: ItemChange, pending: list[tuple[str, dict[str, int]]]) -> None:
        seen: str | None = None  # the mark found on the item after a refused write
        for _ in range(MAX_ATTEMPTS):
            # Even when the records cancel out (a rating added and removed in one batch), the mark
            # moves: a replay of the later record alone must find it applied.
            fields = ItemChange(change.subject, change.bucket, pending).merged()
            names = {"#h": mark}
            values: dict[str, Any] = {":h": {"S": f"{pending[-1][0]} {int(self._clock())}"}}
            adds = []
            for i, (name, value) in enumerate(sorted(fields.items())):
                names[f"#f{i}"] = name
                values[f":f{i}"] = {"N": str(value)}
                adds.append(f"#f{i} :f{i}")
            if seen is None:
                condition = "attribute_not_exists(#h) OR #h < :lo"
                values[":lo"] = {"S": pending[0][0]}
            else:
                condition = "#h = :seen"
                values[":seen"] = {"S": seen}
            self.stats.add(requests=1)
            try:
                answer = self._client.update_item(
                    TableName=self._table,
                    Key={"subject": {"S": change.subject}, "bucket": {"S": change.bucket}},
                    UpdateExpression=(f"ADD {', '.join(adds)} " if adds else "") + "SET #h = :h",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._client.exceptions.ConditionalCheckFailedException as e:
                item = e.response.get("Item") or self._get(change)
                seen = item.get(mark, {}).get("S") if item else None
                if seen is None:  # the mark vanished (pruned as stale): start over
                    continue
                self.stats.add(replays=1)
                applied = seen.split(" ", 1)[0]
                pending = [record for record in pending if record[0] > applied]
                if not pending:
                    return
                continue
            try:
                self._prune(change, answer.get("Attributes", {}), keep=mark)
            except Exception:  # the changes are written; a later write prunes
                self.stats.add(prune_failures=1)
            return
        raise RuntimeError(f"counter item {change.subject} {change.bucket} kept changing; retry the batch")

    def _get(self, change: ItemChange) -> Mapping[str, Any] | None:
        return self._client.get_item(
            TableName=self._table,
            Key={"subject": {"S": change.subject}, "bucket": {"S": change.bucket}},
            ConsistentRead=True,
        ).get("Item")

    def _prune(self, change: ItemChange, item: Mapping[str, Any], keep: str) -> None:
        """Removes the marks no replay can need: older than the stream keeps records, or, once an item
        carries more than `max_foreign_marks` of other shards, covered by their shards' progress."""
        oldest = self._clock() - MARK_LIFETIME_SECONDS
        foreign = {
            name: value["S"]
            for name, value in item.items()
            if name.startswith(MARK_PREFIX) and name != keep and "S" in value
        }
        stale = [name for name, value in foreign.items() if _written_at({"S": value}) < oldest]
        if len(foreign) > self._max_foreign_marks:
            progress = self._progress_of(
                {name: value.split(" ", 1)[0] for name, value in foreign.items() if name not in stale}
            )
            stale += [
                name
                for name, value in foreign.items()
                if name not in stale and progress.get(name, "") >= value.split(" ", 1)[0]
            ]
        if not stale:
            return
        names = {f"#m{i}": name for i, name in enumerate(stale)}
        values = {f":m{i}": {"S": foreign[name]} for i, name in enumerate(stale)}
        self.stats.add(requests=1)
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"subject": {"S": change.subject}, "bucket": {"S": change.bucket}},
                UpdateExpression="REMOVE " + ", ".join(names),
                # Only the marks as seen: one that moved since belongs to a batch in flight.
                ConditionExpression=" AND ".join(f"#m{i} = :m{i}" for i in range(len(stale))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",  # free; what the write is billed on, for the benchmarks
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # another writer got there first, or a mark moved: the next write prunes
        self.stats.add(pruned=len(stale))


def _runs(
    records: list[tuple[str, dict[str, int]]], max_fields: int = MAX_FIELDS_PER_WRITE
) -> list[list[tuple[str, dict[str, int]]]]:
    """Consecutive runs of records whose fields together stay within `max_fields` (a record with more
    is a run of its own)."""
    runs: list[list[tuple[str, dict[str, int]]]] = []
    fields: set[str] = set()
    for record in records:
        if runs and len(fields | record[1].keys()) <= max_fields:
            runs[-1].append(record)
            fields |= record[1].keys()
        else:
            runs.append([record])
            fields = set(record[1])
    return runs


def _written_at(value: Mapping[str, Any]) -> float:
    try:
        return float(value["S"].split(" ", 1)[1])
    except (KeyError, IndexError, ValueError):
        return float("inf")  # not a mark we wrote: never pruned
