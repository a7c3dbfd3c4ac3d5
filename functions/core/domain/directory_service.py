"""Directory operations: put one entry, read, list children, bulk import, and moves of subtrees as
background jobs. Pure logic over store ports."""

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from functions.core.domain.directory import (
    ALLOWED_PARENTS,
    CONTAINER_KINDS,
    KIND_ORDER,
    DirectoryEntry,
    SubjectKind,
    SubjectRef,
    normalise_code,
    parse_kind,
    plan_entry,
)
from functions.core.domain.directory_jobs import JOB_ID, DirectoryJob, JobQueue, JobStatus, JobStore, new_job
from functions.core.domain.errors import Conflict, NotFound, UnknownSubject, ValidationFailed
from functions.core.domain.regions import is_within, region_level

MAX_IMPORT_ROWS = 50_000


class DirectoryStore(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...
    def put(self, entry: DirectoryEntry) -> DirectoryEntry | None: ...
    def put_many(self, entries: Iterable[DirectoryEntry]) -> None: ...
    def children(self, parent: SubjectRef, kind: SubjectKind | None = None) -> Iterator[DirectoryEntry]: ...
    def children_page(
        self, parent: SubjectRef, after: SubjectRef | None, limit: int
    ) -> tuple[list[DirectoryEntry], bool]: ...


class ImportResult(NamedTuple):
    created: int
    updated: int
    unchanged: int
    job_id: str | None = None  # set when the import moved entries with descendants

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "job_id": self.job_id,
        }


class PutOutcome(NamedTuple):
    entry: DirectoryEntry
    created: bool
    job: DirectoryJob | None  # the background job that moves the entry's descendants, if it has any


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DirectoryService:
    @property
    def _jobs(self) -> JobStore:
        if self._jobs_store is None:
            raise RuntimeError("this function reads the directory only: it was given no job store")
        return self._jobs_store

    @property
    def _queue(self) -> JobQueue:
        if self._job_queue is None:
            raise RuntimeError("this function reads the directory only: it was given no job queue")
        return self._job_queue

    def __init__(
        self,
        store: DirectoryStore,
        province_code: str,
        jobs: JobStore | None = None,
        queue: JobQueue | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        now: Callable[[], str] = _now,
    ) -> None:
        """A function that only reads the directory (the index function) gives no jobs and no queue;
        moving entries then fails loudly instead of half-moving a subtree."""
        self._store = store
        self._province = province_code
        self._jobs_store = jobs
        self._job_queue = queue
        self._new_id = new_id
        self._now = now

    def put(self, kind_name: str, raw_code: str, body: Any) -> PutOutcome:
        """Create, rename or move an entry. A rename touches this entry alone (paths hold codes); a move
        of an entry with descendants moves the entry at once and leaves its descendants' paths to a
        background job, named in the outcome."""
        kind = parse_kind(kind_name)
        code = normalise_code(kind, raw_code)
        if not isinstance(body, dict):
            raise ValidationFailed({"body": "a JSON object with name and parent"})
        unknown = set(body) - {"name", "parent", "national_code"}
        if unknown:
            # Counted, not named: a key may be anything a client sent.
            raise ValidationFailed(
                {"body": f"{len(unknown)} unknown field(s); the fields are name, parent, national_code"}
            )
        parent = self._resolve_parent(kind, body.get("parent"), {})
        entry = plan_entry(kind, code, body.get("name"), parent, self._province, body.get("national_code"))
        previous = self._lookup(entry.ref)
        job = None
        if previous is not None and previous.ancestors != entry.ancestors and self._has_children(entry):
            job = self._start_job([entry])
        with self._abandoned_unless_written(job):
            self._store.put(entry)
        if job is not None:
            self._queued(job)
        return PutOutcome(entry, previous is None, job)

    def show(self, entry: DirectoryEntry) -> dict[str, Any]:
        """The entry as answered, its path named with the ancestors' current names."""
        names = {ref: found.name for ref, found in self._store.get_many(entry.ancestors).items()}
        return entry.as_dict(names)

    def _queued(self, job: DirectoryJob) -> None:
        assert self._queue is not None  # a job exists only where a queue does (_start_job)
        self._queue.send(job.job_id)

    def job(self, job_id: str) -> DirectoryJob:
        if not JOB_ID.fullmatch(job_id):
            raise ValidationFailed({"job_id": "a job id as a move answered it (a UUID)"})
        job = self._jobs.get(job_id) if self._jobs is not None else None
        if job is None:
            raise NotFound(f"no directory job {job_id}")
        return job

    def _has_children(self, entry: DirectoryEntry) -> bool:
        return entry.kind in CONTAINER_KINDS and bool(self._store.children_page(entry.ref, None, 1)[0])

    def _start_job(self, moved: list[DirectoryEntry]) -> DirectoryJob:
        """Record the job that will move `moved`'s descendants. While another runs, the move is refused,
        and the running job is queued again: a job whose message was lost (its queueing failed, or the
        message went to a dead-letter queue) resumes from its cursor instead of holding the directory
        forever. A duplicate message only repeats a chunk: saves are conditional on the version."""
        if self._jobs is None or self._queue is None:
            raise RuntimeError("this function reads the directory; moves go through the rate function")
        running = self._jobs.running()
        if running is not None:
            self._queue.send(running.job_id)
            raise Conflict(
                f"another directory move is still running (job {running.job_id}); try again when it is done"
            )
        job = new_job(self._new_id(), moved, self._now())
        self._jobs.start(job)
        return job

    @contextmanager
    def _abandoned_unless_written(self, job: DirectoryJob | None) -> Iterator[None]:
        """If the moved entries cannot be written, their job must not run (it would give descendants a
        path their ancestor does not have): it is ended at once, freeing the directory."""
        try:
            yield
        except Exception:
            if job is not None and self._jobs is not None:
                now = self._now()
                ended = job._replace(
                    stack=(), status=JobStatus.DONE, version=job.version + 1, updated_at=now, finished_at=now
                )
                self._jobs.save(ended, expected_version=job.version)
            raise

    def get(self, kind_name: str, raw_code: str) -> DirectoryEntry:
        kind = parse_kind(kind_name)
        ref = SubjectRef(kind, normalise_code(kind, raw_code))
        self._check_in_province(ref, "region")
        entry = self._lookup(ref)
        if entry is None:
            raise NotFound(f"no {kind.value} {ref.code} in the directory")
        return entry

    def children(
        self, kind_name: str, raw_parent: str | None
    ) -> tuple[DirectoryEntry | None, list[DirectoryEntry]]:
        """The entries of a kind directly under `raw_parent`; with no parent, regions list the province."""
        kind = parse_kind(kind_name)
        if raw_parent is None:
            if kind is not SubjectKind.REGION:
                raise ValidationFailed({"parent": f"required to list {kind.value} entries"})
            province = self._lookup(SubjectRef(kind, self._province))
            return None, [province] if province else []
        parent = self._resolve_parent(kind, raw_parent, {})
        assert parent is not None
        return parent, sorted(self._store.children(parent.ref, kind), key=lambda e: e.code)

    def import_csv(self, text: str) -> ImportResult:
        """All rows or none: every row is checked (parents may come from the file itself) before any
        is written, and errors name their line."""
        rows = list(self._read_rows(text))
        planned: dict[SubjectRef, DirectoryEntry] = {}
        errors: dict[str, str] = {}
        existing = self._store.get_many(SubjectRef(kind, code) for _, kind, code, _, _, _ in rows)
        for line, kind, code, name, parent_code, national in sorted(rows, key=_parents_first):
            try:
                parent = self._resolve_parent(kind, parent_code or None, planned)
                entry = plan_entry(kind, code, name, parent, self._province, national)
            except (ValidationFailed, UnknownSubject) as e:
                errors[f"line {line}"] = e.message
                continue
            if entry.ref in planned:
                errors[f"line {line}"] = f"{kind.value} {code} appears twice"
                continue
            planned[entry.ref] = entry
        if errors:
            raise ValidationFailed(errors, f"{len(errors)} of {len(rows)} rows rejected; nothing imported")
        changed = [entry for ref, entry in planned.items() if existing.get(ref) != entry]
        # Entries moved by the file whose descendants must follow; one job from the topmost of them.
        moved = [e for e in changed if e.ref in existing and existing[e.ref].ancestors != e.ancestors]
        moved_refs = {e.ref for e in moved}
        roots = [e for e in moved if not moved_refs.intersection(e.ancestors) and self._has_children(e)]
        job = self._start_job(roots) if roots else None
        with self._abandoned_unless_written(job):
            self._store.put_many(changed)
        if job is not None:
            self._queued(job)
        updated = sum(entry.ref in existing for entry in changed)
        return ImportResult(
            len(changed) - updated, updated, len(planned) - len(changed), job.job_id if job else None
        )

    def _read_rows(self, text: str) -> Iterator[tuple[int, SubjectKind, str, str, str, str]]:
        """Rows of kind,code,name,parent and, where the header names it, national_code."""
        errors: dict[str, str] = {}
        count = 0
        rows = _csv_rows(text)
        header = next(rows, None)
        columns = [h.strip() for h in header[1]] if header is not None else []
        if columns not in (IMPORT_COLUMNS, [*IMPORT_COLUMNS, "national_code"]):
            raise ValidationFailed({"line 1": "the header must be kind,code,name,parent[,national_code]"})
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_IMPORT_ROWS:
                raise ValidationFailed({f"line {line}": f"at most {MAX_IMPORT_ROWS} rows per import"})
            if len(row) != len(columns):
                errors[f"line {line}"] = f"needs {len(columns)} columns: {','.join(columns)}"
                continue
            try:
                kind = parse_kind(row[0].strip())
                code = normalise_code(kind, row[1].strip())
            except ValidationFailed as e:
                errors[f"line {line}"] = "; ".join(e.fields.values())
                continue
            national = row[4].strip() if len(row) > 4 else ""
            yield line, kind, code, row[2].strip(), row[3].strip(), national
        if errors:
            raise ValidationFailed(errors, f"{len(errors)} rows rejected; nothing imported")

    def _resolve_parent(
        self, kind: SubjectKind, raw_parent: Any, planned: Mapping[SubjectRef, DirectoryEntry]
    ) -> DirectoryEntry | None:
        if raw_parent is None:
            return None
        if not isinstance(raw_parent, str):
            raise ValidationFailed({"parent": "a code"})
        candidates: list[SubjectRef] = []
        for parent_kind in ALLOWED_PARENTS[kind]:
            try:
                candidates.append(SubjectRef(parent_kind, normalise_code(parent_kind, raw_parent, "parent")))
            except ValidationFailed:
                continue
        if not candidates:
            raise ValidationFailed(
                {"parent": f"not a valid {' or '.join(k.value for k in ALLOWED_PARENTS[kind])} code"}
            )
        for ref in candidates:
            self._check_in_province(ref, "parent")
        in_file = [planned[ref] for ref in candidates if ref in planned]
        if in_file:
            return in_file[0]
        stored = self._store.get_many(candidates)
        for ref in candidates:
            if ref in stored:
                return stored[ref]
        self._refuse_parent_of_another_kind(kind, raw_parent, planned)
        raise UnknownSubject(f"parent {raw_parent} is not in the directory", {"parent": raw_parent})

    def _refuse_parent_of_another_kind(
        self, kind: SubjectKind, raw_parent: str, planned: Mapping[SubjectRef, DirectoryEntry]
    ) -> None:
        """A parent code that exists, but as a kind that cannot be this kind's parent, is said so."""
        others: list[SubjectRef] = []
        for other in KIND_ORDER:
            if other in ALLOWED_PARENTS[kind]:
                continue
            try:
                ref = SubjectRef(other, normalise_code(other, raw_parent, "parent"))
            except ValidationFailed:
                continue
            if other is not SubjectKind.REGION or is_within(ref.code, self._province):
                others.append(ref)
        found = [ref for ref in others if ref in planned] or list(self._store.get_many(others))
        if found:
            allowed = " or ".join(k.value for k in ALLOWED_PARENTS[kind])
            raise ValidationFailed(
                {
                    "parent": f"{raw_parent} is a {found[0].kind.value}; a {kind.value}'s parent must be a {allowed}"
                }
            )

    def _lookup(self, ref: SubjectRef) -> DirectoryEntry | None:
        return self._store.get_many([ref]).get(ref)

    def _check_in_province(self, ref: SubjectRef, field: str) -> None:
        """A stack serves one province: a region code outside it is unknown here (422), not absent."""
        if ref.kind is SubjectKind.REGION and not is_within(ref.code, self._province):
            raise UnknownSubject(f"region {ref.code} is outside this stack's province", {field: ref.code})


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV text with the line each starts on. Line ends may be CRLF, LF or CR (old Mac
    files): the csv module splits them itself when given the text untranslated. Malformed CSV is a
    400 naming the line where the bad row starts."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ValidationFailed(
                {f"line {start}": _csv_problem(str(e))}, "not valid CSV; nothing imported"
            ) from None
        yield start, row
        start = reader.line_num + 1


def _csv_problem(message: str) -> str:
    if "end of data" in message:
        return "a quoted field starts here and is never closed"
    if "field limit" in message:
        return f"a field is longer than {csv.field_size_limit()} characters"
    return f"not valid CSV ({message})"


IMPORT_COLUMNS = ["kind", "code", "name", "parent"]


def _parents_first(row: tuple[int, SubjectKind, str, str, str, str]) -> tuple[int, int, int]:
    line, kind, code = row[:3]
    level = int(region_level(code)) if kind is SubjectKind.REGION else 0
    return (KIND_ORDER.index(kind), level, line)
