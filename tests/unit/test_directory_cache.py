"""The directory cache: entries are reused until their time is up, then read again, by its own clock."""

from __future__ import annotations

from functions.core.domain.directory import SubjectKind, SubjectRef
from functions.core.storage.directory import CachedDirectory
from tests.fakes import demo_directory

WINDOW = SubjectRef(SubjectKind.WINDOW, "W5201020101")
DEPARTMENT = SubjectRef(SubjectKind.DEPARTMENT, "D52010201")


class CountingStore:
    """The demo directory, counting the reads that reach it."""

    def __init__(self) -> None:
        self.directory = demo_directory()
        self.reads: list[list[SubjectRef]] = []

    def get_many(self, refs):
        refs = list(refs)
        self.reads.append(refs)
        return self.directory.get_many(refs)

    def put(self, entry):
        return self.directory.put(entry)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_read_once_until_its_time_is_up_then_read_again():
    # Given a cache of 300 s over a store that counts its reads
    store, clock = CountingStore(), Clock()
    cache = CachedDirectory(store, 300, clock=clock)

    # When the same entry is asked for now, just before it expires, and just after
    first = cache.get_many([WINDOW])
    clock.now += 299.9
    second = cache.get_many([WINDOW])
    clock.now += 0.2
    third = cache.get_many([WINDOW])

    # Then the store was read at the start and after expiry only, and every answer is the entry
    assert store.reads == [[WINDOW], [WINDOW]]
    assert first == second == third and WINDOW in first


def test_only_the_expired_or_unknown_entries_are_read_again():
    store, clock = CountingStore(), Clock()
    cache = CachedDirectory(store, 300, clock=clock)
    cache.get_many([WINDOW])
    clock.now += 200
    cache.get_many([DEPARTMENT])  # cached from t+200 until t+500

    clock.now += 150  # the window expired (t+300), the department has not
    cache.get_many([WINDOW, DEPARTMENT])

    assert store.reads[-1] == [WINDOW]


def test_an_unknown_entry_is_not_remembered_as_absent():
    # A code added to the directory by another process must be found on the next request.
    store, clock = CountingStore(), Clock()
    cache = CachedDirectory(store, 300, clock=clock)
    unknown = SubjectRef(SubjectKind.WINDOW, "W-NEW")

    assert cache.get_many([unknown]) == {}
    assert cache.get_many([unknown]) == {}
    assert store.reads == [[unknown], [unknown]]


def test_a_write_through_the_cache_is_seen_at_once():
    store, clock = CountingStore(), Clock()
    cache = CachedDirectory(store, 300, clock=clock)
    entry = cache.get_many([WINDOW])[WINDOW]._replace(name="新名字")

    cache.put(entry)

    assert cache.get_many([WINDOW])[WINDOW].name == "新名字"
    assert len(store.reads) == 1
