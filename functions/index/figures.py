"""Figures of a subject over a period, read from the counters: which counter items a period needs, and
what the contract's fields are (index, rates) given the summed counts and the province's score table.

Counters are kept per subject in day buckets and month buckets (`d#2026-09-30`, `m#2026-09`). A period
is read as its leading partial month in days, its whole months, and its trailing partial month in days:
at most three Query requests whatever its length, and a whole year is one Query of twelve items.

Other capabilities read figures through `FigureReader.counts` (the summed fields of one subject over a
period, any family) and shape them with `figures_view`."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, Protocol

from functions.core.domain.errors import ValidationFailed
from functions.core.domain.params import EARLIEST_DATE, LATEST_DATE, Problems, parse_date
from functions.core.domain.province import IndexRule
from functions.index.contribution import (
    BAD_LEVELS,
    CASES_COMPLETED,
    CASES_RATED,
    DEFAULTS,
    FINISHED,
    GOOD_LEVELS,
    LEVELS,
    NAMED_BAD,
    NAMED_REPLIED,
    ON_TIME,
    RECTIFIED,
    SUB_SCORE_PREFIX,
    TAG,
    TOTAL,
    VALID_LEVEL,
)

# A day as the contract writes it.
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY = "d#"
MONTH = "m#"
# Nothing can have been rated before 国办发〔2019〕51号; an open period starts there.
EPOCH = EARLIEST_DATE
SLOTS_END = "~"  # sorts after a bucket's slot suffixes (#00 … #63), before the next bucket
END_OF_TIME = LATEST_DATE


def day_bucket(day: str) -> str:
    return DAY + day


def month_bucket(day: str) -> str:
    return MONTH + day[:7]


def buckets_of(day: str, family: str = "") -> tuple[str, ...]:
    """The sort keys one day's counts are added to."""
    prefix = f"{family}|" if family else ""
    return (prefix + day_bucket(day), prefix + month_bucket(day))


class Period(NamedTuple):
    start: date | None  # inclusive; None: since the beginning
    end: date | None  # inclusive; None: up to now

    @property
    def as_strings(self) -> tuple[str | None, str | None]:
        return (
            self.start.isoformat() if self.start else None,
            self.end.isoformat() if self.end else None,
        )


def parse_period(start: str | None, end: str | None) -> Period:
    """`from` and `to` as the contract takes them: inclusive local dates, both optional."""
    problems = Problems()
    parsed = [
        None if text is None else problems.check(parse_date, text, name, EPOCH, END_OF_TIME)
        for name, text in (("from", start), ("to", end))
    ]
    problems.raise_any()
    first, last = parsed
    if first is not None and last is not None and first > last:
        raise ValidationFailed({"from": "must not be after to"})
    return Period(first, last)


class KeyRange(NamedTuple):
    low: str  # inclusive sort keys
    high: str  # a bucket and any slots under it (`hw|m#2026-09#07`, see functions/index/hotwords.py)


def key_ranges(period: Period, family: str = "") -> list[KeyRange]:
    """The fewest sort-key ranges whose items sum to the period: ≤ 3."""
    start = max(period.start or EPOCH, EPOCH)
    end = min(period.end or END_OF_TIME, END_OF_TIME)
    if start > end:
        return []
    prefix = f"{family}|" if family else ""

    def days(first: date, last: date) -> KeyRange:
        return KeyRange(f"{prefix}{DAY}{first.isoformat()}", f"{prefix}{DAY}{last.isoformat()}{SLOTS_END}")

    def months(first: date, last: date) -> KeyRange:
        return KeyRange(
            f"{prefix}{MONTH}{first.isoformat()[:7]}", f"{prefix}{MONTH}{last.isoformat()[:7]}{SLOTS_END}"
        )

    ranges: list[KeyRange] = []
    first_full = start if start.day == 1 else _next_month(start)
    last_full_end = end if end == _month_end(end) else _month_start(end) - _ONE_DAY
    if first_full > last_full_end:  # no whole month inside: days only (at most two partial months)
        if (start.year, start.month) == (end.year, end.month):
            return [days(start, end)]
        return [days(start, _month_end(start)), days(_month_start(end), end)]
    if start < first_full:
        ranges.append(days(start, first_full - _ONE_DAY))
    ranges.append(months(first_full, last_full_end))
    if last_full_end < end:
        ranges.append(days(last_full_end + _ONE_DAY, end))
    return ranges


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month(day: date) -> date:
    return _month_end(day) + _ONE_DAY


class CounterReader(Protocol):
    def sum_ranges(self, subject: str, ranges: Sequence[KeyRange]) -> dict[str, int]: ...


class FigureReader:
    """Summed counter fields of subjects over periods."""

    def __init__(self, store: CounterReader) -> None:
        self._store = store

    def counts(self, subject: str, period: Period, family: str = "") -> dict[str, int]:
        """Every field of `subject` (kind#code) summed over the period; `family` '' is the index's own
        fields, 'hw' the hot words (fields kept in items of their own)."""
        return self._store.sum_ranges(subject, key_ranges(period, family))

    def counts_many(
        self, subjects: Iterable[str], period: Period, family: str = ""
    ) -> dict[str, dict[str, int]]:
        ranges = key_ranges(period, family)
        wanted = list(dict.fromkeys(subjects))
        if len(wanted) <= 1:
            return {subject: self._store.sum_ranges(subject, ranges) for subject in wanted}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            sums = list(pool.map(lambda s: self._store.sum_ranges(s, ranges), wanted))
        return dict(zip(wanted, sums, strict=True))


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator > 0 else None


def figures_view(
    kind: str, code: str, period: Period, counts: Mapping[str, int], rule: IndexRule
) -> dict[str, Any]:
    """The contract's figures (API.md, Indices) from summed counter fields."""
    levels = {level: int(counts.get(VALID_LEVEL.format(level), 0)) for level in LEVELS}
    valid = sum(levels.values())
    total = int(counts.get(TOTAL, 0))
    good = sum(levels[level] for level in GOOD_LEVELS)
    bad = sum(levels[level] for level in BAD_LEVELS)
    score_sum = sum(rule.scores[level] * n for level, n in levels.items())
    weight = rule.prior_weight + valid
    index = round((rule.initial * rule.prior_weight + score_sum) / weight, 4) if weight > 0 else None
    rectified = int(counts.get(RECTIFIED, 0))
    tag_prefix = TAG.format("")
    start, end = period.as_strings
    return {
        "kind": kind,
        "code": code,
        "from": start,
        "to": end,
        "total": total,
        "valid": valid,
        "invalid": total - valid,
        "counts": {str(level): levels[level] for level in LEVELS},
        "good": good,
        "bad": bad,
        "index": index,
        "good_rate": _rate(good, valid),
        "bad_rate": _rate(bad, valid),
        "rectified": rectified,
        "rectification_rate": _rate(rectified, bad),
        "on_time_rate": _rate(int(counts.get(ON_TIME, 0)), int(counts.get(FINISHED, 0))),
        "named_reply_rate": _rate(int(counts.get(NAMED_REPLIED, 0)), int(counts.get(NAMED_BAD, 0))),
        "completed_cases": int(counts.get(CASES_COMPLETED, 0)),
        "rated_cases": int(counts.get(CASES_RATED, 0)),
        "active_rating_rate": _rate(int(counts.get(CASES_RATED, 0)), int(counts.get(CASES_COMPLETED, 0))),
        "tags": {
            name[len(tag_prefix) :]: int(n)
            for name, n in sorted(counts.items())
            if name.startswith(tag_prefix) and n
        },
        "defaults": int(counts.get(DEFAULTS, 0)),
        "sub_scores": sub_scores_view(counts),
    }


def sub_scores_view(counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Per dimension: the distribution of its scores among valid ratings, and their mean."""
    prefix = SUB_SCORE_PREFIX
    by_dimension: dict[str, dict[int, int]] = {}
    for name, n in counts.items():
        if not name.startswith(prefix) or not n:
            continue
        dimension, _, level = name[len(prefix) :].rpartition(":")
        if level.isdigit() and int(level) in LEVELS:
            by_dimension.setdefault(dimension, {})[int(level)] = int(n)
    view: dict[str, dict[str, Any]] = {}
    for dimension, levels in sorted(by_dimension.items()):
        scored = sum(levels.values())
        total = sum(level * n for level, n in levels.items())
        view[dimension] = {
            "mean": round(total / scored, 4) if scored > 0 else None,
            "counts": {str(level): levels.get(level, 0) for level in LEVELS},
        }
    return view


ORDERS = ("index", "bad_rate", "rectification_rate")


def rank(entries: list[dict[str, Any]], order: str, min_valid: int) -> list[dict[str, Any]]:
    """Entries (figures with kind, code, name) ranked by `order`: the index and the rectification rate
    high first, the bad rate low first; ties by code. Those with fewer valid ratings than `min_valid`,
    or whose figure is undefined, are listed after them with rank null."""
    if order not in ORDERS:
        raise ValidationFailed({"order": f"one of {', '.join(ORDERS)}"})
    descending = order != "bad_rate"
    rankable = [e for e in entries if e["valid"] >= min_valid and e[order] is not None]
    others = [e for e in entries if not (e["valid"] >= min_valid and e[order] is not None)]
    rankable.sort(key=lambda e: ((-e[order] if descending else e[order]), e["code"]))
    others.sort(key=lambda e: e["code"])
    ranked: list[dict[str, Any]] = []
    previous: tuple[Any, int] | None = None
    for position, entry in enumerate(rankable, start=1):
        # Equal figures share a rank (1, 2, 2, 4).
        place = previous[1] if previous is not None and previous[0] == entry[order] else position
        ranked.append({**entry, "rank": place})
        previous = (entry[order], place)
    return ranked + [{**entry, "rank": None} for entry in others]
