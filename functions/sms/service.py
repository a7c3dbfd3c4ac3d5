"""The SMS channel's logic over its ports (no boto3 here): completed cases and their invitations,
inbound replies that become ratings through the rate function's own service, ticket notifications,
and the sender that alone turns a sealed phone or an office's contact into a number.

Rules worth knowing:
- One invitation per case (a conditional write keyed by the case); none for a case already rated on
  any channel, none to a number that opted out. Inside the province's quiet hours an invitation waits
  (`pending`, on the `due` index) until the periodic release sends it.
- A reply rates the number's most recently sent open invitation. When others stay open, the answer
  (thanks or help) names the next one, which the next reply rates: a number with three open
  invitations rates them newest first, one reply each. The thanks names the case it rated.
- A reply is taken once per provider message id: its first delivery binds the id to the case it rates
  (a conditional write), and a redelivery (SNS delivers at least once) finds that binding, rates
  nothing more and texts nothing more. A crash between binding and rating is finished by the
  redelivery, on the same case and with the same rating id.
- An unparseable reply gets the help text once per invitation; later ones get no answer.
- Where the province requires a bad rating's reason, a bad level without words gets one text asking
  for it; the level waits on the invitation and the next reply's words are its comment.
- A case's rating period (ProvinceConfig.ratings) holds for replies as for every channel: a reply
  after it is answered as expired and stored nowhere.
- A reply that finds no open invitation is answered (expired, or no invitation) and stored nowhere.
- Texts are published with an idempotency key; the sender sends each key once."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from functions.core.domain.directory import (
    DirectoryEntry,
    SubjectKind,
    SubjectRef,
    required_refs,
    resolve_subjects,
)
from functions.core.domain.errors import CaseAlreadyRated, Conflict, RatingPeriodOver
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.ratings import MAX_COMMENT, RaterInput, Rating, _zone
from functions.core.storage.cases import DEFAULT_DUE, utc_text
from functions.sms.outbound import OutboundText, Provider
from functions.sms.replies import OptOut, Rate, parse_reply, reason_words
from functions.sms.rules import expiry, parse_case_request, parse_inbound, release_time, render
from functions.sms.storage import DynamoSms, Invitation

logger = logging.getLogger("haochaping.sms")

# Recorded on SMS ratings where a channel's key label would be: the SMS gateway has no API key.
SMS_CHANNEL_LABEL = "sms-inbound"
TICKET_EVENTS = frozenset({"opened", "reminder", "overdue", "escalated", "replied", "closed"})


class DirectoryReader(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...


class RatingAcceptor(Protocol):
    def accept(self, body: Any, channel_key: str | None = None) -> Any: ...


class RatingReader(Protocol):
    def get(self, rating_id: str) -> Rating | None: ...


class Publisher(Protocol):
    def publish(self, text: OutboundText) -> None: ...


class Sealer(Protocol):
    def phone_hash(self, phone: str) -> str: ...
    def protect(self, rater: RaterInput) -> Any: ...
    def unseal(self, sealed: bytes) -> dict[str, str | None]: ...


def sms_rating_id(case_no: str) -> str:
    """The rating a reply makes of a case has one id whatever the redeliveries of that reply."""
    return "sms-" + hashlib.sha256(case_no.encode()).hexdigest()[:40]


@dataclass
class SmsService:
    store: DynamoSms
    directory: DirectoryReader
    protector: Sealer
    ratings: RatingAcceptor
    rating_reader: RatingReader
    outbound: Publisher
    province: ProvinceConfig
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    # --- completed cases -------------------------------------------------------------------------

    def record_case(self, body: Any) -> dict[str, Any]:
        now = self.clock()
        request = parse_case_request(body, now)
        entries = self.directory.get_many(required_refs(request.subjects))
        resolved = resolve_subjects(request.subjects, entries)
        protected = self.protector.protect(RaterInput("person", request.phone, None, None))
        zone = _zone(self.province.timezone)
        fields: dict[str, Any] = {
            kind.value: {"S": code} for kind, code in resolved.named.items() if kind is not SubjectKind.REGION
        }
        fields["region"] = {"S": resolved.region}
        fields["paths"] = {"L": [{"S": key} for key in resolved.paths]}
        fields["completed_at"] = {"S": request.completed_at.isoformat()}
        fields["day"] = {"S": request.completed_at.astimezone(zone).date().isoformat()}
        rules = self.province.ratings
        if rules.rating_period_days is not None:
            # The end of the rating period, checked by every rating's claim of the case; where the
            # province rates by default, the case waits on the `default_due` index until it is rated.
            fields["rate_until"] = {
                "S": utc_text(request.completed_at + timedelta(days=rules.rating_period_days))
            }
            if rules.default_rating:
                fields[DEFAULT_DUE] = {"S": DEFAULT_DUE}
        recorded = self.store.record_case(request.case_no, request.fingerprint(protected.phone_hash), fields)
        answer: dict[str, Any] = {"case_no": request.case_no}
        if recorded.rating_id is not None:
            return {**answer, "invitation": "already_rated"}
        if not recorded.created:
            existing = self._invitation(protected.phone_hash, request.case_no)
            if existing is not None:
                return {**answer, "invitation": "already_invited"}
        if self.store.opted_out(protected.phone_hash):
            return {**answer, "invitation": "opted_out"}

        item = entries[SubjectRef(SubjectKind.ITEM, request.subjects[SubjectKind.ITEM])]
        department = entries[SubjectRef(SubjectKind.DEPARTMENT, request.subjects[SubjectKind.DEPARTMENT])]
        send_after = release_time(now, self.province.sms, zone)
        immediate = send_after <= now
        invitation = Invitation(
            phone_hash=protected.phone_hash,
            case_no=request.case_no,
            sealed=protected.sealed,
            subjects={kind: code for kind, code in request.subjects.items()},
            item_name=item.name,
            department_name=department.name,
            created_at=now,
            send_after=send_after,
            status="sent" if immediate else "pending",
            sent_at=now if immediate else None,
            expires=expiry(now, self.province.sms) if immediate else None,
        )
        if immediate:
            # Published before it is stored: a crash in between leaves a case whose retry publishes
            # again under the same key (sent once) and stores it then.
            self.outbound.publish(self._invitation_text(invitation))
        created = self.store.create_invitation(invitation)
        if not created:
            return {**answer, "invitation": "already_invited"}
        if immediate:
            return {**answer, "invitation": "sent"}
        return {**answer, "invitation": "scheduled", "send_after": send_after.astimezone(zone).isoformat()}

    def _invitation(self, phone_hash: str, case_no: str) -> Invitation | None:
        return next((i for i in self.store.invitations(phone_hash) if i.case_no == case_no), None)

    def _invitation_text(self, invitation: Invitation) -> OutboundText:
        body = render(
            self.province.sms.invitation,
            item=invitation.item_name,
            department=invitation.department_name,
            case_no=invitation.case_no,
            valid_days=self.province.sms.invitation_valid_days,
        )
        return OutboundText.to_sealed(
            f"invitation:{invitation.case_no}", "invitation", invitation.sealed, body
        )

    def release_due(self) -> int:
        """Send the invitations whose quiet hours are over (the periodic release)."""
        now = self.clock()
        released = 0
        for invitation in self.store.due(now):
            self.outbound.publish(self._invitation_text(invitation))
            self.store.mark_sent(invitation, now, expiry(now, self.province.sms))
            released += 1
        return released

    # --- inbound replies -------------------------------------------------------------------------

    def receive(self, body: Any, message_id: str) -> dict[str, Any]:
        """An inbound text {"from", "body"}: the outcome, and the answer texted back (if any)."""
        phone, text = parse_inbound(body)
        now = self.clock()
        texts = self.province.sms
        protected = self.protector.protect(RaterInput("person", phone, None, None))
        phone_hash = protected.phone_hash

        def answer(purpose: str, message: str) -> None:
            self.outbound.publish(
                OutboundText.to_sealed(f"answer:{message_id}", purpose, protected.sealed, message)
            )

        reply = parse_reply(text, texts.opt_out_words)
        invitations = self.store.invitations(phone_hash)
        if isinstance(reply, OptOut):
            self.store.opt_out(phone_hash, now)
            for invitation in invitations:
                if invitation.status in ("pending", "sent"):
                    self.store.set_status(invitation, "opted_out")
            answer("opted_out", texts.opted_out)
            return {"outcome": "opted_out"}

        open_ = sorted(
            (i for i in invitations if i.open_at(now)),
            key=lambda i: (i.sent_at or i.created_at, i.case_no),
            reverse=True,
        )
        if not open_:
            if any(i.expired_at(now) for i in invitations):
                answer("expired", texts.expired)
                return {"outcome": "expired"}
            answer("no_invitation", texts.no_invitation)
            return {"outcome": "no_invitation"}
        target, others = open_[0], open_[1:]

        if isinstance(reply, Rate) or target.awaiting_level is not None:
            bound = self.store.claim_message(message_id, phone_hash, target.case_no, now)
            if bound != target.case_no:
                # A redelivery: the first delivery rated `bound` (or will, if it crashed before).
                first = next((i for i in invitations if i.case_no == bound), None)
                if first is None or first.status != "sent":
                    return {"outcome": "duplicate", "case_no": bound}
                target = first
                others = [i for i in open_ if i.case_no != bound]

        if isinstance(reply, Rate):
            level, comment = reply.satisfaction, reply.comment
        elif target.awaiting_level is not None:
            # The reason asked for: the words of this reply, with the level replied before.
            level, comment = target.awaiting_level, reason_words(text)
        else:
            if not self.store.claim_help(target):
                return {"outcome": "ignored"}
            answer("help", texts.help + self._more_pending([target, *others]))
            return {"outcome": "help", "case_no": target.case_no}

        if self.province.ratings.reason_required and level <= 2 and not comment:
            if target.awaiting_level is None and self.store.await_reason(target, level):
                answer("reason", texts.reason_request)
                return {"outcome": "reason_requested", "case_no": target.case_no}
            return {"outcome": "ignored"}

        rating_body: dict[str, Any] = {
            "rating_id": sms_rating_id(target.case_no),
            "channel": "sms",
            "satisfaction": level,
            "subjects": {kind.value: code for kind, code in target.subjects.items()},
            "case_no": target.case_no,
            "rater": {"phone": phone},
        }
        if comment:
            rating_body["comment"] = comment[:MAX_COMMENT]
        try:
            accepted = self.ratings.accept(rating_body, channel_key=SMS_CHANNEL_LABEL)
        except RatingPeriodOver:
            self.store.set_status(target, "closed")
            answer("expired", texts.expired + self._more_pending(others))
            return {"outcome": "expired", "case_no": target.case_no}
        except (CaseAlreadyRated, Conflict):
            # Rated on another channel meanwhile, or by another reply racing this one.
            self.store.set_status(target, "closed")
            answer("already_rated", texts.already_rated + self._more_pending(others))
            return {"outcome": "already_rated", "case_no": target.case_no}
        rating = accepted.rating
        self.store.set_status(target, "rated", rating.rating_id)
        answer(
            "thanks",
            render(texts.thanks, case_no=target.case_no, item=target.item_name) + self._more_pending(others),
        )
        return {
            "outcome": "rated",
            "case_no": target.case_no,
            "rating_id": rating.rating_id,
            "ticket_id": rating.ticket_id,
        }

    def _more_pending(self, still_open: list[Invitation]) -> str:
        if not still_open:
            return ""
        nxt = still_open[0]
        return render(
            self.province.sms.more_pending, count=len(still_open), item=nxt.item_name, case_no=nxt.case_no
        )

    # --- ticket notifications --------------------------------------------------------------------

    def notify(self, event: Mapping[str, Any]) -> str:
        """A ticket event (COMMON.md contract 3): who hears of it, by SMS. Returns what was done."""
        kind = event.get("event")
        ticket_id = event.get("ticket_id")
        if kind not in TICKET_EVENTS or not isinstance(ticket_id, str):
            raise ValueError("not a ticket event")
        texts = self.province.sms
        department = event.get("department") if isinstance(event.get("department"), str) else None
        supervisor = event.get("supervisor") if isinstance(event.get("supervisor"), str) else None
        key = f"ticket:{kind}:{ticket_id}:{event.get('stage') or ''}"
        due = self._local_time(event.get("due"))
        if kind in ("opened", "reminder"):
            contact = self._contact(SubjectKind.DEPARTMENT, department) or self._contact(
                SubjectKind.REGION, supervisor
            )
            if contact is None:
                return "no_contact"
            template = texts.ticket_notice if kind == "opened" else texts.reminder_notice
            purpose = "ticket" if kind == "opened" else "reminder"
            body = render(template, ticket_id=ticket_id, due=due)
            self.outbound.publish(OutboundText.to_contact(key, purpose, contact, body))
            return purpose
        if kind == "escalated":
            contact = self._contact(SubjectKind.REGION, supervisor) or self._supervisor_of(department)
            if contact is None:
                return "no_contact"
            body = render(texts.escalation_notice, ticket_id=ticket_id, department=self._name(department))
            self.outbound.publish(OutboundText.to_contact(key, "escalation", contact, body))
            return "escalation"
        if kind == "replied":
            rating_id = event.get("rating_id")
            rating = self.rating_reader.get(rating_id) if isinstance(rating_id, str) else None
            if rating is None or rating.rater is None:
                return "anonymous"  # only named raters can be told
            body = render(texts.reply_notice, department=self._name(rating.department))
            self.outbound.publish(OutboundText.to_sealed(key, "reply", rating.rater.sealed, body))
            return "reply"
        return "ignored"

    def _local_time(self, value: Any) -> str:
        if not isinstance(value, str):
            return ""
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is None:
            return value
        return moment.astimezone(_zone(self.province.timezone)).strftime("%Y-%m-%d %H:%M")

    def _entry(self, kind: SubjectKind, code: str | None) -> DirectoryEntry | None:
        if not code:
            return None
        ref = SubjectRef(kind, code)
        return self.directory.get_many([ref]).get(ref)

    def _contact(self, kind: SubjectKind, code: str | None) -> str | None:
        """The nearest office on the path from `code` upwards that has a duty number."""
        entry = self._entry(kind, code)
        if entry is None:
            return None
        contacts = self.province.sms.contacts
        return next((step.key for step in entry.path if step.key in contacts), None)

    def _supervisor_of(self, department: str | None) -> str | None:
        entry = self._entry(SubjectKind.DEPARTMENT, department)
        if entry is None:
            return None
        contacts = self.province.sms.contacts
        return next((s.key for s in entry.ancestors if s.key in contacts), None)

    def _name(self, department: str | None) -> str:
        entry = self._entry(SubjectKind.DEPARTMENT, department)
        return entry.name if entry else (department or "")


@dataclass
class Sender:
    """The only place a number exists: opens the sealed phone or looks up the office's contact, hands
    the text to the provider, and remembers the key so that a redelivery is not sent twice. A crash
    between the provider's acceptance and the marker can still send a text twice (at least once)."""

    store: DynamoSms
    protector: Sealer
    provider: Provider
    contacts: Mapping[str, str]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def deliver(self, text: OutboundText) -> bool:
        if self.store.was_sent(text.key):
            return False
        if "sealed" in text.to:
            import base64

            phone = self.protector.unseal(base64.b64decode(text.to["sealed"])).get("phone")
        else:
            phone = self.contacts.get(text.to["contact"])
        if not phone:
            raise ValueError(f"no number for the recipient of text {text.key}")
        now = self.clock()
        self.provider.send(phone, text.body, text.purpose, now)
        self.store.mark_delivered(text.key, now)
        return True
