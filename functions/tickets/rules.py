"""The closed loop of a bad-rating ticket (DOMAIN.md "Bad-rating tickets"), as pure rules: what a
ticket is, which action may follow which, what each action records, which stage the workflow waits
for next and until when, and the outcome the rating item carries (COMMON.md contract 2).

Statuses: open → contacted → rectifying → replied → closed; contacted → appealing → invalid, or back
to rectifying with the original deadline. The workflow waits for one stage at a time:

    status      stage the workflow waits for   its deadline
    open        contact                        contact_due
    contacted   verify                         the longest reply deadline (complex) until classified
    rectifying  reply                          the reply deadline of the category (from receipt)
    appealing   appeal                         none (the reviewer decides)
    replied     revisit                        none
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from functions.core.domain.errors import Forbidden, IllegalTransition, ValidationFailed

MAX_NOTE = 2000
MAX_EVIDENCE = 20


class Status(StrEnum):
    OPEN = "open"
    CONTACTED = "contacted"
    RECTIFYING = "rectifying"
    APPEALING = "appealing"
    REPLIED = "replied"
    CLOSED = "closed"
    INVALID = "invalid"

    @property
    def finished(self) -> bool:
        return self in (Status.CLOSED, Status.INVALID)


CATEGORIES = ("simple", "general", "complex")
FINDINGS = ("valid", "misrating", "malicious")
ACTIONS = ("contact", "verify", "decide-appeal", "reply", "revisit")

# The stage the workflow waits for in each status, and which action completes it.
STAGE_OF_STATUS = {
    Status.OPEN: "contact",
    Status.CONTACTED: "verify",
    Status.RECTIFYING: "reply",
    Status.APPEALING: "appeal",
    Status.REPLIED: "revisit",
}
STAGE_OF_ACTION = {
    "contact": "contact",
    "verify": "verify",
    "decide-appeal": "appeal",
    "reply": "reply",
    "revisit": "revisit",
}
ALLOWED_FROM = {
    "contact": Status.OPEN,
    "verify": Status.CONTACTED,
    "decide-appeal": Status.APPEALING,
    "reply": Status.RECTIFYING,
    "revisit": Status.REPLIED,
}


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    rating_id: str
    department: str
    supervisor: str | None  # the region above the department: where escalations go
    named: bool  # the rater left a phone number (named_reply_rate counts these)
    status: Status
    received_at: datetime
    contact_due: datetime
    rectify_dues: Mapping[str, datetime]  # category -> reply deadline, all counted from receipt
    provisional: bool
    category: str | None = None
    finding: str | None = None
    overdue: Mapping[str, str] = field(default_factory=dict)  # stage -> when it was marked overdue
    late: tuple[str, ...] = ()  # stages whose action came after the deadline
    evidence_issued: frozenset[str] = frozenset()
    version: int = 1

    @property
    def stage(self) -> str | None:
        return STAGE_OF_STATUS.get(self.status)

    @property
    def rectify_due(self) -> datetime | None:
        return self.rectify_dues[self.category] if self.category else None

    def stage_due(self, stage: str | None) -> datetime | None:
        if stage == "contact":
            return self.contact_due
        if stage == "verify":
            return self.rectify_dues["complex"]
        if stage == "reply":
            return self.rectify_due
        return None

    @property
    def on_time(self) -> bool:
        return not self.overdue and not self.late

    def outcome(self) -> dict[str, Any]:
        """What the rating item carries (COMMON.md contract 2)."""
        replied = self.status in (Status.REPLIED, Status.CLOSED)
        return {
            "status": self.status.value,
            "contacted": self.status is not Status.OPEN,
            "rectified": replied,
            "replied": replied,
            "finished": self.status.finished,
            "on_time": self.status.finished and self.on_time,
        }


class Step:
    """What the workflow waits for next: a stage, the real seconds until its reminder (0: none) and
    then until its deadline (0: none), and the deadline itself (for the messages)."""

    @staticmethod
    def make(ticket: Ticket, now: datetime, seconds_until: Any, remind_before: timedelta) -> dict[str, Any]:
        stage = ticket.stage
        due = ticket.stage_due(stage)
        if stage is None:
            return {"stage": "none", "remind_in": 0, "due_in": 0, "due": None}
        if due is None or (due <= now and stage in ticket.overdue):
            return {"stage": stage, "remind_in": 0, "due_in": 0, "due": due.isoformat() if due else None}
        remind_at = due - remind_before
        remind_in = seconds_until(remind_at) if remind_before and remind_at > now else 0
        due_in = max(1, seconds_until(due) - remind_in)
        return {"stage": stage, "remind_in": remind_in, "due_in": due_in, "due": due.isoformat()}


@dataclass(frozen=True)
class Actor:
    role: str  # department | reviewer | admin
    scope: str | None
    label: str  # who, as the trail records it (role and scope; never a person's name)


@dataclass(frozen=True)
class Transition:
    before: Ticket
    after: Ticket
    entry: dict[str, Any]  # the trail entry
    end: bool  # the workflow ends with this action


def apply_action(
    ticket: Ticket, action: str, body: Any, actor: Actor, now: datetime, is_within: Any
) -> Transition:
    """Checks who may act, what they sent, and whether the action follows the ticket's status; raises
    Forbidden, ValidationFailed or IllegalTransition, in that order, before anything changes."""
    if action not in ACTIONS:
        raise ValidationFailed({"action": f"one of {', '.join(ACTIONS)}"})
    _authorize(ticket, action, actor, is_within)
    fields = _parse(action, body, ticket)
    expected = ALLOWED_FROM[action]
    if ticket.status is not expected:
        raise IllegalTransition(
            f"{action} needs a ticket that is {expected.value}; this one is {ticket.status.value}"
        )
    stage = STAGE_OF_ACTION[action]
    due = ticket.stage_due(stage)
    late = due is not None and now > due
    changes: dict[str, Any] = {"version": ticket.version + 1}
    end = False
    if action == "contact":
        changes["status"] = Status.CONTACTED
    elif action == "verify":
        changes["finding"] = fields["finding"]
        if fields["finding"] == "valid":
            changes["status"] = Status.RECTIFYING
            changes["category"] = fields["category"]
        else:
            changes["status"] = Status.APPEALING
    elif action == "decide-appeal":
        if fields["approve"]:
            changes["status"] = Status.INVALID
            end = True
        else:
            changes["status"] = Status.RECTIFYING
            changes["finding"] = "valid"
            changes["category"] = fields.get("category") or "general"
    elif action == "reply":
        changes["status"] = Status.REPLIED
    elif action == "revisit":
        changes["status"] = Status.CLOSED
        end = True
    if late:
        changes["late"] = (*ticket.late, stage)
    entry = {
        "at": now.isoformat(),
        "by": actor.label,
        "action": action,
        "note": fields.get("note"),
        "evidence": list(fields.get("evidence", ())),
        "late": late,
        **{k: v for k, v in fields.items() if k not in ("note", "evidence")},
    }
    return Transition(ticket, replace(ticket, **changes), entry, end)


def _authorize(ticket: Ticket, action: str, actor: Actor, is_within: Any) -> None:
    if action == "decide-appeal":
        if actor.role == "admin":
            return
        if actor.role != "reviewer" or not ticket.supervisor or not is_within(ticket.supervisor, actor.scope):
            raise Forbidden("an appeal is decided by a reviewer of the department's region")
        return
    if actor.role == "admin":
        return
    if actor.role != "department" or actor.scope != ticket.department:
        raise Forbidden("a department acts on its own tickets only")


def may_read(ticket: Ticket, actor: Actor, is_within: Any) -> bool:
    if actor.role == "admin":
        return True
    if actor.role == "department":
        return actor.scope == ticket.department
    return bool(actor.role == "reviewer" and ticket.supervisor and is_within(ticket.supervisor, actor.scope))


def _parse(action: str, body: Any, ticket: Ticket) -> dict[str, Any]:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    allowed = {
        "contact": {"note"},
        "verify": {"finding", "category", "reason", "evidence", "note"},
        "decide-appeal": {"approve", "reason", "category"},
        "reply": {"report", "evidence", "note"},
        "revisit": {"satisfied", "note"},
    }[action]
    errors: dict[str, str] = {name: "unknown field" for name in sorted(set(body) - allowed)}
    fields: dict[str, Any] = {}
    for name in ("note", "reason", "report"):
        if name in allowed and name in body:
            value = body[name]
            if not isinstance(value, str) or len(value) > MAX_NOTE:
                errors[name] = f"a text of at most {MAX_NOTE} characters"
            else:
                fields[name] = value
    if "evidence" in allowed:
        evidence = body.get("evidence", [])
        if not isinstance(evidence, list) or not all(isinstance(k, str) for k in evidence):
            errors["evidence"] = "a list of evidence keys from POST /v1/tickets/{ticket_id}/evidence"
        elif len(evidence) > MAX_EVIDENCE:
            errors["evidence"] = f"at most {MAX_EVIDENCE} keys"
        else:
            unissued = [k for k in evidence if k not in ticket.evidence_issued]
            if unissued:
                errors["evidence"] = f"{len(unissued)} key(s) were not issued for this ticket"
            fields["evidence"] = tuple(evidence)
    if action == "verify":
        finding = body.get("finding")
        if finding not in FINDINGS:
            errors["finding"] = f"one of {', '.join(FINDINGS)}"
        elif finding == "valid":
            if body.get("category") not in CATEGORIES:
                errors["category"] = f"one of {', '.join(CATEGORIES)}"
            fields["category"] = body.get("category")
        else:
            if "category" in body:
                errors["category"] = "only a valid finding is classified"
            if not fields.get("reason"):
                errors["reason"] = "an appeal states its reason"
            if not fields.get("evidence"):
                errors.setdefault("evidence", "an appeal cites its evidence")
        fields["finding"] = finding
    elif action == "decide-appeal":
        if not isinstance(body.get("approve"), bool):
            errors["approve"] = "true or false"
        if "category" in body and (body.get("approve") is not False or body["category"] not in CATEGORIES):
            errors["category"] = f"on rejection, one of {', '.join(CATEGORIES)}"
        fields["approve"] = body.get("approve")
        if "category" in body:
            fields["category"] = body["category"]
    elif action == "reply":
        if not fields.get("report"):
            errors["report"] = "the rectification report is required"
    elif action == "revisit":
        if not isinstance(body.get("satisfied"), bool):
            errors["satisfied"] = "true or false"
        fields["satisfied"] = body.get("satisfied")
    if errors:
        raise ValidationFailed(errors)
    return fields


def ticket_view(ticket: Ticket, trail: list[dict[str, Any]]) -> dict[str, Any]:
    """The ticket as API.md shows it."""
    return {
        "ticket_id": ticket.ticket_id,
        "rating_id": ticket.rating_id,
        "department": ticket.department,
        "supervisor": ticket.supervisor,
        "status": ticket.status.value,
        "stage": ticket.stage,
        "finding": ticket.finding,
        "category": ticket.category,
        "received_at": ticket.received_at.isoformat(),
        "contact_due": ticket.contact_due.isoformat(),
        "rectify_due": ticket.rectify_due.isoformat() if ticket.rectify_due else None,
        "rectify_dues": {k: v.isoformat() for k, v in ticket.rectify_dues.items()},
        "provisional": ticket.provisional,
        "overdue": sorted(ticket.overdue),
        "late": list(ticket.late),
        "on_time": ticket.on_time,
        "trail": trail,
    }
