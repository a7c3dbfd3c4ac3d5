"""In-memory fakes of the domain's ports, for unit tests that need no AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.directory_jobs import DirectoryJob, JobStatus, run_chunk
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

    def children_page(
        self, parent: SubjectRef, after: SubjectRef | None, limit: int
    ) -> tuple[list[DirectoryEntry], bool]:
        keyed = sorted((e.ref.key, e) for e in self.entries.values() if e.parent == parent)
        rest = [e for key, e in keyed if after is None or key > after.key]
        return rest[:limit], len(rest) >= limit


class MemoryJobs:
    """The job store port: one running job at a time, saves conditional on the version."""

    def __init__(self) -> None:
        self.jobs: dict[str, DirectoryJob] = {}

    def start(self, job: DirectoryJob) -> None:
        if any(j.status is JobStatus.RUNNING for j in self.jobs.values()):
            raise Conflict("another directory move is still running")
        self.jobs[job.job_id] = job

    def get(self, job_id: str) -> DirectoryJob | None:
        return self.jobs.get(job_id)

    def running(self) -> DirectoryJob | None:
        return next((j for j in self.jobs.values() if j.status is JobStatus.RUNNING), None)

    def save(self, job: DirectoryJob, expected_version: int) -> bool:
        if self.jobs[job.job_id].version != expected_version:
            return False
        self.jobs[job.job_id] = job
        return True


class MemoryQueue:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, job_id: str) -> None:
        self.sent.append(job_id)


class MemoryDirectoryService(DirectoryService):
    """The directory service over in-memory ports, with a way to run queued jobs to their end."""

    def __init__(self, store: MemoryDirectory | None = None, budget: int = 1000) -> None:
        self.store = store if store is not None else MemoryDirectory()
        self.jobs = MemoryJobs()
        self.queue = MemoryQueue()
        self.budget = budget
        super().__init__(self.store, GUIZHOU.code, self.jobs, self.queue)

    def run_jobs(self) -> int:
        """Deliver queued messages until none is left, as the queue consumer would; answers how many."""
        delivered = 0
        while self.queue.sent:
            job_id = self.queue.sent.pop(0)
            run_chunk(job_id, self.jobs, self.store, self.queue, now=lambda: "now", budget=self.budget)
            delivered += 1
        return delivered


def demo_directory() -> MemoryDirectory:
    store = MemoryDirectory()
    MemoryDirectoryService(store).import_csv(demo_directory_csv("guizhou"))
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
