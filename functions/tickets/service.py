"""Tickets: opening one per bad rating, the department's and reviewer's actions, evidence, the
workflow's task tokens, and the working-day calendar with its rescheduling of open tickets."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from functions.core.calendar_seed import seeded_year, statutory_days
from functions.core.domain.calendar import Due, WorkingCalendar, YearCalendar, parse_year_upload
from functions.core.domain.directory import SubjectKind, SubjectRef
from functions.core.domain.errors import Forbidden, IllegalTransition, NotFound
from functions.core.domain.params import Problems, parse_choice, parse_code, parse_flag, parse_int, parse_time
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.ratings import Rating, ticket_id_for
from functions.core.domain.regions import is_within
from functions.core.http.auth import Caller, Role
from functions.tickets.clock import Clock
from functions.tickets.evidence import MAX_PER_TICKET, check_cited, parse_request, type_of_key
from functions.tickets.rules import (
    CATEGORIES,
    STAGE_OF_ACTION,
    Actor,
    Status,
    Step,
    Ticket,
    apply_action,
    may_read,
    ticket_view,
)
from functions.tickets.store import DynamoCalendar, DynamoTickets, StoredTicket, dumps
from functions.tickets.workflow import EVIDENCE_URL_SECONDS, EvidenceUploads, StepFunctionsWorkflow

logger = logging.getLogger("haochaping.tickets")

# A ticket takes evidence until it is appealed or replied: what the appeal and the reply cite.
EVIDENCE_STATUSES = frozenset({Status.OPEN, Status.CONTACTED, Status.RECTIFYING})

# The longest deadline any province sets is 15 working days; a year's worth is the documented bound.
MAX_WORKING_DAYS = 366


class DirectoryReader(Protocol):
    def get_many(self, refs: Any) -> dict[SubjectRef, Any]: ...


@dataclass
class TicketService:
    store: DynamoTickets
    calendars: DynamoCalendar
    directory: DirectoryReader
    workflow: StepFunctionsWorkflow
    evidence: EvidenceUploads
    province: ProvinceConfig
    clock: Clock
    wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # --- the calendar ------------------------------------------------------------------------------

    def calendar(self) -> WorkingCalendar:
        """Fresh for each use: a year an operator loads counts from the next request on."""

        def year(number: int) -> YearCalendar:
            return self.calendars.get(number) or seeded_year(number)

        return WorkingCalendar(
            year,
            timezone=self.province.timezone,
            local_holidays=self.province.local_holidays,
            closing_time=self.province.closing_time,
        )

    def due(self, start: str | None, working_days: str | None) -> Due:
        problems = Problems()
        moment = problems.check(parse_time, start or "", "from")
        days = problems.check(parse_int, working_days or "", "working_days", 1, MAX_WORKING_DAYS)
        problems.raise_any()
        assert moment is not None and days is not None
        return self.calendar().due(moment, days)

    def year(self, number: int) -> YearCalendar:
        return self.calendar().year(number)

    def load_year(self, number: int, body: Any, caller: Caller) -> dict[str, Any]:
        """An operator's official schedule; open tickets' deadlines are recomputed at once and their
        running executions re-enter their waits with the new timeouts."""
        if caller.role is not Role.ADMIN:
            raise Forbidden("loading a calendar needs an admin token")
        schedule = parse_year_upload(number, body, statutory_days(number))
        self.calendars.put(schedule, self.wall_clock().isoformat())
        return {**schedule.as_dict(), "rescheduled": self.reschedule_open_tickets()}

    def reschedule_open_tickets(self) -> int:
        calendar = self.calendar()
        moved = 0
        for stored in self.store.open_tickets():
            ticket = stored.ticket
            new = self._with_deadlines(ticket, calendar)
            if (new.contact_due, dict(new.rectify_dues), new.provisional) == (
                ticket.contact_due,
                dict(ticket.rectify_dues),
                ticket.provisional,
            ):
                continue
            step = self._step(new)
            if not self.store.reschedule(ticket, new, _wait_item(step)):
                continue  # an action moved it meanwhile; that action's step used the old deadline
            moved += 1
            if stored.task_token and stored.task_stage not in stored.signals:
                self.workflow.reschedule(stored.task_token)
        return moved

    def _with_deadlines(self, ticket: Ticket, calendar: WorkingCalendar) -> Ticket:
        policy = self.province.deadlines
        contact = calendar.due(ticket.received_at, policy.contact)
        dues = {c: calendar.due(ticket.received_at, getattr(policy, c)) for c in CATEGORIES}
        return replace(
            ticket,
            contact_due=contact.at,
            rectify_dues={c: d.at for c, d in dues.items()},
            provisional=contact.provisional or any(d.provisional for d in dues.values()),
        )

    def _step(self, ticket: Ticket) -> dict[str, Any]:
        return Step.make(
            ticket,
            self.clock.now(),
            self.clock.seconds_until,
            timedelta(hours=self.province.deadlines.remind_before_hours),
        )

    # --- opening ------------------------------------------------------------------------------------

    def open_ticket(self, rating: Rating) -> str:
        """Exactly one ticket and one execution for a bad rating, whatever the retries: the ticket is
        put once (its execution input stored with it), the execution is started under the rating's id
        with that same input, and recorded last. A crash anywhere repeats only what is idempotent."""
        ticket_id = ticket_id_for(rating.rating_id)
        department = rating.department or self._office(rating)
        supervisor = self._supervisor(department, rating)
        calendar = self.calendar()
        received = self.clock.now().astimezone(calendar.zone)
        ticket = self._with_deadlines(
            Ticket(
                ticket_id=ticket_id,
                rating_id=rating.rating_id,
                department=department,
                supervisor=supervisor,
                named=rating.named,
                status=Status.OPEN,
                received_at=received,
                contact_due=received,
                rectify_dues={},
                provisional=False,
            ),
            calendar,
        )
        step = self._step(ticket)
        execution_input = _execution_input(ticket, step)
        stored, created = self.store.create(ticket, execution_input, _wait_item(step))
        if stored.execution_arn:
            return ticket_id  # a duplicate delivery of a ticket fully opened
        arn = self.workflow.start(rating.rating_id, stored.execution_input or execution_input)
        # Published before the execution is recorded: a crash in between publishes it twice (at least
        # once), never not at all.
        self._publish("opened", stored.ticket, "contact", stored.ticket.contact_due)
        self.store.record_execution(ticket_id, arn)
        self.store.write_outcome(rating.rating_id, stored.ticket)
        if created:
            logger.info("ticket opened", extra={"ticket_id": ticket_id, "department": department})
        return ticket_id

    def _office(self, rating: Rating) -> str:
        regions = [key.split("#", 1)[1] for key in rating.paths if key.startswith("region#")]
        office = self.province.administration_office(regions)
        if office is None:
            raise ValueError(f"no administration office configured for region {rating.region}")
        return office

    def _supervisor(self, department: str, rating: Rating) -> str | None:
        ref = SubjectRef(SubjectKind.DEPARTMENT, department)
        entry = self.directory.get_many([ref]).get(ref)
        if entry is not None and entry.parent is not None:
            return str(entry.parent.code)
        return rating.region

    # --- the workflow's tokens ---------------------------------------------------------------------

    def take_token(self, ticket_id: str, stage: str, token: str, entered: str) -> None:
        stored = self.store.set_token(ticket_id, stage, token, entered)
        if stored is not None:
            self._deliver(stored)

    def _deliver(self, stored: StoredTicket) -> None:
        """Hands the action recorded for the stage the workflow waits for (if any) to its task. Actions
        may come faster than the workflow moves: each waits under its stage until that stage's token
        is stored, and whoever sees both first (the action or the token's consumer) delivers it."""
        token, stage = stored.task_token, stored.task_stage
        if not token or not stage or stage not in stored.signals:
            return
        if self.workflow.succeed(token, stored.signals[stage]):
            self.store.clear_signal(stored.ticket.ticket_id, stage, token)

    def resume(self, ticket_id: str) -> dict[str, Any]:
        """Runs a stalled ticket's workflow again (python -m functions.tickets.resume): a new execution,
        named `<rating_id>-r<n>`, waits for the ticket's current stage with deadlines counted from now;
        an action the department took meanwhile is already in the ticket's status. Refused while the
        ticket's execution still runs or after it ended well."""
        stored = self.store.get(ticket_id)
        ticket = stored.ticket
        if ticket.stage is None:
            raise IllegalTransition(f"{ticket_id} is {ticket.status.value}: nothing to resume")
        if stored.stalled is None and stored.execution_arn:
            status = self.workflow.status(stored.execution_arn)
            if status in ("RUNNING", "SUCCEEDED"):
                raise IllegalTransition(f"{ticket_id}'s workflow is {status.lower()}, not stalled")
        resumes = stored.resumes + 1
        step = self._step(ticket)
        arn = self.workflow.start(f"{ticket.rating_id}-r{resumes}", _execution_input(ticket, step))
        self.store.record_resumed(ticket_id, arn, resumes, _wait_item(step))
        logger.info("ticket resumed", extra={"ticket_id": ticket_id, "resumes": resumes})
        return {"ticket_id": ticket_id, "execution_arn": arn, "stage": step["stage"], "resumes": resumes}

    # --- people -----------------------------------------------------------------------------------

    def get(self, ticket_id: str, caller: Caller) -> dict[str, Any]:
        actor = self._actor(caller)
        stored = self._readable_stored(ticket_id, actor)
        return {**ticket_view(stored.ticket, self.store.trail(ticket_id)), "stalled": stored.stalled}

    def list(
        self, caller: Caller, department: str | None, status: str | None, overdue: str | None
    ) -> dict[str, Any]:
        actor = self._actor(caller)
        problems = Problems()
        if status is not None:
            problems.check(parse_choice, status, "status", [s.value for s in Status])
        if overdue is not None:
            problems.check(parse_flag, overdue, "overdue")
        if department is not None:
            problems.check(parse_code, department, "department")
        problems.raise_any()
        if actor.role == "department":
            if department not in (None, actor.scope):
                raise Forbidden("a department sees its own tickets only")
            department = actor.scope
        found = []
        for ticket in self.store.list(department):
            if not may_read(ticket, actor, is_within):
                continue
            if status is not None and ticket.status.value != status:
                continue
            if overdue is not None and bool(ticket.overdue) != (overdue == "true"):
                continue
            view = ticket_view(ticket, [])
            view.pop("trail")
            found.append(view)
        found.sort(key=lambda v: v["received_at"])
        return {"tickets": found}

    def act(self, ticket_id: str, action: str, body: Any, caller: Caller) -> dict[str, Any]:
        actor = self._actor(caller)
        ticket = self._readable(ticket_id, actor)
        now = self.clock.now()
        transition = apply_action(ticket, action, body, actor, now, is_within)
        cited = transition.entry.get("evidence") or []
        if cited:
            # Checked once the action is otherwise valid: each key names one uploaded file of its type.
            transition.entry["evidence_versions"] = check_cited({k: self.evidence.inspect(k) for k in cited})
        after = transition.after
        step = None if transition.end else self._step(after)
        output = dumps({"end": transition.end, "step": step})
        self.store.commit(transition, STAGE_OF_ACTION[action], output, _wait_item(step))
        self.store.write_outcome(after.rating_id, after)
        # Read again after the commit: a token stored meanwhile is the one that must take the signal
        # (its consumer, if it ran before the commit, found no signal to deliver).
        self._deliver(self.store.get(ticket_id))
        if action == "reply":
            self._publish("replied", after, "revisit", None)
        elif after.status.finished:
            self._publish("closed", after, STAGE_OF_ACTION[action], None)
        return ticket_view(after, self.store.trail(ticket_id))

    def issue_evidence(self, ticket_id: str, body: Any, caller: Caller) -> dict[str, Any]:
        """A pre-signed POST form for one evidence file (functions.tickets.evidence says what is taken)."""
        actor = self._actor(caller)
        ticket = self._readable(ticket_id, actor)
        if actor.role != "admin" and (actor.role != "department" or actor.scope != ticket.department):
            raise Forbidden("evidence is uploaded by the ticket's department")
        request = parse_request(body)
        if ticket.status not in EVIDENCE_STATUSES:
            raise IllegalTransition(f"a ticket that is {ticket.status.value} takes no more evidence")
        key = f"tickets/{ticket_id}/{uuid.uuid4().hex}.{request.extension}"
        self.store.add_evidence(ticket_id, key, (s.value for s in EVIDENCE_STATUSES), MAX_PER_TICKET)
        return {
            "key": key,
            "upload": self.evidence.upload_form(key, request.content_type, request.size),
            "expires_in": EVIDENCE_URL_SECONDS,
        }

    def evidence_download(self, ticket_id: str, file_name: str, caller: Caller) -> dict[str, Any]:
        """A download of a file the trail cites, for people who may read the ticket."""
        actor = self._actor(caller)
        self._readable(ticket_id, actor)
        key = f"tickets/{ticket_id}/{file_name}"
        for entry in self.store.trail(ticket_id):
            version = (entry.get("evidence_versions") or {}).get(key)
            content_type = type_of_key(key)
            if version and content_type:
                return {
                    "key": key,
                    "url": self.evidence.download_url(key, version, content_type),
                    "content_type": content_type,
                    "expires_in": EVIDENCE_URL_SECONDS,
                }
        raise NotFound("no evidence file of that name is cited by this ticket")

    def _readable(self, ticket_id: str, actor: Actor) -> Ticket:
        return self._readable_stored(ticket_id, actor).ticket

    def _readable_stored(self, ticket_id: str, actor: Actor) -> StoredTicket:
        """The ticket, if the actor may read it. Another scope's ticket is answered as one that does not
        exist (404 both ways), so that nobody learns which ticket ids exist outside their scope."""
        try:
            stored = self.store.get(ticket_id)
        except NotFound:
            raise NotFound("no such ticket in your scope") from None
        if not may_read(stored.ticket, actor, is_within):
            raise NotFound("no such ticket in your scope")
        return stored

    def _actor(self, caller: Caller) -> Actor:
        if caller.role is None:
            raise Forbidden("tickets are for people with a bearer token")
        if caller.role is Role.DEPARTMENT:
            ref = SubjectRef(SubjectKind.DEPARTMENT, caller.scope or "")
            if ref not in self.directory.get_many([ref]):
                raise Forbidden("the token's department is not in the directory")
        return Actor(caller.role.value, caller.scope, f"{caller.role.value}:{caller.scope or '-'}")

    def _publish(self, event: str, ticket: Ticket, stage: str, due: datetime | None) -> None:
        self.workflow.publish(
            {
                "event": event,
                "ticket_id": ticket.ticket_id,
                "rating_id": ticket.rating_id,
                "department": ticket.department,
                "supervisor": ticket.supervisor,
                "stage": stage,
                "due": due.isoformat() if due else None,
            }
        )


def _execution_input(ticket: Ticket, step: dict[str, Any]) -> str:
    """A ticket execution's input (statemachines/ticket.asl.json)."""
    return json.dumps(
        {
            "ticket_id": ticket.ticket_id,
            "rating_id": ticket.rating_id,
            "department": ticket.department,
            "supervisor": ticket.supervisor,
            "step": step,
        },
        sort_keys=True,
    )


def _wait_item(step: dict[str, Any] | None) -> dict[str, Any]:
    """The step as the state machine reads it back after a reschedule (due as a string always)."""
    step = step or {"stage": "none", "remind_in": 0, "due_in": 0, "due": None}
    return {**step, "due": step["due"] or ""}
