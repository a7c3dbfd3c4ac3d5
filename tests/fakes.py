"""In-memory fakes of the domain's ports, for unit tests that need no AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.directory_service import DirectoryService
from functions.core.domain.errors import CaseAlreadyRated, Conflict
from functions.core.domain.personal import mask_mobile
from functions.core.domain.ratings import ProtectedRater, RaterInput, Rating
from functions.core.storage.ratings import Accepted
from infra.provinces import GUIZHOU, demo_directory_csv


class MemoryDirectory:
    def __init__(self) -> None:
        self.entries: dict[SubjectRef, DirectoryEntry] = {}
        self.writes = 0

    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]:
        return {ref: self.entries[ref] for ref in refs if ref in self.entries}

    def put(self, entry: DirectoryEntry) -> DirectoryEntry | None:
        self.writes += 1
        previous = self.entries.get(entry.ref)
        self.entries[entry.ref] = entry
        return previous

    def put_many(self, entries: Iterable[DirectoryEntry]) -> None:
        for entry in entries:
            self.put(entry)

    def children(self, parent: SubjectRef, kind: SubjectKind | None = None) -> Iterator[DirectoryEntry]:
        for entry in list(self.entries.values()):
            if entry.parent == parent and (kind is None or entry.kind is kind):
                yield entry


def demo_directory() -> MemoryDirectory:
    store = MemoryDirectory()
    DirectoryService(store, GUIZHOU.code).import_csv(demo_directory_csv("guizhou"))
    return store


class MemoryRatings:
    """The ratings store's contract in memory: one stored rating per id; the same id again answers the
    stored rating if the body was the same, else a conflict; a case is rated once."""

    def __init__(self) -> None:
        self.ratings: dict[str, Rating] = {}
        self.cases: dict[str, str] = {}

    def accept(self, rating: Rating) -> Accepted:
        previous = self.ratings.get(rating.rating_id)
        if previous is not None:
            if previous.fingerprint != rating.fingerprint:
                raise Conflict(f"rating_id {rating.rating_id} was used before with another body")
            return Accepted(previous, created=False)
        if rating.case_no is not None:
            if rating.case_no in self.cases:
                raise CaseAlreadyRated(f"case {rating.case_no} has been rated already")
            self.cases[rating.case_no] = rating.rating_id
        self.ratings[rating.rating_id] = rating
        return Accepted(rating, created=True)

    def get(self, rating_id: str) -> Rating | None:
        return self.ratings.get(rating_id)


class PlainProtector:
    """Marks a rater as protected without cryptography: enough for the service's rules."""

    def protect(self, rater: RaterInput) -> ProtectedRater | None:
        if rater.phone is None:
            return None
        return ProtectedRater(
            kind=rater.kind, phone_masked=mask_mobile(rater.phone), phone_hash="h", sealed=b"s"
        )
