"""Moving a subtree of the directory: a bounded, resumable background job.

Every entry stores its path up to the province (as codes), so moving an entry with descendants means
rewriting each descendant's path: thousands of writes for a county of Guizhou, more than a request may
take. The request moves the entry itself, records a job and answers 202; a queue consumer then rewrites
the subtree chunk by chunk, saving a cursor after each chunk, so that a crash, a timeout or a duplicate
delivery resumes where the last saved chunk ended. Rewriting an entry's path is idempotent, so a chunk
done twice changes nothing.

The cursor is a depth-first stack of frames: "the children of `parent`, whose path is `path`, after
`after`". A frame's children get `path` as their ancestors; each child that can have children pushes its
own frame. The stack holds at most (depth × page size) frames, whatever the subtree's size.

Ratings keep being accepted while a job runs: each counts under the paths its subjects have when it is
made. One move runs at a time per directory (the job store refuses a second while one runs), so two jobs
never rewrite the same paths."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from functions.core.domain.directory import CONTAINER_KINDS, DirectoryEntry, SubjectRef

# A job's id as the service makes them (a UUID); anything else is refused before a lookup.
JOB_ID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")

# Children read and rewritten per query: one DynamoDB batch write.
PAGE_SIZE = 25
# Entries rewritten per chunk (one queue message) at most; the consumer also stops early when its
# invocation is about to run out of time.
CHUNK_SIZE = 1000


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"


class Frame(NamedTuple):
    parent: SubjectRef
    path: tuple[SubjectRef, ...]  # the parent's path: its children's ancestors
    after: SubjectRef | None = None  # the last child done, or None for the first page


class DirectoryJob(NamedTuple):
    job_id: str
    roots: tuple[SubjectRef, ...]  # the entries moved
    stack: tuple[Frame, ...]
    status: JobStatus
    processed: int  # descendants visited so far
    version: int  # bumped by every save; a save expects the version it read
    created_at: str
    updated_at: str
    finished_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "kind": "directory-move",
            "status": self.status.value,
            "roots": [{"kind": r.kind.value, "code": r.code} for r in self.roots],
            "processed": self.processed,
            "pending_frames": len(self.stack),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
        }


class SubtreeStore(Protocol):
    def children_page(
        self, parent: SubjectRef, after: SubjectRef | None, limit: int
    ) -> tuple[list[DirectoryEntry], bool]:
        """Up to `limit` children of `parent` in key order after `after`, and whether more may follow."""
        ...

    def put_many(self, entries: Iterable[DirectoryEntry]) -> None: ...


class JobStore(Protocol):
    def start(self, job: DirectoryJob) -> None:
        """Record a new job; raises Conflict while another directory job runs."""
        ...

    def get(self, job_id: str) -> DirectoryJob | None: ...

    def running(self) -> DirectoryJob | None:
        """The directory job that holds the directory, if one does."""
        ...

    def save(self, job: DirectoryJob, expected_version: int) -> bool:
        """Store the job if its stored version is still `expected_version`; False if another worker
        saved first. A job saved as done frees the directory for the next move."""
        ...


class JobQueue(Protocol):
    def send(self, job_id: str) -> None: ...


def new_job(job_id: str, moved: Iterable[DirectoryEntry], now: str) -> DirectoryJob:
    roots = tuple(moved)
    return DirectoryJob(
        job_id=job_id,
        roots=tuple(entry.ref for entry in roots),
        stack=tuple(Frame(entry.ref, entry.path) for entry in roots),
        status=JobStatus.RUNNING,
        processed=0,
        version=0,
        created_at=now,
        updated_at=now,
    )


def advance(
    job: DirectoryJob,
    store: SubtreeStore,
    now: str,
    budget: int = CHUNK_SIZE,
    out_of_time: Callable[[], bool] = lambda: False,
) -> DirectoryJob:
    """One chunk: rewrite the paths of up to about `budget` descendants, depth first from the cursor."""
    stack = list(job.stack)
    processed = job.processed
    while stack and budget > 0 and not out_of_time():
        frame = stack.pop()
        children, more = store.children_page(frame.parent, frame.after, min(PAGE_SIZE, budget))
        refreshed = [c._replace(parent=frame.parent, ancestors=frame.path) for c in children]
        store.put_many(new for new, old in zip(refreshed, children, strict=True) if new != old)
        processed += len(children)
        budget -= len(children)
        if more and children:
            stack.append(frame._replace(after=children[-1].ref))
        # Pushed in reverse so the first child's subtree is done first (key order, as listed).
        stack.extend(
            Frame(entry.ref, entry.path) for entry in reversed(refreshed) if entry.kind in CONTAINER_KINDS
        )
    finished = not stack
    return job._replace(
        stack=tuple(stack),
        processed=processed,
        status=JobStatus.DONE if finished else JobStatus.RUNNING,
        version=job.version + 1,
        updated_at=now,
        finished_at=now if finished else None,
    )


def run_chunk(
    job_id: str,
    jobs: JobStore,
    store: SubtreeStore,
    queue: JobQueue,
    now: Callable[[], str],
    budget: int = CHUNK_SIZE,
    out_of_time: Callable[[], bool] = lambda: False,
) -> DirectoryJob | None:
    """What the queue consumer does with one message: advance the job by a chunk, save the cursor, and
    queue the next chunk. A message for a finished job, or one that lost the race to save, does nothing
    more (another worker's message carries the job on)."""
    job = jobs.get(job_id)
    if job is None or job.status is JobStatus.DONE:
        return job
    advanced = advance(job, store, now(), budget, out_of_time)
    if not jobs.save(advanced, expected_version=job.version):
        return None
    if advanced.status is JobStatus.RUNNING:
        queue.send(job_id)
    return advanced


def stack_to_json(stack: Iterable[Frame]) -> str:
    return json.dumps(
        [[f.parent.key, [r.key for r in f.path], f.after.key if f.after else None] for f in stack],
        separators=(",", ":"),
    )


def stack_from_json(text: str) -> tuple[Frame, ...]:
    return tuple(
        Frame(
            SubjectRef.from_key(parent),
            tuple(SubjectRef.from_key(k) for k in path),
            SubjectRef.from_key(after) if after else None,
        )
        for parent, path, after in json.loads(text)
    )
