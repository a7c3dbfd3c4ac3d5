"""Early warnings (预警) of departments, for people in scope, and as metrics for the alarms.

`GET /v1/warnings?region=&date=` evaluates the departments directly under a region (default: the
caller's own department; a reviewer's region; the province for an admin) on a day (default: today,
local) with the rules of warning_rules.py, reading counters only: per department one query for the
day, at most three for the 30-day baseline, at most two for the recent week and its baseline.

`check_province` evaluates every department of the province and counts the warnings by rule as
metrics (one per rule, `EarlyWarningBadRateJump` and `EarlyWarningIndexDrop`, no dimension: never a
department, so the metric count stays two
whatever the size of the province); `scheduled` is its Lambda entry point for a daily schedule.

The third rule, tickets due within the next working day, needs the TICKETS issue's table and working-day
calendar; it is listed in `PENDING_RULES` until that is merged, so the answer says it was not checked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.index.warning_rules import Counts, WarningPolicy, bad_rate_jump, index_drop

RULES = ("bad_rate_jump", "index_drop")
METRIC_NAMES = {"bad_rate_jump": "EarlyWarningBadRateJump", "index_drop": "EarlyWarningIndexDrop"}
PENDING_RULES = ("ticket_due",)


class EarlyWarnings:
    def __init__(
        self, figures: Any, directory: Any, province: Any, policy: WarningPolicy | None = None
    ) -> None:
        self._figures = figures
        self._directory = directory  # CachedDirectory
        self._province = province
        self._policy = policy or province.warnings

    def departments_under(self, region: str) -> list[DirectoryEntry]:
        return sorted(
            self._directory.children(SubjectRef(SubjectKind.REGION, region), SubjectKind.DEPARTMENT),
            key=lambda e: e.code,
        )

    def evaluate(self, departments: Iterable[DirectoryEntry], day: date) -> list[dict[str, Any]]:
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
        entries = list(departments)
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


def check_province(warnings: EarlyWarnings, directory: Any, province_code: str, day: date) -> dict[str, int]:
    """Every department of the province, region by region; counts by rule (also emitted as metrics)."""
    from functions.core.observability import count

    totals = dict.fromkeys(RULES, 0)
    pending = [province_code]
    while pending:
        region = pending.pop()
        pending.extend(
            r.code for r in directory.children(SubjectRef(SubjectKind.REGION, region), SubjectKind.REGION)
        )
        for warning in warnings.evaluate(warnings.departments_under(region), day):
            totals[warning["rule"]] += 1
    for rule, n in totals.items():
        # One metric per rule rather than a `rule` dimension: the request's metric set shares its
        # dimensions, and two values of one dimension cannot sit in one set.
        count(METRIC_NAMES[rule], n)
    return totals
