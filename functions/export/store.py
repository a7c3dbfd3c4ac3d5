"""The export's ledger in DynamoDB (table `export`, functions/core/storage/tables.py): one item per
record of a rating for a target, beside the rating (keyed by its id), with its sync state.

Every write is conditional on the revision read (`rev`), so the stream consumer, the scheduled sender
and the reconciliation never overwrite each other's moves; the stream consumer's writes are also
conditional on the stream sequence number, so a replayed record enters the pending set once. Records
the sender may take carry `due_target` (the sparse `due` index, ordered by `next_at`); every record
carries `target_day` (the `by_day` index the status and the reconciliation read)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from functions.core.domain.ratings import Rating
from functions.core.storage.ratings import item_to_rating
from functions.export.sync import State, Tracked, key_of

SUMMARY = "reconciled"  # the part name of a day's reconciliation summary item


class DynamoExport:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self.requests = 0

    def get_many(self, pks: Iterable[str]) -> dict[str, Tracked]:
        wanted = list(dict.fromkeys(pks))
        found: dict[str, Tracked] = {}
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [{"pk": {"S": pk}} for pk in wanted[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            while request:
                self.requests += 1
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self._table, []):
                    tracked = from_item(item)
                    found[tracked.pk] = tracked
                request = answer.get("UnprocessedKeys") or {}
        return found

    def write(self, record: Tracked, expected_rev: int | None, below_seq: str | None = None) -> bool:
        """Put the record if nobody wrote it since it was read (revision `expected_rev`; None: it did not
        exist) and, for the stream consumer, if its sequence number is below `below_seq`."""
        values: dict[str, Any] = {}
        if expected_rev is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "rev = :rev"
            values[":rev"] = {"N": str(expected_rev)}
        if below_seq is not None and expected_rev is not None:
            condition += " AND (attribute_not_exists(seq) OR seq < :seq)"
            values[":seq"] = {"S": below_seq}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(record._replace(rev=(expected_rev or 0) + 1)),
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        self.requests += 1
        try:
            self._client.put_item(**request)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def due(self, target: str, now_iso: str, limit: int) -> Iterator[Tracked]:
        """Records the sender may take now, oldest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "due",
            "KeyConditionExpression": "due_target = :t AND next_at <= :now",
            "ExpressionAttributeValues": {":t": {"S": target}, ":now": {"S": now_iso}},
            "Limit": min(limit, 1000),
        }
        taken = 0
        while taken < limit:
            self.requests += 1
            answer = self._client.query(**request)
            for item in answer["Items"]:
                taken += 1
                yield from_item(item)
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def of_day(self, target: str, day: str) -> Iterator[Tracked]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_day",
            "KeyConditionExpression": "target_day = :d",
            "ExpressionAttributeValues": {":d": {"S": f"{target}#{day}"}},
        }
        while True:
            self.requests += 1
            answer = self._client.query(**request)
            for item in answer["Items"]:
                yield from_item(item)
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def save_summary(self, target: str, day: str, summary: dict[str, Any]) -> None:
        self.requests += 1
        self._client.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": key_of(target, day, SUMMARY)},
                "summary": {"S": json.dumps(summary, ensure_ascii=False, sort_keys=True)},
            },
        )

    def summary(self, target: str, day: str) -> dict[str, Any] | None:
        self.requests += 1
        item = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": key_of(target, day, SUMMARY)}}, ConsistentRead=True
        ).get("Item")
        return json.loads(item["summary"]["S"]) if item else None


def to_item(record: Tracked) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": record.pk},
        "target": {"S": record.target},
        "rating_id": {"S": record.rating_id},
        "part": {"S": record.part},
        "day": {"S": record.day},
        "target_day": {"S": f"{record.target}#{record.day}"},
        "rated_at": {"S": record.rated_at},
        "state": {"S": record.state.value},
        "version": {"N": str(record.version)},
        "content_hash": {"S": record.content_hash},
        "sent_version": {"N": str(record.sent_version)},
        "acked_version": {"N": str(record.acked_version)},
        "attempts": {"N": str(record.attempts)},
        "seq": {"S": record.seq},
        "rev": {"N": str(record.rev)},
    }
    if record.content is not None:
        item["content"] = {"S": json.dumps(record.content, ensure_ascii=False, sort_keys=True)}
    for name in ("natural_key", "reason", "depends_on", "counts_key", "next_at"):
        value = getattr(record, name)
        if value is not None:
            item[name] = {"S": value}
    if record.state.due and record.next_at is not None:
        item["due_target"] = {"S": record.target}
    return item


def from_item(item: dict[str, Any]) -> Tracked:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    return Tracked(
        target=item["target"]["S"],
        rating_id=item["rating_id"]["S"],
        part=item["part"]["S"],
        day=item["day"]["S"],
        rated_at=item["rated_at"]["S"],
        state=State(item["state"]["S"]),
        version=int(item["version"]["N"]),
        content=json.loads(item["content"]["S"]) if "content" in item else None,
        natural_key=text("natural_key"),
        content_hash=item.get("content_hash", {}).get("S", ""),
        reason=text("reason"),
        sent_version=int(item["sent_version"]["N"]),
        acked_version=int(item["acked_version"]["N"]),
        attempts=int(item["attempts"]["N"]),
        next_at=text("next_at"),
        depends_on=text("depends_on"),
        counts_key=text("counts_key"),
        seq=item.get("seq", {}).get("S", ""),
        rev=int(item["rev"]["N"]),
    )


class RatingReader:
    """The stored rating a held or rejected record is re-mapped from (one consistent GetItem)."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, rating_id: str) -> Rating | None:
        item = self._client.get_item(
            TableName=self._table, Key={"rating_id": {"S": rating_id}}, ConsistentRead=True
        ).get("Item")
        return item_to_rating(item) if item else None
