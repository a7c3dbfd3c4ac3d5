"""Builds the tickets function's service from its settings, once per process; tests and the local
stack may hand in their own."""

from __future__ import annotations

from typing import Any, NamedTuple

from functions.core.runtime import Lazy
from functions.core.storage import clients
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.tickets.clock import Clock
from functions.tickets.service import TicketService
from functions.tickets.settings import TicketSettings
from functions.tickets.store import DynamoCalendar, DynamoTickets
from functions.tickets.workflow import EvidenceUploads, StepFunctionsWorkflow


class Runtime(NamedTuple):
    settings: TicketSettings
    tickets: TicketService


def build(
    config: TicketSettings,
    dynamodb: Any,
    stepfunctions: Any,
    sns: Any,
    s3: Any,
    clock: Clock | None = None,
) -> Runtime:
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds
    )
    service = TicketService(
        store=DynamoTickets(dynamodb, config.tickets_table, config.ticket_trail_table, config.ratings_table),
        calendars=DynamoCalendar(dynamodb, config.calendar_table),
        directory=directory,
        workflow=StepFunctionsWorkflow(
            stepfunctions, sns, config.ticket_state_machine_arn, config.ticket_events_topic_arn
        ),
        evidence=EvidenceUploads(s3, config.evidence_bucket),
        province=config.province,
        clock=clock or Clock.parse(config.ticket_clock),
    )
    return Runtime(config, service)


_runtime: Lazy[Runtime] = Lazy(
    lambda: build(
        TicketSettings.from_env(), clients.dynamodb(), clients.stepfunctions(), clients.sns(), clients.s3()
    )
)
runtime = _runtime.get
use = _runtime.use
