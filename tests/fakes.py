"""In-memory fakes of the domain's ports, for unit tests that need no AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.directory_service import DirectoryService
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
