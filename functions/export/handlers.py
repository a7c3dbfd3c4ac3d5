"""The export's event side, one Lambda function for its three sources (a stack has at most 500 resources,
and each function brings a role, a policy, a log group and alarms): the ratings stream (into the pending
set), the schedule (every minute: bounded batches to each target, and each day's reconciliation once the
day is over and again once its T+1 has passed), and the queue of `POST /v1/export/reconcile`
(`export-reconcile`, dead letters in `export-dlq`)."""

from __future__ import annotations

import json
from typing import Any

from functions.export import wiring


def send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import logger

    service = wiring.runtime().service
    results = {name: service.send_due(name) for name in service.targets}
    for name, tally in results.items():
        if tally["sent"]:
            logger.info("export sent", extra={"target": name, **tally})
    return results


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Tells its sources apart by the event's shape, as Lambda delivers each."""
    records = event.get("Records") or []
    source = records[0].get("eventSource") if records else None
    if source == "aws:dynamodb":
        from functions.export import stream

        return stream.handler(event, context)
    if source == "aws:sqs":
        return reconcile_requested(event, context)
    return {"sent": send(event, context), "reconciled": reconcile_daily(event, context)}


def reconcile_daily(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Yesterday once it is over and the day before once its T+1 has passed, each once: a run finds
    the day's summary and leaves it."""
    from functions.core.observability import logger

    service = wiring.runtime().service
    results: dict[str, Any] = {}
    for name in service.targets:
        for day in service.days_to_reconcile():
            if not service.reconciliation_due(name, day):
                continue
            summary = service.reconcile(name, day)
            results[f"{name}/{day}"] = summary
            if summary["overdue"]:
                # One line per day and target: the metric filter behind the ExportUnacknowledged alarm.
                logger.warning(
                    "export unacknowledged after T+1",
                    extra={"target": name, "day": day, "unacknowledged": summary["unacknowledged"]},
                )
            logger.info(
                "export reconciled",
                extra={
                    "target": name,
                    "day": day,
                    **{k: summary[k] for k in ("records", "matches", "unacknowledged")},
                },
            )
    return results


def _reconcile_one(record: Any) -> None:
    body = json.loads(record.body)
    wiring.runtime().service.reconcile(str(body["target"]), str(body["date"]))


def reconcile_requested(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    return consume_batch("export", event, context, _reconcile_one, "sqs")
