"""Directory operations: put one entry, read, list children, bulk import. Pure logic over a store port."""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, Protocol

from functions.core.domain.directory import (
    ALLOWED_PARENTS,
    KIND_ORDER,
    DirectoryEntry,
    SubjectKind,
    SubjectRef,
    normalise_code,
    parse_kind,
    plan_entry,
)
from functions.core.domain.errors import NotFound, UnknownSubject, ValidationFailed
from functions.core.domain.regions import is_within, region_level

MAX_IMPORT_ROWS = 50_000


class DirectoryStore(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...
    def put(self, entry: DirectoryEntry) -> DirectoryEntry | None: ...
    def put_many(self, entries: Iterable[DirectoryEntry]) -> None: ...
    def children(self, parent: SubjectRef, kind: SubjectKind | None = None) -> Iterator[DirectoryEntry]: ...


class ImportResult(NamedTuple):
    created: int
    updated: int
    unchanged: int


class DirectoryService:
    def __init__(self, store: DirectoryStore, province_code: str) -> None:
        self._store = store
        self._province = province_code

    def put(self, kind_name: str, raw_code: str, body: Any) -> tuple[DirectoryEntry, bool]:
        """Create or replace an entry; answers it and whether it is new."""
        kind = parse_kind(kind_name)
        code = normalise_code(kind, raw_code)
        if not isinstance(body, dict):
            raise ValidationFailed({"body": "a JSON object with name and parent"})
        unknown = set(body) - {"name", "parent"}
        if unknown:
            raise ValidationFailed({name: "unknown field" for name in sorted(unknown)})
        parent = self._resolve_parent(kind, body.get("parent"), {})
        entry = plan_entry(kind, code, body.get("name"), parent, self._province)
        previous = self._store.put(entry)
        if previous is not None and (previous.ancestors != entry.ancestors or previous.name != entry.name):
            self._refresh_descendants(entry)
        return entry, previous is None

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
        existing = self._store.get_many(SubjectRef(kind, code) for _, kind, code, _, _ in rows)
        for line, kind, code, name, parent_code in sorted(rows, key=_parents_first):
            try:
                parent = self._resolve_parent(kind, parent_code or None, planned)
                entry = plan_entry(kind, code, name, parent, self._province)
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
        self._store.put_many(changed)
        moved = [entry for entry in changed if entry.ref in existing]
        for entry in moved:
            self._refresh_descendants(entry, skip=planned)
        created, updated = len(changed) - len(moved), len(moved)
        unchanged = len(planned) - len(changed)
        return ImportResult(created, updated, unchanged)

    def _read_rows(self, text: str) -> Iterator[tuple[int, SubjectKind, str, str, str]]:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != ["kind", "code", "name", "parent"]:
            raise ValidationFailed({"line 1": "the header must be kind,code,name,parent"})
        errors: dict[str, str] = {}
        count = 0
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_IMPORT_ROWS:
                raise ValidationFailed({f"line {line}": f"at most {MAX_IMPORT_ROWS} rows per import"})
            if len(row) != 4:
                errors[f"line {line}"] = "needs 4 columns: kind,code,name,parent"
                continue
            try:
                kind = parse_kind(row[0].strip())
                code = normalise_code(kind, row[1].strip())
            except ValidationFailed as e:
                errors[f"line {line}"] = "; ".join(e.fields.values())
                continue
            yield line, kind, code, row[2].strip(), row[3].strip()
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
        raise UnknownSubject(f"parent {raw_parent} is not in the directory", {"parent": raw_parent})

    def _lookup(self, ref: SubjectRef) -> DirectoryEntry | None:
        return self._store.get_many([ref]).get(ref)

    def _check_in_province(self, ref: SubjectRef, field: str) -> None:
        """A stack serves one province: a region code outside it is unknown here (422), not absent."""
        if ref.kind is SubjectKind.REGION and not is_within(ref.code, self._province):
            raise UnknownSubject(f"region {ref.code} is outside this stack's province", {field: ref.code})

    def _refresh_descendants(
        self, root: DirectoryEntry, skip: Mapping[SubjectRef, DirectoryEntry] | None = None
    ) -> None:
        """Entries store their path; when an entry is renamed or moved, its descendants' paths follow."""
        queue = [root]
        while queue:
            parent = queue.pop()
            for child in list(self._store.children(parent.ref)):
                refreshed = DirectoryEntry(child.kind, child.code, child.name, parent.ref, parent.path)
                if skip and child.ref in skip and skip[child.ref] == refreshed:
                    continue
                if refreshed != child:
                    self._store.put(refreshed)
                queue.append(refreshed)


def _parents_first(row: tuple[int, SubjectKind, str, str, str]) -> tuple[int, int, int]:
    line, kind, code, _, _ = row
    level = int(region_level(code)) if kind is SubjectKind.REGION else 0
    return (KIND_ORDER.index(kind), level, line)
