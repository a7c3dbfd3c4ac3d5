"""Route parameters go through one set of rules: numbers in ASCII digits within a range, dates and
times within the documented years; anything else is a ValidationFailed naming the parameter."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.calendar import parse_year
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.params import (
    EARLIEST_DATE,
    LATEST_DATE,
    parse_date,
    parse_int,
    parse_time,
)


@pytest.mark.parametrize(
    "raw", ["²", "①", "５", "٣", "1²", "9" * 5000, "-1", "+1", " 1", "1.0", "", "0", "367"]
)
def test_a_number_is_ascii_digits_within_its_range(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_int(raw, "working_days", 1, 366)
    assert set(refused.value.fields) == {"working_days"}


@given(st.text(max_size=12))
def test_any_text_is_a_number_in_range_or_a_validation_error(raw: str) -> None:
    try:
        value = parse_int(raw, "n", 1, 366)
    except ValidationFailed:
        return
    assert 1 <= value <= 366 and raw == str(value).rjust(len(raw), "0")


@pytest.mark.parametrize(
    "raw",
    [
        "9999-12-31T23:59:59+08:00",
        "0001-01-01T00:00:00+08:00",
        "2026-09-30T17:00:00",  # no offset
        "2026-09-30 17:00:00+08:00",
        "２026-09-30T17:00:00+08:00",
        "2026-02-30T17:00:00+08:00",
        "2026-09-30T17:00:00+25:00",
    ],
)
def test_a_time_has_an_offset_and_lies_within_the_documented_years(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_time(raw, "from")
    assert set(refused.value.fields) == {"from"}


@given(st.datetimes(timezones=st.timezones()))
def test_any_time_is_accepted_exactly_when_within_the_years(moment: object) -> None:
    raw = moment.isoformat()  # type: ignore[attr-defined]
    try:
        parsed = parse_time(raw, "from")
    except ValidationFailed:
        return
    assert EARLIEST_DATE <= parsed.date() <= LATEST_DATE


def test_dates_and_years() -> None:
    assert parse_date("2026-09-30", "from") == date(2026, 9, 30)
    for raw in ("0001-01-01", "9999-12-31", "2026-W01-1", "20260101", "٢٠٢٦-01-01"):
        with pytest.raises(ValidationFailed):
            parse_date(raw, "from")
    assert parse_year("2027") == 2027
    for raw in ("٢٠٢٧", "²⁰²⁷", "1999", "2201"):
        with pytest.raises(ValidationFailed):
            parse_year(raw)
