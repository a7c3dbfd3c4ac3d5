"""Profiles (画像) of a window or a staff member, for people in scope: the tags raters ticked, the index
month by month over the last twelve months, and the rank among the peers of the same department (the
windows of the department; the staff of the department, whether under one of its windows or directly
under it). Read from the counters: one query per month (in parallel) and one per peer."""

from __future__ import annotations

from datetime import date
from typing import Any

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.province import ProvinceConfig

PROFILE_KINDS = (SubjectKind.WINDOW, SubjectKind.STAFF)
TREND_MONTHS = 12


def parse_profile_kind(raw: str) -> SubjectKind:
    if raw not in {k.value for k in PROFILE_KINDS}:
        raise ValidationFailed({"kind": "window or staff"})
    return SubjectKind(raw)


def last_months(today: date, count: int = TREND_MONTHS) -> list[date]:
    """The first days of the `count` months up to and including today's, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


class Profiles:
    def __init__(self, figures: Any, directory: Any, province: ProvinceConfig) -> None:
        self._figures = figures
        self._directory = directory  # CachedDirectory
        self._province = province

    def profile(self, entry: DirectoryEntry, today: date) -> dict[str, Any]:
        from functions.index.figures import Period, figures_view, rank

        rule = self._province.index
        all_time = Period(None, None)
        own = figures_view(
            entry.kind.value, entry.code, all_time, self._figures.counts(entry.ref.key, all_time), rule
        )
        trend = []
        for first in last_months(today):
            last = _month_last_day(first)
            month = Period(first, last)
            view = figures_view(
                entry.kind.value, entry.code, month, self._figures.counts(entry.ref.key, month), rule
            )
            trend.append({"month": first.isoformat()[:7], "valid": view["valid"], "index": view["index"]})

        department = entry.nearest(SubjectKind.DEPARTMENT)
        peers = self._peers(entry, department)
        counts = self._figures.counts_many([p.ref.key for p in peers], all_time)
        rows = [
            {**figures_view(p.kind.value, p.code, all_time, counts.get(p.ref.key, {}), rule), "name": p.name}
            for p in peers
        ]
        ranked = rank(rows, "index", rule.min_ratings_to_rank)
        mine = next((r for r in ranked if r["code"] == entry.code), None)
        return {
            "kind": entry.kind.value,
            "code": entry.code,
            "name": entry.name,
            "department": self._named(department) if department else None,
            "valid": own["valid"],
            "index": own["index"],
            "good_rate": own["good_rate"],
            "bad_rate": own["bad_rate"],
            "tags": [
                {"tag": tag, "count": n, "polarity": "good" if tag in self._province.tags.good else "bad"}
                for tag, n in sorted(own["tags"].items(), key=lambda tn: (-tn[1], tn[0]))
            ],
            "trend": trend,
            "rank": mine["rank"] if mine else None,
            "peers": len(peers),
            "ranked_peers": sum(1 for r in ranked if r["rank"] is not None),
            "min_ratings_to_rank": rule.min_ratings_to_rank,
        }

    def _named(self, ref: SubjectRef) -> dict[str, str]:
        """A path step as shown: paths hold codes, names are looked up (a rename shows at once)."""
        found = self._directory.get_many([ref]).get(ref)
        return {"kind": ref.kind.value, "code": ref.code, "name": found.name if found else ""}

    def _peers(self, entry: DirectoryEntry, department: SubjectRef | None) -> list[DirectoryEntry]:
        if department is None:
            return [entry]
        if entry.kind is SubjectKind.WINDOW:
            peers = list(self._directory.children(department, SubjectKind.WINDOW))
        else:
            peers = list(self._directory.children(department, SubjectKind.STAFF))
            for window in self._directory.children(department, SubjectKind.WINDOW):
                peers.extend(self._directory.children(window.ref, SubjectKind.STAFF))
        if all(p.code != entry.code for p in peers):
            peers.append(entry)
        return sorted(peers, key=lambda p: p.code)


def _month_last_day(first: date) -> date:
    import calendar

    return first.replace(day=calendar.monthrange(first.year, first.month)[1])
