"""The SMS channel's rules, pure: what a completed case (办结) must say, when an invitation may be sent
(quiet hours), when it expires, how an inbound text is checked, and the texts themselves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind, normalise_code
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.personal import normalise_mobile
from functions.core.domain.province import SmsTexts
from functions.core.domain.ratings import CASE_NO, CLOCK_SKEW, EARLIEST

# Five concatenated UCS-2 segments of 67 characters: the longest text a phone sends as one message.
MAX_INBOUND_CHARS = 335
_CASE_FIELDS = frozenset(
    {"case_no", "item", "department", "region", "window", "staff", "applicant_phone", "completed_at"}
)
_REQUIRED_SUBJECTS = (SubjectKind.ITEM, SubjectKind.DEPARTMENT, SubjectKind.REGION)
_OPTIONAL_SUBJECTS = (SubjectKind.WINDOW, SubjectKind.STAFF)


class CaseRequest(NamedTuple):
    """A completed case as the case system reports it. `phone` lives only on the request path."""

    case_no: str
    subjects: Mapping[SubjectKind, str]
    phone: str
    completed_at: datetime

    def fingerprint(self, phone_hash: str) -> str:
        """Of the case's content, with the phone as its keyed hash: a plain hash of an 11-digit number
        could be reversed by trying them all."""
        content = {
            "case_no": self.case_no,
            "subjects": {kind.value: code for kind, code in sorted(self.subjects.items())},
            "phone": phone_hash,
            "completed_at": self.completed_at.isoformat(),
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def parse_case_request(body: Any, now: datetime) -> CaseRequest:
    """Every problem at once, as for ratings. Unknown codes are the directory's business (422)."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for name in sorted(set(body) - _CASE_FIELDS):
        errors[name] = "unknown field"
    case_no = body.get("case_no")
    if not isinstance(case_no, str) or not CASE_NO.fullmatch(case_no):
        errors["case_no"] = "required: at most 50 of A-Z a-z 0-9 _ - . /"
    subjects: dict[SubjectKind, str] = {}
    for kind in (*_REQUIRED_SUBJECTS, *_OPTIONAL_SUBJECTS):
        raw = body.get(kind.value)
        if raw is None:
            if kind in _REQUIRED_SUBJECTS:
                errors[kind.value] = "required"
            continue
        try:
            subjects[kind] = normalise_code(kind, raw, kind.value)
        except ValidationFailed as e:
            errors.update(e.fields)
    raw_phone = body.get("applicant_phone")
    phone = normalise_mobile(raw_phone) if isinstance(raw_phone, str) else None
    if raw_phone is None:
        errors["applicant_phone"] = "required: the applicant's mainland mobile number"
    elif phone is None:
        errors["applicant_phone"] = "a mainland mobile number: 11 digits starting 13-19"
    completed_at = _completed_at(body.get("completed_at"), now, errors)
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(case_no, str) and phone is not None and completed_at is not None
    return CaseRequest(case_no, subjects, phone, completed_at)


def _completed_at(raw: Any, now: datetime, errors: dict[str, str]) -> datetime | None:
    if raw is None:
        errors["completed_at"] = "required: an ISO 8601 time with offset"
        return None
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        errors["completed_at"] = "an ISO 8601 time with offset, e.g. 2026-09-30T17:00:00+08:00"
        return None
    if value > now + CLOCK_SKEW:
        errors["completed_at"] = "in the future"
        return None
    if value < EARLIEST:
        errors["completed_at"] = "before the 好差评 system existed (2019-12-01)"
        return None
    return value


def parse_inbound(body: Any) -> tuple[str, str]:
    """(phone, text) of an inbound message as the phone network delivers it."""
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for name in sorted(set(body) - {"from", "body"}):
        errors[name] = "unknown field"
    sender = body.get("from")
    phone = normalise_mobile(sender) if isinstance(sender, str) else None
    if phone is None:
        errors["from"] = "required: a mainland mobile number"
    text = body.get("body")
    if not isinstance(text, str) or not text.strip():
        errors["body"] = "required: the text of the message, not empty"
    elif len(text) > MAX_INBOUND_CHARS:
        errors["body"] = f"at most {MAX_INBOUND_CHARS} characters (one concatenated SMS)"
    if errors:
        raise ValidationFailed(errors)
    assert phone is not None and isinstance(text, str)
    return phone, text


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def release_time(now: datetime, texts: SmsTexts, zone: tzinfo) -> datetime:
    """When an invitation asked for at `now` may be sent: now, or the end of the quiet hours."""
    start, end = _clock(texts.quiet_start), _clock(texts.quiet_end)
    if start == end:
        return now
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        end_day = local.date()
    else:  # spans midnight: 21:00 → 08:00
        quiet = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return now
    return datetime.combine(end_day, end, tzinfo=zone)


def expiry(sent_at: datetime, texts: SmsTexts) -> datetime:
    return sent_at + timedelta(days=texts.invitation_valid_days)


def render(template: str, **values: object) -> str:
    """A province text with its placeholders filled; a placeholder the template lacks is ignored and
    one it names but we lack stays visible, so that a text is never lost to a template typo."""
    return template.format_map(_Visible({k: str(v) for k, v in values.items()}))


class _Visible(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
