"""A batch of ratings-stream records as counter item changes: each record's new − old contribution,
per subject and bucket, merged so that a counter item that many records touch is written once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.index.contribution import Changes, PoisonRecord, RatingImage, changes, family_of
from functions.index.counters import ItemChange, padded_sequence
from functions.index.figures import buckets_of
from functions.index.hotwords import slot_of

HOT_WORDS = "hw"  # the family whose items are split in slots (functions/index/hotwords.py)


def record_changes(record: Mapping[str, Any]) -> Changes:
    """What one stream record (Lambda's shape) changes. INSERT adds, REMOVE subtracts, MODIFY adds
    new − old; a record without the images its event needs cannot be counted."""
    event = record.get("eventName")
    stream = record.get("dynamodb") or {}
    old = stream.get("OldImage")
    new = stream.get("NewImage")
    if event == "INSERT" and new is None or event == "REMOVE" and old is None:
        raise PoisonRecord(f"{event} without its image")
    if event == "MODIFY" and (old is None or new is None):
        raise PoisonRecord("MODIFY needs old and new images (stream view NEW_AND_OLD_IMAGES)")
    if event not in ("INSERT", "MODIFY", "REMOVE"):
        raise PoisonRecord(f"unknown event {event!r}")
    return changes(
        RatingImage.from_stream(old) if old is not None and event != "INSERT" else None,
        RatingImage.from_stream(new) if new is not None and event != "REMOVE" else None,
    )


class BatchPlan:
    """Counter item changes of a batch, merged per item, each remembering its records in order.
    Records at or below `after` (the shard's progress: applied everywhere already) are left out."""

    def __init__(self, after: str = "") -> None:
        self._items: dict[tuple[str, str], ItemChange] = {}
        self._after = after
        self.records = 0

    def add(self, sequence: str, record_changes: Changes) -> None:
        position = padded_sequence(sequence)
        if position <= self._after:
            return
        self.records += 1
        for key, fields in record_changes.items():
            by_family: dict[str, dict[str, int]] = {}
            slots: dict[str, str] = {}
            for name, value in fields.items():
                family = family_of(name)
                slot = slot_of(name) if family == HOT_WORDS else ""
                by_family.setdefault(family + slot, {})[name] = value
                slots[family + slot] = slot
            for family_slot, family_fields in by_family.items():
                slot = slots[family_slot]
                family = family_slot[: len(family_slot) - len(slot)]
                for bucket in (b + slot for b in buckets_of(key.day, family)):
                    item = self._items.get((key.subject, bucket))
                    if item is None:
                        item = self._items[(key.subject, bucket)] = ItemChange(key.subject, bucket)
                    if item.records and item.records[-1][0] == position:
                        for name, value in family_fields.items():  # same record, another day's key
                            item.records[-1][1][name] = item.records[-1][1].get(name, 0) + value
                    else:
                        item.records.append((position, dict(family_fields)))
                    item.sources.add(sequence)

    def items(self) -> list[ItemChange]:
        for item in self._items.values():
            item.records.sort(key=lambda r: r[0])
        return list(self._items.values())
