"""The directory in DynamoDB, and an in-process cache in front of it.

Entries change rarely and every rating reads up to five of them, so a warm function answers from
memory: known entries are kept for a while (a rename or move shows after at most that long), while a
code not found is never cached, so an entry added a moment ago is found at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef


class DynamoDirectory:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]:
        wanted = list(dict.fromkeys(refs))
        found: dict[SubjectRef, DirectoryEntry] = {}
        for start in range(0, len(wanted), 100):
            keys = [_key(ref) for ref in wanted[start : start + 100]]
            request: dict[str, Any] = {self._table: {"Keys": keys}}
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self._table, []):
                    entry = item_to_entry(item)
                    found[entry.ref] = entry
                request = answer.get("UnprocessedKeys") or {}
        return found

    def put(self, entry: DirectoryEntry) -> DirectoryEntry | None:
        """Store the entry; answers the entry it replaced, if any."""
        answer = self._client.put_item(
            TableName=self._table, Item=entry_to_item(entry), ReturnValues="ALL_OLD"
        )
        return item_to_entry(answer["Attributes"]) if "Attributes" in answer else None

    def put_many(self, entries: Iterable[DirectoryEntry]) -> None:
        """Bulk write (imports): 25 entries a request, unprocessed ones retried."""
        pending = [{"PutRequest": {"Item": entry_to_item(entry)}} for entry in entries]
        while pending:
            batch, pending = pending[:25], pending[25:]
            request: dict[str, Any] = {self._table: batch}
            while request:
                answer = self._client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}

    def children(self, parent: SubjectRef, kind: SubjectKind | None = None) -> Iterator[DirectoryEntry]:
        condition = "parent_key = :p"
        values: dict[str, Any] = {":p": {"S": parent.key}}
        if kind is not None:
            condition += " AND begins_with(entry_key, :k)"
            values[":k"] = {"S": f"{kind.value}#"}
        yield from map(
            item_to_entry,
            self._query(
                IndexName="by_parent", KeyConditionExpression=condition, ExpressionAttributeValues=values
            ),
        )

    def children_page(
        self, parent: SubjectRef, after: SubjectRef | None, limit: int
    ) -> tuple[list[DirectoryEntry], bool]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_parent",
            "KeyConditionExpression": "parent_key = :p",
            "ExpressionAttributeValues": {":p": {"S": parent.key}},
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {
                **_key(after),
                "parent_key": {"S": parent.key},
                "entry_key": {"S": after.key},
            }
        answer = self._client.query(**request)
        return [item_to_entry(item) for item in answer["Items"]], "LastEvaluatedKey" in answer

    def of_kind(self, kind: SubjectKind) -> Iterator[DirectoryEntry]:
        yield from map(
            item_to_entry,
            self._query(
                KeyConditionExpression="kind = :k", ExpressionAttributeValues={":k": {"S": kind.value}}
            ),
        )

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(TableName=self._table, **request):
            yield from page["Items"]


class CachedDirectory:
    """Read-through cache of known entries. Writes go through it so this process sees them at once."""

    def __init__(
        self, store: DynamoDirectory, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[SubjectRef, tuple[float, DirectoryEntry]] = {}

    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]:
        now = self._clock()
        found: dict[SubjectRef, DirectoryEntry] = {}
        missing: list[SubjectRef] = []
        for ref in refs:
            cached = self._entries.get(ref)
            if cached and cached[0] > now:
                found[ref] = cached[1]
            else:
                missing.append(ref)
        if missing:
            fetched = self._store.get_many(missing)
            for ref, entry in fetched.items():
                self._entries[ref] = (now + self._ttl, entry)
            found.update(fetched)
        return found

    def put(self, entry: DirectoryEntry) -> DirectoryEntry | None:
        previous = self._store.put(entry)
        self._entries[entry.ref] = (self._clock() + self._ttl, entry)
        return previous

    def put_many(self, entries: Iterable[DirectoryEntry]) -> None:
        entries = list(entries)
        self._store.put_many(entries)
        expires = self._clock() + self._ttl
        for entry in entries:
            self._entries[entry.ref] = (expires, entry)

    def children(self, parent: SubjectRef, kind: SubjectKind | None = None) -> Iterator[DirectoryEntry]:
        return self._store.children(parent, kind)

    def children_page(
        self, parent: SubjectRef, after: SubjectRef | None, limit: int
    ) -> tuple[list[DirectoryEntry], bool]:
        return self._store.children_page(parent, after, limit)

    def of_kind(self, kind: SubjectKind) -> Iterator[DirectoryEntry]:
        return self._store.of_kind(kind)


def _key(ref: SubjectRef) -> dict[str, Any]:
    return {"kind": {"S": ref.kind.value}, "code": {"S": ref.code}}


def entry_to_item(entry: DirectoryEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": {"S": entry.kind.value},
        "code": {"S": entry.code},
        "name": {"S": entry.name},
        "entry_key": {"S": entry.ref.key},
        # Codes only: names are looked up when shown, so a rename touches no descendant.
        "ancestors": {"L": [{"S": ref.key} for ref in entry.ancestors]},
    }
    if entry.parent is not None:
        item["parent_key"] = {"S": entry.parent.key}
    if entry.national_code is not None:
        item["national_code"] = {"S": entry.national_code}
    return item


def item_to_entry(item: Mapping[str, Any]) -> DirectoryEntry:
    parent = SubjectRef.from_key(item["parent_key"]["S"]) if "parent_key" in item else None
    ancestors = tuple(SubjectRef.from_key(step["S"]) for step in item.get("ancestors", {}).get("L", []))
    return DirectoryEntry(
        kind=SubjectKind(item["kind"]["S"]),
        code=item["code"]["S"],
        name=item["name"]["S"],
        parent=parent,
        ancestors=ancestors,
        national_code=item.get("national_code", {}).get("S"),
    )
