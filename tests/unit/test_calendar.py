"""The working-day calendar: Civil Code counting over official and provisional years."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.calendar_seed import seeded_year
from functions.core.domain.calendar import (
    OFFICIAL,
    WorkingCalendar,
    YearCalendar,
    parse_year_upload,
)
from functions.core.domain.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)


def calendar(**kwargs: object) -> WorkingCalendar:
    return WorkingCalendar(seeded_year, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("working_days", "ends"), [(1, "2026-10-08"), (5, "2026-10-13"), (15, "2026-10-27")])
def test_the_2026_national_day_examples(working_days: int, ends: str) -> None:
    due = calendar().due(RECEIVED, working_days)
    assert due.at == datetime.combine(date.fromisoformat(ends), time(23, 59, 59), SHANGHAI)
    assert due.provisional is False


def test_2026_is_official_with_its_six_make_up_working_days() -> None:
    year = seeded_year(2026)
    assert year.status == OFFICIAL
    assert sorted(d.isoformat() for d in year.workdays) == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]


def test_a_year_without_an_official_schedule_is_provisional_and_never_raises() -> None:
    for number in (2027, 2099, 2200):
        year = seeded_year(number)
        assert year.provisional
    due = calendar().due(datetime(2026, 12, 30, 10, tzinfo=SHANGHAI), 15)
    assert due.provisional is True
    # 2027-01-01 is a rule-based holiday: 15 working days from 12-30 skip it and two weekends
    assert due.at.date() == date(2027, 1, 21)


def test_a_loaded_2027_schedule_makes_the_same_period_official_and_moves_it() -> None:
    loaded = parse_year_upload(
        2027,
        {"holidays": ["2027-01-01", "2027-01-04", "2027-01-05"], "workdays": ["2027-01-09"]},
    )

    def years(number: int) -> YearCalendar:
        return loaded if number == 2027 else seeded_year(number)

    due = WorkingCalendar(years).due(datetime(2026, 12, 30, 10, tzinfo=SHANGHAI), 15)
    assert due.provisional is False
    assert due.at.date() == date(2027, 1, 22)  # two more days off, one make-up Saturday


def test_business_hours_end_the_period_at_closing_time_and_local_holidays_count() -> None:
    due = calendar(closing_time="17:30").due(RECEIVED, 1)
    assert due.at == datetime(2026, 10, 8, 17, 30, tzinfo=SHANGHAI)
    due = calendar(local_holidays=("2026-10-08",)).due(RECEIVED, 1)
    assert due.at.date() == date(2026, 10, 9)


def test_make_up_saturday_counts_as_a_working_day() -> None:
    # Friday 2026-10-09 17:00: the next working day is the make-up Saturday 10-10
    due = calendar().due(datetime(2026, 10, 9, 17, tzinfo=SHANGHAI), 1)
    assert due.at.date() == date(2026, 10, 10)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"holidays": ["2027-13-01"]}, "holidays[0]"),
        ({"holidays": ["01/02/2027"]}, "holidays[0]"),
        ({"holidays": ["2026-10-01"]}, "holidays[0]"),
        ({"workdays": ["2027-02-06"], "holidays": ["2027-02-06"]}, "workdays"),
        ({"holidays": "2027-01-01"}, "holidays"),
        ({"holiday": []}, "holiday"),
        ([], "body"),
    ],
)
def test_a_malformed_upload_is_refused_with_the_field(body: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_year_upload(2027, body)
    assert field in refused.value.fields


# --- properties -----------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=SHANGHAI)
)
periods = st.integers(min_value=1, max_value=40)
CALENDAR = calendar()


@settings(max_examples=150, deadline=None)
@given(moments, periods, periods)
def test_n_plus_m_working_days_is_m_after_n(start: datetime, n: int, m: int) -> None:
    after_n, _ = CALENDAR.add_working_days(start.date(), n)
    after_both, _ = CALENDAR.add_working_days(start.date(), n + m)
    assert CALENDAR.add_working_days(after_n, m)[0] == after_both


@settings(max_examples=150, deadline=None)
@given(moments, periods)
def test_a_deadline_ends_a_working_day_never_earlier_than_n_calendar_days(start: datetime, n: int) -> None:
    due = CALENDAR.due(start, n)
    assert CALENDAR.is_working_day(due.at.date())
    assert due.at.date() >= start.date() + timedelta(days=n)
    assert due.at.time() == time(23, 59, 59)
    # exactly n working days lie after the day of receipt, up to and including the last one
    days = (due.at.date() - start.date()).days
    counted = sum(CALENDAR.is_working_day(start.date() + timedelta(days=k)) for k in range(1, days + 1))
    assert counted == n


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(d for y in range(2020, 2027) for d in seeded_year(y).workdays)))
def test_every_make_up_weekend_day_counts(day: date) -> None:
    assert day.weekday() >= 5
    assert CALENDAR.is_working_day(day)
    before = datetime.combine(day - timedelta(days=1), time(12), SHANGHAI)
    # received the day before, one working day ends on the make-up day itself
    assert CALENDAR.due(before, 1).at.date() == day
