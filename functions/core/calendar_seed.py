"""Where a year's schedule comes from when no operator has loaded one: the official schedule that
`chinese-calendar` ships (2004 to 2026, holidays and make-up working days from the State Council's
notices), else the rule-based holidays that `holidays` computes (no make-up days: provisional).

Never raises: a year neither library knows is weekends only, provisional."""

from __future__ import annotations

from datetime import date
from functools import cache

from functions.core.domain.calendar import OFFICIAL, YearCalendar, rule_based_year


@cache
def seeded_year(year: int) -> YearCalendar:
    official = _chinese_calendar(year)
    if official is not None:
        return official
    try:
        import holidays

        return rule_based_year(year, holidays.China(years=year).keys())
    except Exception:  # a year outside what the rules cover: weekends only, still provisional
        return rule_based_year(year, ())


@cache
def statutory_days(year: int) -> frozenset[date] | None:
    """The year's national statutory holidays by rule (`holidays`' China, less the days it marks as
    observed or substituted, which the yearly notice decides), or None where the rules cannot say."""
    try:
        import holidays

        days = holidays.China(years=year)
    except Exception:
        return None
    found = frozenset(
        day
        for day, name in days.items()
        if "observed" not in name.lower() and not name.lower().startswith("day off")
    )
    return found or None


def _chinese_calendar(year: int) -> YearCalendar | None:
    import chinese_calendar

    days = chinese_calendar.holidays.keys() | chinese_calendar.workdays.keys()
    if not any(d.year == year for d in days):
        return None
    holidays = frozenset(d for d in chinese_calendar.holidays if d.year == year)
    # `workdays` lists every make-up working day (调休): the weekend days that become working days.
    workdays = frozenset(d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5)
    return YearCalendar(year, OFFICIAL, holidays, workdays)
