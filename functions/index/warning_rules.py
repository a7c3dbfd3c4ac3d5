"""Early-warning rules (预警), pure arithmetic on counts; what reads the counts is in warnings.py.

1. Bad-rate jump (`bad_rate_jump`). A department's bad ratings on a day are compared with its own
   bad rate over the `baseline_days` before that day. Under "nothing changed", the day's bad count is
   Binomial(n, p0) with n the day's valid ratings and p0 the baseline rate, smoothed as
   (K + 1) / (N + 2) (Laplace) so that a department with no bad rating in its history is not alarmed
   by its first one. The warning is raised when the one-sided exact tail P(X ≥ k) is at most `alpha`
   (0.001: about one false alarm per thousand department-days when nothing changed), and only when the
   day has at least `min_day_ratings` valid ratings and the baseline at least `min_baseline_ratings`
   (too few ratings say nothing about a rate). Unlike a fixed threshold, a department that always had
   20% bad ratings is not flagged for 25%, and one that had 1% is flagged for 15%.
2. Falling index (`index_drop`). The department's index over the last `recent_days` (ending on the
   evaluated day) is at least `index_drop` points below its index over the `baseline_days` before them,
   with at least `min_day_ratings` valid ratings in the recent period.
3. Tickets due within the next working day (`ticket_due`). An open ticket (not closed, not invalid)
   whose current stage's deadline (contact_due while open, the reply deadline while rectifying, the
   longest one while it waits to be classified; the tickets' own `Ticket.stage_due`) is at or before
   the end of the next working day after the evaluated moment's local day, per the working-day
   calendar (official or provisional years, the province's local holidays, its closing time), is
   listed; one already past its deadline is listed as overdue. A ticket waiting for an appeal or the
   revisit has no deadline and is never listed. On a Friday the horizon is Monday's end, before a
   holiday the end of the first working day after it.
The numbers of rules 1 and 2 are province configuration (`ProvinceConfig.warnings`,
functions/core/domain/province.py); rule 3 has none: its horizon is the calendar's."""

from __future__ import annotations

import math
from datetime import datetime
from typing import NamedTuple

from functions.core.domain.calendar import WorkingCalendar
from functions.core.domain.province import WarningPolicy

__all__ = [
    "WarningPolicy",
    "Counts",
    "bad_rate_jump",
    "binomial_upper_tail",
    "index_drop",
    "next_working_day_end",
    "ticket_due",
]


class Counts(NamedTuple):
    valid: int
    bad: int


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), summed exactly in log space (n is a day's ratings)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k, n + 1):
        total += math.exp(
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        )
    return min(1.0, total)


class BadRateJump(NamedTuple):
    day_rate: float
    baseline_rate: float
    p_value: float


def bad_rate_jump(day: Counts, baseline: Counts, policy: WarningPolicy) -> BadRateJump | None:
    """The warning for one department and day, or None."""
    if day.valid < policy.min_day_ratings or baseline.valid < policy.min_baseline_ratings:
        return None
    p0 = (baseline.bad + 1) / (baseline.valid + 2)
    if day.bad / day.valid <= p0:
        return None
    p_value = binomial_upper_tail(day.bad, day.valid, p0)
    if p_value > policy.alpha:
        return None
    return BadRateJump(day.bad / day.valid, baseline.bad / baseline.valid, p_value)


def index_drop(
    recent: float | None, recent_valid: int, baseline: float | None, policy: WarningPolicy
) -> float | None:
    """How far the index fell when that is a warning, else None."""
    if recent is None or baseline is None or recent_valid < policy.min_day_ratings:
        return None
    drop = baseline - recent
    return drop if drop >= policy.index_drop else None


def next_working_day_end(calendar: WorkingCalendar, at: datetime) -> datetime:
    """The end of the first working day after `at`'s local day: the horizon of rule 3."""
    return calendar.due(at, 1).at


class TicketDue(NamedTuple):
    due: datetime
    overdue: bool


def ticket_due(due: datetime | None, at: datetime, horizon: datetime) -> TicketDue | None:
    """Rule 3 for one open ticket's current deadline, or None (no deadline, or beyond the horizon)."""
    if due is None or due > horizon:
        return None
    return TicketDue(due, due <= at)
