"""Every answer body of the rate function, shaped here and nowhere else (API.md and the OpenAPI
document describe these)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions.core.domain.directory import DirectoryEntry, PathStep
from functions.core.domain.directory_service import ImportResult
from functions.core.domain.ratings import Rating


def accepted(rating: Rating) -> dict[str, Any]:
    return {"rating_id": rating.rating_id, "good": rating.good, "ticket_id": rating.ticket_id}


def rating(rating: Rating) -> dict[str, Any]:
    """A rating as people see it: the phone masked, the name and ID number never."""
    return {
        "rating_id": rating.rating_id,
        "channel": rating.channel.value,
        "channel_code": rating.channel.national_code,
        "satisfaction": int(rating.satisfaction),
        "satisfaction_label": rating.satisfaction.label,
        "good": rating.good,
        "valid": rating.valid,
        "subjects": {kind.value: code for kind, code in rating.subjects.items()},
        "department": rating.department,
        "region": rating.region,
        "case_no": rating.case_no,
        "follow_up": rating.follow_up,
        "tags": list(rating.tags),
        "comment": rating.comment,
        "rater": (
            {"kind": rating.rater.kind, "named": True, "phone": rating.rater.phone_masked}
            if rating.rater
            else {"kind": rating.rater_kind, "named": False, "phone": None}
        ),
        "rated_at": rating.rated_at.isoformat(),
        "received_at": rating.received_at.isoformat(),
        "ticket_id": rating.ticket_id,
        # The ticket's state arrives with the ticket process; until a ticket exists this is null.
        "ticket": None,
    }


def _step(step: PathStep) -> dict[str, str]:
    return {"kind": step.kind.value, "code": step.code, "name": step.name}


def directory_entry(entry: DirectoryEntry) -> dict[str, Any]:
    """An entry with its full path up to the province."""
    body: dict[str, Any] = {
        "kind": entry.kind.value,
        "code": entry.code,
        "name": entry.name,
        "parent": entry.parent.code if entry.parent else None,
        "parent_kind": entry.parent.kind.value if entry.parent else None,
        "path": [_step(step) for step in entry.path],
    }
    if entry.level is not None:
        body["level"] = entry.level.name.lower()
    return body


def directory_listing(
    kind: str, parent: DirectoryEntry | None, entries: Iterable[DirectoryEntry]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "parent": directory_entry(parent) if parent else None,
        "entries": [
            {
                "kind": e.kind.value,
                "code": e.code,
                "name": e.name,
                "parent": e.parent.code if e.parent else None,
            }
            for e in entries
        ],
    }


def import_result(result: ImportResult) -> dict[str, int]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
