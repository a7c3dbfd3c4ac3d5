"""Accepting and reading ratings, over ports (no boto3 here): the one path every channel's rating takes
(the rate function's POST /v1/ratings, the SMS function's replies), and the reading people do."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.core.domain.directory import DirectoryEntry, SubjectRef, required_refs, resolve_subjects
from functions.core.domain.errors import CaseAlreadyRated, NotFound
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.ratings import (
    DueCase,
    ProtectedRater,
    RaterInput,
    Rating,
    build_default_rating,
    build_rating,
    parse_rating_request,
)
from functions.core.domain.scopes import Viewer, require_may_see


class DirectoryReader(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...


class AcceptedRating(Protocol):
    rating: Rating
    created: bool


class RatingStore(Protocol):
    def accept(self, rating: Rating) -> AcceptedRating: ...
    def get(self, rating_id: str) -> Rating | None: ...


class DueCases(Protocol):
    def due_for_default(self, now: datetime) -> Iterable[DueCase]: ...
    def clear_default_due(self, case_no: str) -> None: ...


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
            raise NotFound("no such rating in your scope")
        require_may_see(caller, rating.paths, "rating")
        return rating


@dataclass
class DefaultRatings:
    """The default ratings (系统默认评价) of completed cases left unrated through their rating period:
    the schedule's work. Each is made once, whatever happens around it: its id is the case's, and it
    claims the case in the same write as any rating (so a second run replays it, and a rating that
    arrives first wins: the default is then not made)."""

    cases: DueCases
    store: RatingStore
    province: ProvinceConfig
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(self) -> dict[str, int]:
        now = self.clock()
        made = replayed = rated = 0
        for case in self.cases.due_for_default(now):
            if case.rated:
                self.cases.clear_default_due(case.case_no)
                rated += 1
                continue
            try:
                accepted = self.store.accept(build_default_rating(case, self.province, now))
            except CaseAlreadyRated:
                self.cases.clear_default_due(case.case_no)
                rated += 1
                continue
            if accepted.created:
                made += 1
            else:
                replayed += 1
        return {"made": made, "replayed": replayed, "rated_meanwhile": rated}
