"""The counters table: figures read by key ranges, and stream changes applied exactly once.

Exactly once, although Lambda delivers stream records at least once and replays whole batches (after a
crash between two counter writes) or their tails (after a partial failure):

- Each counter item keeps, per stream shard, the high-water mark of the records applied to it: an
  attribute `@<shard>` (a short hash of the shard id) holding the highest sequence number applied,
  zero-padded to 40 digits so that DynamoDB compares them as numbers, and when it was written.
- Within one shard, records arrive in sequence order and a replay repeats a suffix of what was already
  delivered. So a counter item has applied a record of that shard exactly when the record's sequence
  number is at or below the item's mark for the shard.
- One UpdateItem adds a batch's merged changes to an item and moves its mark, with the condition that
  the mark is still below the first record merged. If it is not (a replay), DynamoDB answers the item
  as it is (ReturnValuesOnConditionCheckFailure); the changes are merged again from the records above
  its mark only, and written on condition that the mark is still the one seen.
- Every item is independent: a crash between two items' writes leaves some items ahead of others, and
  the replay brings each exactly up to date.
- Shards roll over about every four hours and a stream keeps records for 24 hours, so a mark older
  than 25 hours can never be needed again: an item whose answer shows one drops it.

Only this module and figures' port touch DynamoDB for the counters; the client is injected."""

from __future__ import annotations

import base64
import hashlib
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
    pruned: int = 0  # old shard marks removed


class DynamoCounters:
    def __init__(
        self,
        client: Any,
        table: str,
        *,
        workers: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._workers = workers
        self._clock = clock
        self.stats = WriteStats()

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
        pending = change.records
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
            self.stats.requests += 1
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
                self.stats.replays += 1
                applied = seen.split(" ", 1)[0]
                pending = [record for record in pending if record[0] > applied]
                if not pending:
                    return
                continue
            self._prune(change, answer.get("Attributes", {}), keep=mark)
            return
        raise RuntimeError(f"counter item {change.subject} {change.bucket} kept changing; retry the batch")

    def _get(self, change: ItemChange) -> Mapping[str, Any] | None:
        return self._client.get_item(
            TableName=self._table,
            Key={"subject": {"S": change.subject}, "bucket": {"S": change.bucket}},
            ConsistentRead=True,
        ).get("Item")

    def _prune(self, change: ItemChange, item: Mapping[str, Any], keep: str) -> None:
        oldest = self._clock() - MARK_LIFETIME_SECONDS
        stale = [
            name
            for name, value in item.items()
            if name.startswith(MARK_PREFIX) and name != keep and _written_at(value) < oldest
        ]
        if not stale:
            return
        names = {f"#m{i}": name for i, name in enumerate(stale)}
        self.stats.requests += 1
        self._client.update_item(
            TableName=self._table,
            Key={"subject": {"S": change.subject}, "bucket": {"S": change.bucket}},
            UpdateExpression="REMOVE " + ", ".join(names),
            ExpressionAttributeNames=names,
        )
        self.stats.pruned += len(stale)


def _written_at(value: Mapping[str, Any]) -> float:
    try:
        return float(value["S"].split(" ", 1)[1])
    except (KeyError, IndexError, ValueError):
        return float("inf")  # not a mark we wrote: never pruned
