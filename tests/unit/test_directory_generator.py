"""The generated directory of Guizhou's size: deterministic, parents first, real codes to the counties."""

from __future__ import annotations

from collections import Counter

from infra.provinces.directory_generator import GUIZHOU_FULL, chunks, real_regions, rows, spread

SMALL = GUIZHOU_FULL.scaled(0.01)


def test_the_real_regions_are_guizhou_its_9_cities_and_88_counties() -> None:
    regions = real_regions()
    assert regions[0].code == "520000000000" and regions[0].name == "贵州省"
    assert len(regions) == 98
    assert {r.code for r in regions if r.parent == "520000000000"} >= {"520100000000", "522700000000"}
    assert sum(r.parent == "520000000000" for r in regions) == 9


def test_the_full_size_is_guizhous() -> None:
    assert (GUIZHOU_FULL.departments, GUIZHOU_FULL.items, GUIZHOU_FULL.staff) == (4_499, 492_000, 87_369)
    assert sum(spread(492_000, [1] * 4_499)) == 492_000
    assert sum(spread(4_499, [49, 50, 45, 45])) == 4_499


def test_rows_come_parents_first_with_the_sizes_asked_and_codes_that_nest() -> None:
    seen: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for row in rows(SMALL):
        if row.parent:
            assert row.parent in seen, row
        if row.kind == "region" and row.parent:
            assert row.code.rstrip("0").startswith(row.parent.rstrip("0")), row
        assert row.code not in seen
        seen[row.code] = row.kind
        counts[row.kind] += 1
    assert counts["department"] == SMALL.departments
    assert counts["item"] == SMALL.items
    assert counts["window"] == SMALL.windows
    assert counts["staff"] == SMALL.staff


def test_the_same_size_gives_the_same_files() -> None:
    first = list(chunks(rows(SMALL), 1_000))
    assert first == list(chunks(rows(SMALL), 1_000))
    assert all(chunk.startswith("kind,code,name,parent\n") for chunk in first)
    assert sum(chunk.count("\n") - 1 for chunk in first) == sum(1 for _ in rows(SMALL))
