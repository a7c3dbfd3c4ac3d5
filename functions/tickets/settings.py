"""The tickets function's settings: its province, its tables, the ticket workflow's state machine, the
ticket-events topic and the evidence bucket. Read once per process, validated, typed; every value
required outside the local stack."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import number, province, required, table_name
from functions.core.storage.tables import CALENDAR, DIRECTORY, RATINGS, TICKET_TRAIL, TICKETS


@dataclass(frozen=True)
class TicketSettings:
    province: ProvinceConfig
    tickets_table: str
    ticket_trail_table: str
    ratings_table: str
    calendar_table: str
    directory_table: str
    ticket_state_machine_arn: str
    ticket_events_topic_arn: str
    evidence_bucket: str
    directory_cache_seconds: float = 300.0
    # Local stack only: "<ISO start>@<speed>" runs the tickets' clock from that instant at that many
    # seconds per second, so that deadlines come in seconds. No deployment sets it.
    ticket_clock: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TicketSettings:
        env = os.environ if env is None else env
        return cls(
            province=province(env),
            tickets_table=table_name(env, TICKETS),
            ticket_trail_table=table_name(env, TICKET_TRAIL),
            ratings_table=table_name(env, RATINGS),
            calendar_table=table_name(env, CALENDAR),
            directory_table=table_name(env, DIRECTORY),
            ticket_state_machine_arn=required(env, "TICKET_STATE_MACHINE_ARN"),
            ticket_events_topic_arn=required(env, "TICKET_EVENTS_TOPIC_ARN"),
            evidence_bucket=required(env, "EVIDENCE_BUCKET"),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
            # Never in Lambda (which always sets AWS_LAMBDA_FUNCTION_NAME): a stray TICKET_CLOCK in a
            # deployment must not bend real deadlines.
            ticket_clock="" if "AWS_LAMBDA_FUNCTION_NAME" in env else env.get("TICKET_CLOCK", ""),
        )
