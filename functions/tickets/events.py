"""Ticket events (COMMON.md contract 3) as log lines: reminders, escalations (督办), openings,
replies and closings, one line each. The messages hold codes and times only, never personal data."""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger("haochaping.tickets.events")


def log_event(record: dict[str, Any]) -> None:
    event = json.loads(record["body"])
    logger.info("ticket event: %s", json.dumps(event, ensure_ascii=False, sort_keys=True))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    def record_handler(record: Any) -> None:
        log_event(record.raw_event)

    return consume_batch("tickets", event, context, record_handler, "sqs")
