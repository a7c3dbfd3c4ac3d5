"""Working days and deadlines (DOMAIN.md "Working days and deadlines").

A working day is a weekday that is not a holiday, plus the weekend days that the State Council's yearly
notice makes working days (调休). Each year's holidays and make-up working days are calendar data: the
official schedule when it is known (seeded from a library, replaced by operators), otherwise a
schedule computed by rule and marked provisional. Counting follows the Civil Code (arts. 201-203): the
day of receipt is not counted, and the period ends at the end of its last working day (or at the
office's closing time where the province keeps business hours), in the province's time zone.

Pure: the years come from a `YearSource` (storage, a library seed, a rule) handed in by the caller."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any, NamedTuple

from functions.core.domain.errors import ValidationFailed
from functions.core.domain.params import parse_int

OFFICIAL = "official"
PROVISIONAL = "provisional"
MAX_WORKING_DAYS = 366
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class YearCalendar(NamedTuple):
    """One year's holidays (days off, weekends inside a holiday included) and make-up working days."""

    year: int
    status: str  # OFFICIAL or PROVISIONAL
    holidays: frozenset[date]
    workdays: frozenset[date]

    @property
    def provisional(self) -> bool:
        return self.status != OFFICIAL

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "status": self.status,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }


YearSource = Callable[[int], YearCalendar]


class Due(NamedTuple):
    at: datetime
    provisional: bool  # some day counted lies in a year whose official schedule is not loaded

    def as_dict(self) -> dict[str, Any]:
        return {"due": self.at.isoformat(), "provisional": self.provisional}


def parse_year_upload(year: int, body: Any, statutory: frozenset[date] | None = None) -> YearCalendar:
    """An operator's official schedule for `year`: {"holidays": [dates], "workdays": [dates]}.
    Every problem is reported at once; nothing is half-accepted. `statutory` are the year's national
    statutory holidays (《全国年节及纪念日放假办法》: New Year, four days of the Spring Festival, Qingming,
    two of Labour Day, Dragon Boat, Mid-Autumn, three of National Day), computed by rule: every State
    Council notice gives them all, so a schedule lacking one is not that notice and is refused
    (e.g. `{"year": 2027}` with no holidays). None: the rules cannot say, and the upload is taken as is."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object with holidays and workdays"})
    errors: dict[str, str] = {}
    for name in sorted(set(body) - {"holidays", "workdays", "year", "status"}):
        errors[name] = "unknown field"
    if "year" in body and body["year"] != year:
        errors["year"] = f"must be {year}, the year in the path"
    parsed: dict[str, frozenset[date]] = {}
    for field in ("holidays", "workdays"):
        raw = body.get(field, [])
        if not isinstance(raw, list):
            errors[field] = "must be a list of YYYY-MM-DD dates"
            continue
        days: set[date] = set()
        for i, value in enumerate(raw):
            day = _parse_date(value)
            if day is None:
                errors[f"{field}[{i}]"] = "not a YYYY-MM-DD date"
            elif day.year != year:
                errors[f"{field}[{i}]"] = f"outside {year}"
            else:
                days.add(day)
        parsed[field] = frozenset(days)
    both = parsed.get("holidays", frozenset()) & parsed.get("workdays", frozenset())
    if both:
        errors["workdays"] = "both a holiday and a working day: " + ", ".join(
            d.isoformat() for d in sorted(both)
        )
    if statutory and "holidays" in parsed and not errors:
        missing = sorted(statutory - parsed["holidays"])
        if missing:
            errors["holidays"] = (
                f"an official schedule holds every national statutory holiday of {year}; missing: "
                + ", ".join(d.isoformat() for d in missing)
            )
    if errors:
        raise ValidationFailed(errors)
    return YearCalendar(year, OFFICIAL, parsed["holidays"], parsed["workdays"])


def parse_year(raw: str) -> int:
    return parse_int(raw, "year", 2000, 2200)


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class WorkingCalendar:
    """Counts working days over the years a `YearSource` gives, plus a province's local holidays."""

    def __init__(
        self,
        years: YearSource,
        *,
        timezone: str = "Asia/Shanghai",
        local_holidays: Iterable[str] = (),
        closing_time: str | None = None,
    ) -> None:
        self._years = years
        self._cache: dict[int, YearCalendar] = {}
        self._local = frozenset(date.fromisoformat(d) for d in local_holidays)
        self._zone = _zone(timezone)
        self._closing = time.fromisoformat(closing_time) if closing_time else None

    @property
    def zone(self) -> tzinfo:
        return self._zone

    def year(self, year: int) -> YearCalendar:
        found = self._cache.get(year)
        if found is None:
            found = self._cache[year] = self._years(year)
        return found

    def is_working_day(self, day: date) -> bool:
        schedule = self.year(day.year)
        if day in schedule.workdays:
            return True
        if day in schedule.holidays or day in self._local:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after `start` (start itself not counted), and whether any year it
        passed through is provisional."""
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise ValidationFailed({"working_days": f"an integer from 1 to {MAX_WORKING_DAYS}"})
        day, counted = start, 0
        provisional = False
        while counted < n:
            day += timedelta(days=1)
            provisional = provisional or self.year(day.year).provisional
            if self.is_working_day(day):
                counted += 1
        return day, provisional

    def due(self, received: datetime, n: int) -> Due:
        """When a period of n working days from `received` ends (Civil Code arts. 201-203)."""
        if received.tzinfo is None:
            raise ValidationFailed({"from": "needs a UTC offset"})
        local = received.astimezone(self._zone)
        last, provisional = self.add_working_days(local.date(), n)
        return Due(self.end_of(last), provisional)

    def end_of(self, day: date) -> datetime:
        """The end of a working day: its closing time, or its last second (24:00 is the next day)."""
        if self._closing is not None:
            return datetime.combine(day, self._closing, self._zone)
        return datetime.combine(day, time(23, 59, 59), self._zone)


def rule_based_year(year: int, holidays: Iterable[date]) -> YearCalendar:
    """A year whose official schedule is not out: the rule-based holidays, no make-up working days."""
    return YearCalendar(year, PROVISIONAL, frozenset(d for d in holidays if d.year == year), frozenset())


def year_from_dict(data: Mapping[str, Any]) -> YearCalendar:
    return YearCalendar(
        int(data["year"]),
        str(data["status"]),
        frozenset(date.fromisoformat(d) for d in data["holidays"]),
        frozenset(date.fromisoformat(d) for d in data["workdays"]),
    )


@cache
def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
