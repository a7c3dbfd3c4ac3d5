"""Every answer body of the rate function, shaped here and nowhere else (API.md and the OpenAPI
document describe these). Directory entries are shown by the directory service, which looks up their
ancestors' current names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from functions.core.domain.directory import DirectoryEntry
from functions.core.domain.directory_service import ImportResult
from functions.core.domain.personal import mask_free_text
from functions.core.domain.ratings import Rating


def accepted(rating: Rating) -> dict[str, Any]:
    return {"rating_id": rating.rating_id, "good": rating.good, "ticket_id": rating.ticket_id}


def rating(rating: Rating, *, audit: bool = False) -> dict[str, Any]:
    """A rating as people see it: the phone masked, the name and ID number never, personal data in the
    comment masked. `audit` (admins, reviewers) adds which channel key sent it."""
    view = {
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
        # "default" (系统默认评价, made by the stack), "follow_up" (追评) or "rating".
        "kind": rating.kind,
        "replaced_by": rating.replaced_by,
        "sub_scores": dict(rating.sub_scores),
        "tags": list(rating.tags),
        "comment": mask_free_text(rating.comment) if rating.comment else None,
        "rater": (
            {"kind": rating.rater.kind, "named": True, "phone": rating.rater.phone_masked}
            if rating.rater
            else {"kind": rating.rater_kind, "named": False, "phone": None}
        ),
        "rated_at": rating.rated_at.isoformat(),
        "received_at": rating.received_at.isoformat(),
        "ticket_id": rating.ticket_id,
        # The ticket's state as the tickets function records it; null until the ticket exists.
        "ticket": dict(rating.ticket) if rating.ticket is not None else None,
    }
    if audit:
        view["channel_key"] = rating.channel_key
    return view


def moved_entry(shown: Mapping[str, Any], job_id: str) -> dict[str, Any]:
    """A moved entry, with the job that moves its descendants."""
    return {**shown, "job_id": job_id}


def directory_listing(
    kind: str, shown_parent: Mapping[str, Any] | None, entries: Iterable[DirectoryEntry]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "parent": dict(shown_parent) if shown_parent else None,
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


def import_result(result: ImportResult) -> dict[str, Any]:
    return result.as_dict()
