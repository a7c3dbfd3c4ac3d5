"""What every route's parameters (path and query) may be, checked the same way bodies are: each rule
either returns the value or raises ValidationFailed naming the parameter, so that no parameter reaches
`int()`, `fromisoformat()` or date arithmetic unchecked.

- A number is ASCII digits (no sign, no '²', '①', full-width or other scripts' digits), at most
  `MAX_DIGITS` of them, within the route's documented range.
- A date is `YYYY-MM-DD` in ASCII digits, within `EARLIEST_DATE`..`LATEST_DATE`.
- A time is ISO 8601 with a UTC offset (`2026-09-30T17:00:00+08:00`), within the same years, so that
  adding a deadline's working days to it never leaves the calendar.
- A choice is one of the listed words; a flag is `true` or `false`; a code is a directory code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import ParamSpec, TypeVar

from functions.core.domain.directory import CODE
from functions.core.domain.errors import ValidationFailed

# The dates any route takes: from the rating system's start (国办发〔2019〕51号, December 2019) to the end
# of the century. Deadlines, periods and warnings stay within the calendar's years from there.
EARLIEST_DATE = date(2019, 12, 1)
LATEST_DATE = date(2099, 12, 31)
MAX_DIGITS = 9

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# The extended ISO 8601 form only: date, 'T', time with seconds (fraction optional), offset or Z.
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)


P = ParamSpec("P")
T = TypeVar("T")


class Problems:
    """Collects every parameter's problem, so that one answer names them all (as bodies do)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def check(self, rule: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return rule(*args, **kwargs)
        except ValidationFailed as e:
            self.fields.update(e.fields)
            return None

    def raise_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


def parse_int(raw: str, name: str, low: int, high: int) -> int:
    if not isinstance(raw, str) or len(raw) > MAX_DIGITS or not _DIGITS.fullmatch(raw):
        raise ValidationFailed({name: f"an integer from {low} to {high}, in ASCII digits"})
    value = int(raw)
    if not low <= value <= high:
        raise ValidationFailed({name: f"an integer from {low} to {high}"})
    return value


def parse_date(raw: str, name: str, low: date = EARLIEST_DATE, high: date = LATEST_DATE) -> date:
    why = f"a date YYYY-MM-DD from {low} to {high}"
    if not isinstance(raw, str) or not _DATE.fullmatch(raw):
        raise ValidationFailed({name: why})
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({name: why}) from None
    if not low <= value <= high:
        raise ValidationFailed({name: why})
    return value


def parse_time(raw: str, name: str, low: date = EARLIEST_DATE, high: date = LATEST_DATE) -> datetime:
    why = f"an ISO 8601 time with offset, e.g. 2026-09-30T17:00:00+08:00, from {low} to {high}"
    if not isinstance(raw, str) or not _TIME.fullmatch(raw):
        raise ValidationFailed({name: why})
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed({name: why}) from None
    # Offsets beyond ±24 h are refused by fromisoformat; the date bound keeps arithmetic in range.
    if value.tzinfo is None or not low <= value.date() <= high:
        raise ValidationFailed({name: why})
    return value


def parse_choice(raw: str, name: str, choices: Iterable[str]) -> str:
    allowed = list(choices)
    if raw not in allowed:
        raise ValidationFailed({name: f"one of {', '.join(allowed)}"})
    return raw


def parse_flag(raw: str, name: str) -> bool:
    return parse_choice(raw, name, ("true", "false")) == "true"


def parse_code(raw: str, name: str) -> str:
    """A directory code (department, window, item, staff) as the directory stores it."""
    if not isinstance(raw, str) or not CODE.fullmatch(raw):
        raise ValidationFailed({name: "a directory code: 1-64 of [A-Za-z0-9_.-]"})
    return raw
