"""Accepting and reading ratings: the rate function's domain logic, over ports (no boto3 here)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.core.domain.directory import DirectoryEntry, SubjectRef, required_refs, resolve_subjects
from functions.core.domain.errors import Forbidden, NotFound
from functions.core.domain.personal import mask_free_text
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.ratings import (
    ProtectedRater,
    RaterInput,
    Rating,
    build_rating,
    parse_rating_request,
)
from functions.core.domain.scopes import Viewer, may_see


class DirectoryReader(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...


class AcceptedRating(Protocol):
    rating: Rating
    created: bool


class RatingStore(Protocol):
    def accept(self, rating: Rating) -> AcceptedRating: ...
    def get(self, rating_id: str) -> Rating | None: ...


class Protector(Protocol):
    def protect(self, rater: RaterInput) -> ProtectedRater | None: ...


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_rating_id(now: datetime | None = None) -> str:
    """A ULID (time-ordered, 128 bits) prefixed with r: ids sort by time in listings and exports."""
    millis = int((now or datetime.now(UTC)).timestamp() * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "r" + "".join(reversed(chars))


@dataclass
class RatingService:
    directory: DirectoryReader
    store: RatingStore
    protector: Protector
    province: ProvinceConfig
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def accept(self, body: Any, channel_key: str | None = None) -> AcceptedRating:
        """`channel_key` is the label of the key that sent it, recorded on the rating for audits."""
        now = self.clock()
        request = parse_rating_request(body, self.province, now)
        entries = self.directory.get_many(required_refs(request.subjects))
        resolved = resolve_subjects(request.subjects, entries)
        rater = self.protector.protect(request.rater) if request.rater else None
        rating = build_rating(
            request,
            resolved,
            rating_id=request.rating_id or new_rating_id(now),
            rater=rater,
            province=self.province,
            now=now,
            channel_key=channel_key,
        )
        return self.store.accept(rating)

    def get(self, rating_id: str, caller: Viewer) -> Rating:
        rating = self.store.get(rating_id)
        if rating is None:
            raise NotFound("no such rating")
        if not may_see(caller, rating.paths):
            raise Forbidden("this rating is outside your scope")
        return rating


def accepted_answer(rating: Rating) -> dict[str, Any]:
    return {"rating_id": rating.rating_id, "good": rating.good, "ticket_id": rating.ticket_id}


def rating_view(rating: Rating, *, audit: bool = False) -> dict[str, Any]:
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
