"""Early warnings (预警) of departments, for people in scope, and as metrics for the alarms.

`GET /v1/warnings?region=&date=` evaluates the departments directly under a region (default: the
caller's own department; a reviewer's region; the province for an admin) on a day (default: today,
local) with the rules of warning_rules.py. Rules 1 and 2 read counters only: per department one query
for the day, at most three for the 30-day baseline, at most two for the recent week and its baseline.
Rule 3 (`ticket_due`) reads the department's open tickets (one Query on the tickets' `by_department`
index, functions/index/ticket_deadlines.py) and the working-day calendar; it looks from a moment: now
when the day is today, else the start of that day (local), always with the tickets' current status,
and lists one warning per ticket (its id, stage, deadline and whether it is already overdue).

`check_province` evaluates every department of the province and counts the warnings by rule as
metrics (one per rule, `EarlyWarningBadRateJump`, `EarlyWarningIndexDrop` and `EarlyWarningTicketDue`
(tickets due within the next working day or overdue), no dimension: never a department, so the metric
count stays three whatever the size of the province); `scheduled` is its Lambda entry point for a
daily schedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.index.warning_rules import (
    Counts,
    WarningPolicy,
    bad_rate_jump,
    index_drop,
    next_working_day_end,
    ticket_due,
)

RULES = ("bad_rate_jump", "index_drop", "ticket_due")
METRIC_NAMES = {
    "bad_rate_jump": "EarlyWarningBadRateJump",
    "index_drop": "EarlyWarningIndexDrop",
    "ticket_due": "EarlyWarningTicketDue",
}
PENDING_RULES: tuple[str, ...] = ()


class EarlyWarnings:
    def __init__(
        self,
        figures: Any,
        directory: Any,
        province: Any,
        tickets: Any,
        policy: WarningPolicy | None = None,
    ) -> None:
        self._figures = figures
        self._directory = directory  # CachedDirectory
        self._province = province
        self._tickets = tickets  # functions.index.ticket_deadlines.TicketDeadlines
        self._policy = policy or province.warnings

    def departments_under(self, region: str) -> list[DirectoryEntry]:
        return sorted(
            self._directory.children(SubjectRef(SubjectKind.REGION, region), SubjectKind.DEPARTMENT),
            key=lambda e: e.code,
        )

    def moment(self, day: date) -> datetime:
        """Where rule 3 looks from for a day other than today: the start of that day, local."""
        from zoneinfo import ZoneInfo

        return datetime.combine(day, time(0), ZoneInfo(self._province.timezone))

    def evaluate(
        self, departments: Iterable[DirectoryEntry], day: date, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Rules 1 and 2 on `day`, rule 3 from the moment `at` (default: the start of `day`)."""
        entries = list(departments)
        return [*self._counted(entries, day), *self.due_tickets(entries, day, at or self.moment(day))]

    def due_tickets(
        self, departments: Iterable[DirectoryEntry], day: date, at: datetime
    ) -> list[dict[str, Any]]:
        """Rule 3: per department its open tickets due by the end of the next working day, or overdue,
        soonest deadline first."""
        horizon = next_working_day_end(self._tickets.calendar(self._province), at)
        found: list[dict[str, Any]] = []
        for entry in departments:
            listed = []
            for ticket in self._tickets.open_tickets(entry.code):
                hit = ticket_due(ticket.stage_due(ticket.stage), at, horizon)
                if hit is not None:
                    listed.append((hit, ticket))
            listed.sort(key=lambda pair: (pair[0].due, pair[1].ticket_id))
            found.extend(
                _warning(
                    entry,
                    day,
                    "ticket_due",
                    {
                        "ticket_id": ticket.ticket_id,
                        "stage": ticket.stage,
                        "due": hit.due.isoformat(),
                        "overdue": hit.overdue,
                        "horizon": horizon.isoformat(),
                    },
                )
                for hit, ticket in listed
            )
        return found

    def _counted(self, entries: list[DirectoryEntry], day: date) -> list[dict[str, Any]]:
        from functions.index.figures import Period, figures_view

        policy = self._policy
        rule = self._province.index
        periods = {
            "day": Period(day, day),
            "baseline": Period(day - timedelta(days=policy.baseline_days), day - timedelta(days=1)),
            "recent": Period(day - timedelta(days=policy.recent_days - 1), day),
            "before": Period(
                day - timedelta(days=policy.recent_days + policy.baseline_days - 1),
                day - timedelta(days=policy.recent_days),
            ),
        }
        subjects = [e.ref.key for e in entries]
        views = {
            name: {
                e.ref.key: figures_view("department", e.code, period, counts.get(e.ref.key, {}), rule)
                for e in entries
            }
            for name, period in periods.items()
            for counts in [self._figures.counts_many(subjects, period)]
        }
        found: list[dict[str, Any]] = []
        for entry in entries:
            key = entry.ref.key
            today, baseline = views["day"][key], views["baseline"][key]
            jump = bad_rate_jump(
                Counts(today["valid"], today["bad"]), Counts(baseline["valid"], baseline["bad"]), policy
            )
            if jump is not None:
                found.append(
                    _warning(
                        entry,
                        day,
                        "bad_rate_jump",
                        {
                            "valid": today["valid"],
                            "bad": today["bad"],
                            "bad_rate": round(jump.day_rate, 4),
                            "baseline_bad_rate": round(jump.baseline_rate, 4),
                            "baseline_days": policy.baseline_days,
                            "p_value": float(f"{jump.p_value:.3g}"),
                        },
                    )
                )
            recent, before = views["recent"][key], views["before"][key]
            drop = index_drop(
                recent["index"], recent["valid"], before["index"] if before["valid"] else None, policy
            )
            if drop is not None:
                found.append(
                    _warning(
                        entry,
                        day,
                        "index_drop",
                        {
                            "index": recent["index"],
                            "previous_index": before["index"],
                            "drop": round(drop, 4),
                            "recent_days": policy.recent_days,
                            "threshold": policy.index_drop,
                        },
                    )
                )
        return found


def _warning(entry: DirectoryEntry, day: date, rule: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule": rule,
        "day": day.isoformat(),
        "department": {"code": entry.code, "name": entry.name},
        **detail,
    }


def check_province(
    warnings: EarlyWarnings, directory: Any, province_code: str, day: date, at: datetime | None = None
) -> dict[str, int]:
    """Every department of the province, region by region; counts by rule (also emitted as metrics).
    Rules 1 and 2 on `day`, rule 3 from the moment `at` (default: the start of `day`)."""
    from functions.core.observability import count

    totals = dict.fromkeys(RULES, 0)
    pending = [province_code]
    while pending:
        region = pending.pop()
        pending.extend(
            r.code for r in directory.children(SubjectRef(SubjectKind.REGION, region), SubjectKind.REGION)
        )
        for warning in warnings.evaluate(warnings.departments_under(region), day, at):
            totals[warning["rule"]] += 1
    for rule, n in totals.items():
        # One metric per rule rather than a `rule` dimension: the request's metric set shares its
        # dimensions, and two values of one dimension cannot sit in one set.
        count(METRIC_NAMES[rule], n)
    return totals
