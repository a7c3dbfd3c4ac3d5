"""Read-only adapter for the third early-warning rule: a department's open tickets and the working-day
calendar, as the TICKETS side stores them (functions/tickets/store.py).

Tickets: one Query on the `by_department` index per department, filtered to the statuses not finished
(not closed, not invalid) and projected to the fields the ticket's own decoder needs (no Scan, no
workflow bookkeeping). Calendar: the year loaded by an operator in the calendar table, else the seeded
official or provisional year (functions.core.calendar_seed), plus the province's local holidays, the
same source the tickets side counts its deadlines from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from functions.core.calendar_seed import seeded_year
from functions.core.domain.calendar import OFFICIAL, WorkingCalendar, YearCalendar
from functions.core.domain.province import ProvinceConfig
from functions.tickets.rules import Ticket
from functions.tickets.store import item_to_ticket

_deserializer = TypeDeserializer()

# What item_to_ticket reads; everything else on a ticket item (task tokens, the execution's input) is
# left in the table.
_FIELDS = (
    "ticket_id",
    "rating_id",
    "department",
    "supervisor",
    "named",
    "status",
    "received_at",
    "contact_due",
    "rectify_dues",
    "provisional",
    "category",
    "finding",
    "overdue",
    "late",
    "version",
)


class TicketDeadlines:
    def __init__(self, client: Any, tickets_table: str, calendar_table: str) -> None:
        self._client = client
        self._tickets = tickets_table
        self._calendar = calendar_table

    def open_tickets(self, department: str) -> Iterator[Ticket]:
        """The department's tickets not finished, oldest received first."""
        names = {f"#f{i}": name for i, name in enumerate(_FIELDS)}
        names["#status"] = "status"
        pages = self._client.get_paginator("query").paginate(
            TableName=self._tickets,
            IndexName="by_department",
            KeyConditionExpression="department = :d",
            FilterExpression="NOT #status IN (:closed, :invalid)",
            ProjectionExpression=", ".join(f"#f{i}" for i in range(len(_FIELDS))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":d": {"S": department},
                ":closed": {"S": "closed"},
                ":invalid": {"S": "invalid"},
            },
        )
        for page in pages:
            for raw in page.get("Items", []):
                yield item_to_ticket(raw)

    def year(self, number: int) -> YearCalendar:
        raw = self._client.get_item(TableName=self._calendar, Key={"year": {"N": str(number)}}).get("Item")
        if raw is None:
            return seeded_year(number)
        item = {k: _deserializer.deserialize(v) for k, v in raw.items()}
        return YearCalendar(
            number,
            item.get("status", OFFICIAL),
            frozenset(date.fromisoformat(d) for d in item.get("holidays", [])),
            frozenset(date.fromisoformat(d) for d in item.get("workdays", [])),
        )

    def calendar(self, province: ProvinceConfig) -> WorkingCalendar:
        """Fresh for each evaluation (a year an operator loads counts from the next one on)."""
        return WorkingCalendar(
            self.year,
            timezone=province.timezone,
            local_holidays=province.local_holidays,
            closing_time=province.closing_time,
        )
