"""The public disclosure (公示): the province's, each city's and each provincial department's figures
over a period, and the hot words of good and bad ratings of the province and its cities.

Read from the counters only (never the ratings): one counter query per subject and family and period
part (a period that is whole months, or all time, is one query each; see figures.key_ranges), run in
parallel, plus two directory queries for the cities and the provincial departments. The answer holds
no personal data by construction: counts, names of regions and departments, and words that were
cleaned before they were counted (hotwords.py). Answers are kept in this process for `CACHE_SECONDS`
and marked cacheable for as long, so a busy page costs the same as a quiet one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.province import ProvinceConfig
from functions.index.hotwords import Polarity, top_words

CACHE_SECONDS = 60
PUBLIC_WORDS = 20
CITY_WORDS = 10
HOT_WORDS_FAMILY = "hw"
ROW_FIELDS = (
    "valid",
    "counts",
    "good",
    "bad",
    "index",
    "good_rate",
    "bad_rate",
    "rectification_rate",
    "on_time_rate",
)


class PublicSummary:
    def __init__(
        self,
        figures: Any,  # functions.index.figures.FigureReader
        directory: Any,  # functions.core.storage.directory.CachedDirectory
        province: ProvinceConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.figures = self._figures = figures
        self._directory = directory
        self._province = province
        self._clock = clock
        self._cache: dict[tuple[str | None, str | None], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def summary(self, period: Any) -> dict[str, Any]:
        key = period.as_strings
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] > now:
                return cached[1]
        answer = self._compute(period)
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}  # keep it small
            self._cache[key] = (now + CACHE_SECONDS, answer)
        return answer

    def _compute(self, period: Any) -> dict[str, Any]:
        from functions.index.figures import figures_view, rank

        province_ref = SubjectRef(SubjectKind.REGION, self._province.code)
        cities = sorted(self._directory.children(province_ref, SubjectKind.REGION), key=lambda e: e.code)
        departments = sorted(
            self._directory.children(province_ref, SubjectKind.DEPARTMENT), key=lambda e: e.code
        )
        subjects = [province_ref.key, *(e.ref.key for e in cities), *(e.ref.key for e in departments)]
        counts = self._figures.counts_many(subjects, period)
        words = self._figures.counts_many(
            [province_ref.key, *(e.ref.key for e in cities)], period, HOT_WORDS_FAMILY
        )
        rule = self._province.index
        minimum = rule.min_ratings_to_rank

        def row(entry_kind: str, code: str, name: str) -> dict[str, Any]:
            view = figures_view(entry_kind, code, period, counts.get(f"{entry_kind}#{code}", {}), rule)
            return {"kind": entry_kind, "code": code, "name": name, **{f: view[f] for f in ROW_FIELDS}}

        def ranked(entries: list[DirectoryEntry]) -> list[dict[str, Any]]:
            rows = [row(e.kind.value, e.code, e.name) for e in entries]
            return [{**r, "ranked": r["rank"] is not None} for r in rank(rows, "index", minimum)]

        start, end = period.as_strings
        return {
            "province": {"code": self._province.code, "name": self._province.name},
            "from": start,
            "to": end,
            "generated_at": datetime.now(ZoneInfo(self._province.timezone)).isoformat(timespec="seconds"),
            "min_ratings_to_rank": minimum,
            "rows": {
                "province": row(SubjectKind.REGION.value, self._province.code, self._province.name),
                "cities": ranked(cities),
                "departments": ranked(departments),
            },
            "hot_words": {
                "province": _words(words.get(province_ref.key, {}), PUBLIC_WORDS),
                "cities": {e.code: _words(words.get(e.ref.key, {}), CITY_WORDS) for e in cities},
            },
        }


def _words(fields: dict[str, int], limit: int) -> dict[str, list[dict[str, Any]]]:
    return {polarity.value: top_words(fields, polarity, limit) for polarity in Polarity}
