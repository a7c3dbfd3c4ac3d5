"""Tickets, their trails, the calendar years and the ticket outcome on the rating item, in DynamoDB.

Every change of a ticket is one TransactWriteItems: the ticket's update, conditional on the version
it was read at (two actions racing cannot both apply), and the trail entry, put with
`attribute_not_exists` so that no entry is ever replaced. Nothing here updates or deletes a trail
item. In AWS the tickets function's role holds that line with IAM: on the trail table it is granted
`dynamodb:PutItem` (used inside the transaction), `GetItem` and `Query`, and no `UpdateItem`,
`DeleteItem` or `BatchWriteItem`; the only way to overwrite an item left is a PutItem without the
condition, which this adapter never sends (the table also keeps point-in-time recovery and deletion
protection, so even an operator's mistake is recoverable). The state machine's role may update the
tickets table (to mark a stage overdue) but has no grant on the trail table at all."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from functions.core.domain.calendar import OFFICIAL, YearCalendar
from functions.core.domain.errors import Conflict, IllegalTransition, NotFound
from functions.tickets.rules import Status, Ticket, Transition

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to(value: Any) -> dict[str, Any]:
    return _serializer.serialize(value)  # type: ignore[no-any-return]


def _from(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def ticket_to_item(ticket: Ticket) -> dict[str, Any]:
    item = {
        "ticket_id": ticket.ticket_id,
        "rating_id": ticket.rating_id,
        "department": ticket.department,
        "supervisor": ticket.supervisor,
        "named": ticket.named,
        "status": ticket.status.value,
        "received_at": ticket.received_at.isoformat(),
        "contact_due": ticket.contact_due.isoformat(),
        "rectify_dues": {k: v.isoformat() for k, v in ticket.rectify_dues.items()},
        "provisional": ticket.provisional,
        "category": ticket.category,
        "finding": ticket.finding,
        "overdue": dict(ticket.overdue),
        "late": list(ticket.late),
        "version": ticket.version,
    }
    return {k: _to(v) for k, v in item.items()}


def item_to_ticket(raw: dict[str, Any]) -> Ticket:
    item = _from(raw)
    return Ticket(
        ticket_id=item["ticket_id"],
        rating_id=item["rating_id"],
        department=item["department"],
        supervisor=item.get("supervisor"),
        named=bool(item.get("named")),
        status=Status(item["status"]),
        received_at=datetime.fromisoformat(item["received_at"]),
        contact_due=datetime.fromisoformat(item["contact_due"]),
        rectify_dues={k: datetime.fromisoformat(v) for k, v in item["rectify_dues"].items()},
        provisional=bool(item.get("provisional")),
        category=item.get("category"),
        finding=item.get("finding"),
        overdue=dict(item.get("overdue") or {}),
        late=tuple(item.get("late") or ()),
        evidence_issued=frozenset(item.get("evidence_issued") or ()),
        version=int(item.get("version", 1)),
    )


class StoredTicket:
    """A ticket with the workflow's bookkeeping next to it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.ticket = item_to_ticket(raw)
        plain = _from(
            {
                k: raw[k]
                for k in (
                    "execution_arn",
                    "execution_input",
                    "task_token",
                    "task_stage",
                    "signals",
                    "stalled",
                    "resumes",
                )
                if k in raw
            }
        )
        self.execution_arn: str | None = plain.get("execution_arn")
        self.execution_input: str | None = plain.get("execution_input")
        self.task_token: str | None = plain.get("task_token")
        self.task_stage: str | None = plain.get("task_stage")
        # stage -> the output its action hands to the workflow, until the workflow has taken it
        self.signals: dict[str, str] = dict(plain.get("signals") or {})
        # Set by the state machine when a service call still failed after its retries
        # ({"error", "at", "execution"}); cleared when the ticket's workflow is resumed.
        self.stalled: dict[str, str] | None = plain.get("stalled")
        self.resumes: int = int(plain.get("resumes") or 0)


class DynamoTickets:
    def __init__(self, client: Any, tickets_table: str, trail_table: str, ratings_table: str) -> None:
        self._client = client
        self._tickets = tickets_table
        self._trail = trail_table
        self._ratings = ratings_table

    # --- tickets ---------------------------------------------------------------------------------

    def create(self, ticket: Ticket, execution_input: str, wait: dict[str, Any]) -> tuple[StoredTicket, bool]:
        """Puts a new ticket unless one exists; answers the stored one either way (created or not)."""
        item = ticket_to_item(ticket)
        item["execution_input"] = _to(execution_input)
        item["wait"] = _to(wait)
        item["signals"] = {"M": {}}
        try:
            self._client.put_item(
                TableName=self._tickets,
                Item=item,
                ConditionExpression="attribute_not_exists(ticket_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self._client.exceptions.ConditionalCheckFailedException as e:
            stored = e.response.get("Item") or self._get_item(ticket.ticket_id)
            assert stored is not None
            return StoredTicket(stored), False
        return StoredTicket(item), True

    def get(self, ticket_id: str) -> StoredTicket:
        raw = self._get_item(ticket_id)
        if raw is None:
            raise NotFound(f"no ticket {ticket_id}")
        return StoredTicket(raw)

    def _get_item(self, ticket_id: str) -> dict[str, Any] | None:
        answer = self._client.get_item(
            TableName=self._tickets, Key={"ticket_id": {"S": ticket_id}}, ConsistentRead=True
        )
        return answer.get("Item")

    def record_execution(self, ticket_id: str, execution_arn: str) -> None:
        self._client.update_item(
            TableName=self._tickets,
            Key={"ticket_id": {"S": ticket_id}},
            UpdateExpression="SET execution_arn = :a",
            ExpressionAttributeValues={":a": {"S": execution_arn}},
        )

    def commit(self, transition: Transition, stage: str, signal: str, wait: dict[str, Any]) -> None:
        """The ticket's new state and its trail entry, together or not at all."""
        after = transition.after
        entry_key = f"{transition.entry['at']}#{after.version:06d}"
        entry = {"ticket_id": _to(after.ticket_id), "entry": _to(entry_key)}
        entry.update({k: _to(v) for k, v in transition.entry.items()})
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._tickets,
                            "Key": {"ticket_id": {"S": after.ticket_id}},
                            "UpdateExpression": "SET #status = :s, #category = :c, #finding = :f, #late = :l, "
                            "#version = :v, #signals.#stage = :sig, #wait = :w",
                            "ConditionExpression": "#version = :before",
                            "ExpressionAttributeNames": {
                                "#status": "status",
                                "#category": "category",
                                "#finding": "finding",
                                "#late": "late",
                                "#version": "version",
                                "#signals": "signals",
                                "#stage": stage,
                                "#wait": "wait",
                            },
                            "ExpressionAttributeValues": {
                                ":s": _to(after.status.value),
                                ":c": _to(after.category),
                                ":f": _to(after.finding),
                                ":l": _to(list(after.late)),
                                ":v": _to(after.version),
                                ":sig": _to(signal),
                                ":w": _to(wait),
                                ":before": _to(transition.before.version),
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._trail,
                            "Item": entry,
                            "ConditionExpression": "attribute_not_exists(entry)",
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException:
            raise IllegalTransition("the ticket changed meanwhile; read it again") from None

    def add_evidence(self, ticket_id: str, key: str, statuses: Iterable[str], limit: int) -> None:
        """Issues one more key, in the same conditional write that checks the ticket takes evidence and
        has fewer than `limit` keys (two concurrent requests cannot both take the last one)."""
        allowed = sorted(statuses)
        try:
            self._client.update_item(
                TableName=self._tickets,
                Key={"ticket_id": {"S": ticket_id}},
                UpdateExpression="ADD evidence_issued :k",
                ConditionExpression=(
                    "attribute_exists(ticket_id) AND #s IN ("
                    + ", ".join(f":s{i}" for i in range(len(allowed)))
                    + ") AND (attribute_not_exists(evidence_issued) OR size(evidence_issued) < :limit)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":k": {"SS": [key]},
                    ":limit": {"N": str(limit)},
                    **{f":s{i}": {"S": status} for i, status in enumerate(allowed)},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise Conflict(
                f"this ticket has {limit} evidence files already, or no longer takes evidence"
            ) from None

    def record_resumed(self, ticket_id: str, execution_arn: str, resumes: int, wait: dict[str, Any]) -> None:
        """The ticket's workflow runs again in a new execution: the stall, the dead task's token and the
        signals it never took are cleared (the new execution waits for the ticket's current stage)."""
        self._client.update_item(
            TableName=self._tickets,
            Key={"ticket_id": {"S": ticket_id}},
            UpdateExpression="SET execution_arn = :a, resumes = :n, #wait = :w, signals = :none "
            "REMOVE stalled, task_token, task_stage",
            ConditionExpression="attribute_exists(ticket_id) AND "
            "(attribute_not_exists(resumes) OR resumes < :n)",
            ExpressionAttributeNames={"#wait": "wait"},
            ExpressionAttributeValues={
                ":a": {"S": execution_arn},
                ":n": {"N": str(resumes)},
                ":w": _to(wait),
                ":none": {"M": {}},
            },
        )

    def set_token(self, ticket_id: str, stage: str, token: str, entered: str) -> StoredTicket | None:
        """Keeps the newest task token the workflow sent (tokens may arrive out of order)."""
        try:
            answer = self._client.update_item(
                TableName=self._tickets,
                Key={"ticket_id": {"S": ticket_id}},
                UpdateExpression="SET task_token = :t, task_stage = :s, task_at = :at",
                ConditionExpression="attribute_exists(ticket_id) AND "
                "(attribute_not_exists(task_at) OR task_at <= :at)",
                ExpressionAttributeValues={":t": {"S": token}, ":s": {"S": stage}, ":at": {"S": entered}},
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return StoredTicket(answer["Attributes"])

    def clear_signal(self, ticket_id: str, stage: str, token: str) -> None:
        """After the workflow took the signal: the token is spent, the signal delivered."""
        # A failed condition: a newer token is already stored; it belongs to the next stage.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._tickets,
                Key={"ticket_id": {"S": ticket_id}},
                UpdateExpression="REMOVE #signals.#stage, task_token, task_stage",
                ConditionExpression="task_token = :t",
                ExpressionAttributeNames={"#signals": "signals", "#stage": stage},
                ExpressionAttributeValues={":t": {"S": token}},
            )

    def reschedule(self, ticket: Ticket, new: Ticket, wait: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self._tickets,
                Key={"ticket_id": {"S": ticket.ticket_id}},
                UpdateExpression="SET contact_due = :cd, rectify_dues = :rd, provisional = :p, #wait = :w",
                ConditionExpression="#version = :v",
                ExpressionAttributeNames={"#wait": "wait", "#version": "version"},
                ExpressionAttributeValues={
                    ":cd": _to(new.contact_due.isoformat()),
                    ":rd": _to({k: v.isoformat() for k, v in new.rectify_dues.items()}),
                    ":p": _to(new.provisional),
                    ":w": _to(wait),
                    ":v": _to(ticket.version),
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def open_tickets(self) -> Iterator[StoredTicket]:
        """Every ticket not finished (operators' calendar loads only: a scan, rare and paged)."""
        paginator = self._client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=self._tickets,
            FilterExpression="NOT #status IN (:c, :i)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":c": {"S": "closed"}, ":i": {"S": "invalid"}},
            ConsistentRead=True,
        ):
            for raw in page.get("Items", []):
                yield StoredTicket(raw)

    def list(self, department: str | None) -> Iterator[Ticket]:
        if department is not None:
            paginator = self._client.get_paginator("query")
            pages = paginator.paginate(
                TableName=self._tickets,
                IndexName="by_department",
                KeyConditionExpression="department = :d",
                ExpressionAttributeValues={":d": {"S": department}},
            )
        else:
            pages = self._client.get_paginator("scan").paginate(TableName=self._tickets)
        for page in pages:
            for raw in page.get("Items", []):
                yield item_to_ticket(raw)

    # --- trail -----------------------------------------------------------------------------------

    def trail(self, ticket_id: str) -> list[dict[str, Any]]:
        answer = self._client.query(
            TableName=self._trail,
            KeyConditionExpression="ticket_id = :t",
            ExpressionAttributeValues={":t": {"S": ticket_id}},
            ConsistentRead=True,
        )
        entries = []
        for raw in answer.get("Items", []):
            entry = _from(raw)
            entry.pop("ticket_id")
            entry.pop("entry")
            entries.append(_plain(entry))
        return entries

    # --- the rating's side (COMMON.md contract 2) --------------------------------------------------

    def write_outcome(self, rating_id: str, ticket: Ticket) -> None:
        """The ticket's outcome onto the rating item; an older version never overwrites a newer one.
        An approved appeal makes the rating invalid in the same write."""
        update = "SET ticket = :t, ticket_version = :v"
        values: dict[str, Any] = {":t": _to(ticket.outcome()), ":v": _to(ticket.version)}
        if ticket.status is Status.INVALID:
            update += ", valid = :false"
            values[":false"] = {"BOOL": False}
        # A failed condition: a newer outcome is there already.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._ratings,
                Key={"rating_id": {"S": rating_id}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(rating_id) AND "
                "(attribute_not_exists(ticket_version) OR ticket_version < :v)",
                ExpressionAttributeValues=values,
            )

    def rating_outcome(self, rating_id: str) -> dict[str, Any] | None:
        raw = self._client.get_item(
            TableName=self._ratings, Key={"rating_id": {"S": rating_id}}, ProjectionExpression="ticket"
        ).get("Item")
        return _plain(_from(raw)["ticket"]) if raw and "ticket" in raw else None


class DynamoCalendar:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def get(self, year: int) -> YearCalendar | None:
        raw = self._client.get_item(TableName=self._table, Key={"year": {"N": str(year)}}).get("Item")
        if raw is None:
            return None
        item = _from(raw)
        return YearCalendar(
            year,
            item.get("status", OFFICIAL),
            frozenset(date.fromisoformat(d) for d in item.get("holidays", [])),
            frozenset(date.fromisoformat(d) for d in item.get("workdays", [])),
        )

    def put(self, calendar: YearCalendar, loaded_at: str) -> None:
        data = calendar.as_dict()
        data["loaded_at"] = loaded_at
        self._client.put_item(TableName=self._table, Item={k: _to(v) for k, v in data.items()})


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals and sets as JSON-able values."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


def dumps(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))
