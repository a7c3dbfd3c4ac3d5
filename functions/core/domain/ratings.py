"""A rating: parsing and checking what a channel sends, and the rating the system keeps.

Parsing collects every problem it finds, so that a channel's developer sees all of them in one 400."""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache
from typing import Any, NamedTuple

from functions.core.domain.channels import Channel
from functions.core.domain.directory import ResolvedSubjects, SubjectKind, normalise_code
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.levels import Satisfaction
from functions.core.domain.personal import normalise_mobile, valid_credit_code, valid_resident_id
from functions.core.domain.province import ProvinceConfig
from functions.core.domain.text import unfit_for_text

RATING_ID = re.compile(r"[A-Za-z0-9_\-]{8,64}")
RATING_ID_RULE = "8-64 of A-Z a-z 0-9 _ -"
CASE_NO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]{0,49}")  # GB/T 39046 办件编号 an..50
MAX_COMMENT = 500
MAX_TAGS = 10
MAX_NAME = 50
# Tablets' clocks drift; a rating up to this far ahead of the server's clock is taken as "now".
CLOCK_SKEW = timedelta(minutes=2)
# The 好差评 system dates from 国办发〔2019〕51号; nothing can have been rated before it.
EARLIEST = datetime(2019, 12, 1, tzinfo=timezone(timedelta(hours=8)))
RATER_KINDS = ("person", "enterprise")
# RFC 3339 `date-time` (what OpenAPI's format date-time means): a full date, T, a full time, an offset.
RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)

_FIELDS = frozenset(
    {
        "rating_id",
        "channel",
        "satisfaction",
        "subjects",
        "case_no",
        "follow_up",
        "tags",
        "comment",
        "rater",
        "rated_at",
        "sub_scores",
    }
)
_RATER_FIELDS = frozenset({"phone", "name", "kind", "id_number"})


class RaterInput(NamedTuple):
    """What a named rater gave. Lives only on the request path: it is protected before it is stored."""

    kind: str
    phone: str | None
    name: str | None
    id_number: str | None

    @property
    def named(self) -> bool:
        return self.phone is not None


class RatingRequest(NamedTuple):
    rating_id: str | None
    channel: Channel
    satisfaction: Satisfaction
    subjects: Mapping[SubjectKind, str]
    case_no: str | None
    tags: tuple[str, ...]
    comment: str | None
    rater: RaterInput | None
    rated_at: datetime | None
    fingerprint: str  # of the body as sent: a retry with the same body is the same rating
    follow_up: bool = False  # 追评: a second, marked rating of a case already rated
    # The province's dimensions scored 1..5 besides the overall level (ProvinceConfig.ratings.sub_scores).
    sub_scores: Mapping[str, int] = {}


def parse_rating_id(raw: str) -> str:
    """A rating id from a path: malformed ones are refused before any lookup (and never echoed)."""
    if not RATING_ID.fullmatch(raw):
        raise ValidationFailed({"rating_id": RATING_ID_RULE})
    return raw


def fingerprint(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def parse_rating_request(body: Any, province: ProvinceConfig, now: datetime) -> RatingRequest:
    if not isinstance(body, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    _refuse_unknown_fields(body, _FIELDS, "body", errors)

    rating_id = body.get("rating_id")
    if rating_id is not None and (not isinstance(rating_id, str) or not RATING_ID.fullmatch(rating_id)):
        errors["rating_id"] = RATING_ID_RULE

    channel = None
    raw_channel = body.get("channel")
    if raw_channel is None:
        errors["channel"] = "required"
    else:
        try:
            channel = Channel(raw_channel)
        except ValueError:
            errors["channel"] = f"must be one of {', '.join(c.value for c in Channel)}"

    satisfaction = None
    raw_level = body.get("satisfaction")
    if raw_level is None:
        errors["satisfaction"] = "required"
    elif isinstance(raw_level, bool) or not isinstance(raw_level, int) or not 1 <= raw_level <= 5:
        errors["satisfaction"] = "an integer from 1 (非常不满意) to 5 (非常满意)"
    else:
        satisfaction = Satisfaction(raw_level)

    subjects = _parse_subjects(body.get("subjects"), errors)

    case_no = body.get("case_no")
    if case_no is not None and (not isinstance(case_no, str) or not CASE_NO.fullmatch(case_no)):
        errors["case_no"] = "at most 50 of A-Z a-z 0-9 _ - . /"

    follow_up = body.get("follow_up")
    if follow_up is None:  # like every optional field, null means absent
        follow_up = False
    if not isinstance(follow_up, bool):
        errors["follow_up"] = "true or false"
    elif follow_up and not province.allow_follow_up:
        errors["follow_up"] = f"{province.name} does not take follow-up ratings (追评)"
    elif follow_up and case_no is None and "case_no" not in errors:
        errors["case_no"] = "required for a follow-up rating: it follows up the rating of that case"

    tags = _parse_tags(body.get("tags"), satisfaction, province, errors)

    comment = body.get("comment")
    if comment is not None:
        if not isinstance(comment, str):
            errors["comment"] = "must be a string"
        elif len(comment) > MAX_COMMENT:
            errors["comment"] = f"at most {MAX_COMMENT} characters"
        elif unfit_for_text(comment, multiline=True):
            errors["comment"] = "holds a control character or a lone surrogate"
        else:
            comment = comment.strip() or None

    rater = _parse_rater(body.get("rater"), errors)
    rated_at = _parse_rated_at(body.get("rated_at"), now, errors)
    sub_scores = _parse_sub_scores(body.get("sub_scores"), channel, province, errors)
    if (
        province.ratings.reason_required
        and satisfaction is not None
        and not satisfaction.good
        and not tags
        and comment is None
        and not errors.keys() & {"tags", "comment"}
    ):
        # Shandong's words: 差评必须勾选详情或填写文字评价.
        reason = "a bad rating gives its reason here: tick a bad tag or write a comment"
        errors["tags"] = reason
        errors["comment"] = reason

    if errors:
        raise ValidationFailed(errors)
    assert channel is not None and satisfaction is not None and subjects is not None
    return RatingRequest(
        rating_id=rating_id,
        channel=channel,
        satisfaction=satisfaction,
        subjects=subjects,
        case_no=case_no,
        tags=tags,
        comment=comment,
        rater=rater,
        rated_at=rated_at,
        fingerprint=fingerprint(body),
        follow_up=follow_up is True,
        sub_scores=sub_scores,
    )


def _parse_sub_scores(
    raw: Any, channel: Channel | None, province: ProvinceConfig, errors: dict[str, str]
) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors["sub_scores"] = "must be an object of dimension: 1..5"
        return {}
    dimensions = province.ratings.sub_scores
    if channel is None:
        known: tuple[str, ...] = dimensions.all()
    else:
        group = channel.group
        known = getattr(dimensions, group) if group is not None else ()
    if not known:
        where = f"on channel {channel.value}" if channel is not None else ""
        errors["sub_scores"] = f"{province.name} takes no sub-scores {where}".strip()
        return {}
    _refuse_unknown_fields(raw, known, "sub_scores", errors)
    scores: dict[str, int] = {}
    for name, level in raw.items():
        if name not in known:
            continue
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            errors[f"sub_scores.{name}"] = "an integer from 1 to 5"
        else:
            scores[name] = level
    return scores


def _parse_subjects(raw: Any, errors: dict[str, str]) -> dict[SubjectKind, str] | None:
    if raw is None:
        errors["subjects"] = "required: at least a department or a region"
        return None
    if not isinstance(raw, dict):
        errors["subjects"] = "must be an object"
        return None
    subjects: dict[SubjectKind, str] = {}
    kinds = {kind.value for kind in SubjectKind}
    _refuse_unknown_fields(raw, kinds, "subjects", errors)
    for name, code in raw.items():
        if name not in kinds:
            continue
        kind = SubjectKind(name)
        try:
            subjects[kind] = normalise_code(kind, code, f"subjects.{name}")
        except ValidationFailed as e:
            errors.update(e.fields)
    if not raw.keys() & {"department", "region"} and "subjects" not in errors:
        errors["subjects"] = "name at least a department or a region"
    return subjects


def _parse_tags(
    raw: Any, satisfaction: Satisfaction | None, province: ProvinceConfig, errors: dict[str, str]
) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        errors["tags"] = "must be a list of strings"
        return ()
    if len(raw) > MAX_TAGS:
        errors["tags"] = f"at most {MAX_TAGS} tags"
        return ()
    if len(set(raw)) != len(raw):
        errors["tags"] = "a tag appears twice"
        return ()
    if satisfaction is not None:
        allowed = province.tags.allowed(satisfaction)
        outside = [t for t in raw if t not in allowed]
        if outside:
            # The tags are not echoed: a channel may have put free text, even a phone number, there.
            polarity = "good" if satisfaction.good else "bad"
            errors["tags"] = f"{len(outside)} not among {province.name}'s tags for a {polarity} rating"
    return tuple(raw)


def _parse_rater(raw: Any, errors: dict[str, str]) -> RaterInput | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors["rater"] = "must be an object"
        return None
    _refuse_unknown_fields(raw, _RATER_FIELDS, "rater", errors)
    kind = raw.get("kind", "person")
    if kind not in RATER_KINDS:
        errors["rater.kind"] = "person or enterprise"
    phone = raw.get("phone")
    if phone is not None:
        normalised = normalise_mobile(phone) if isinstance(phone, str) else None
        if normalised is None:
            errors["rater.phone"] = "a mainland mobile number: 11 digits starting 13-19"
        phone = normalised
    name = raw.get("name")
    if name is not None and (
        not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME or unfit_for_text(name)
    ):
        errors["rater.name"] = f"1-{MAX_NAME} characters, no control characters"
    id_number = raw.get("id_number")
    if id_number is not None:
        ok = isinstance(id_number, str) and (
            valid_credit_code(id_number) if kind == "enterprise" else valid_resident_id(id_number)
        )
        if not ok:
            errors["rater.id_number"] = (
                "a unified social credit code (18 characters, GB 32100 check character)"
                if kind == "enterprise"
                else "an 18-character resident ID number"
            )
    if (name is not None or id_number is not None) and phone is None and "rater.phone" not in errors:
        errors["rater.phone"] = "required when a name or ID number is given"
    return RaterInput(
        kind=kind if isinstance(kind, str) else "person",
        phone=phone,
        name=name.strip() if isinstance(name, str) else None,
        id_number=id_number.upper() if isinstance(id_number, str) else None,
    )


def _refuse_unknown_fields(
    raw: Mapping[str, Any], known: Iterable[str], field: str, errors: dict[str, str]
) -> None:
    """Unknown keys are counted, never named: a channel may send personal data as a key."""
    unknown = [name for name in raw if name not in known]
    if unknown:
        errors[field] = f"{len(unknown)} unknown field(s); the fields are {', '.join(sorted(known))}"


def _parse_rated_at(raw: Any, now: datetime, errors: dict[str, str]) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not RFC3339_DATE_TIME.fullmatch(raw):
        errors["rated_at"] = "an RFC 3339 date-time with offset, e.g. 2026-09-30T17:00:00+08:00"
        return None
    try:
        rated_at = datetime.fromisoformat(raw.upper())
    except ValueError:
        errors["rated_at"] = "not a real date and time"
        return None
    if rated_at > now + CLOCK_SKEW:
        errors["rated_at"] = "in the future"
        return None
    if rated_at < EARLIEST:
        errors["rated_at"] = "before the 好差评 system existed (2019-12-01)"
        return None
    return rated_at


class ProtectedRater(NamedTuple):
    """A named rater as stored: the phone encrypted, a keyed hash to match it, a masked form to show."""

    kind: str
    phone_masked: str
    phone_hash: str
    sealed: bytes  # phone, name and ID number, encrypted together


class Rating(NamedTuple):
    rating_id: str
    channel: Channel
    satisfaction: Satisfaction
    subjects: Mapping[SubjectKind, str]
    paths: tuple[str, ...]
    department: str | None
    region: str
    case_no: str | None
    tags: tuple[str, ...]
    comment: str | None
    rater: ProtectedRater | None
    rater_kind: str | None
    rated_at: datetime
    received_at: datetime
    day: str  # local date in the province's time zone: the bucket indices count by
    fingerprint: str
    valid: bool = True
    follow_up: bool = False
    # The label of the channel key that sent it (never the key), so a province can audit a channel.
    channel_key: str | None = None
    # The ticket's outcome as the tickets function writes it onto the rating (COMMON.md contract 2);
    # None until the ticket exists.
    ticket: Mapping[str, str | bool] | None = None
    sub_scores: Mapping[str, int] = {}
    # 系统默认评价: made by the stack when the case's rating period ended unrated. `counted` says whether
    # it counts at its level (the province's rule when it was made); never a ticket.
    default: bool = False
    counted: bool = True
    # The rating that replaces this one in every figure (a follow-up where the province's rule says
    # so, or the person's own rating of a case rated by default).
    replaced_by: str | None = None

    @property
    def kind(self) -> str:
        """What the contract shows: "default", "follow_up" or "rating"."""
        return "default" if self.default else "follow_up" if self.follow_up else "rating"

    @property
    def good(self) -> bool:
        return self.satisfaction.good

    @property
    def named(self) -> bool:
        return self.rater is not None

    @property
    def ticket_id(self) -> str | None:
        """A bad rating knows its ticket's id before the ticket exists: the ticket is opened from the
        ratings stream under this id, so the answer to the channel can name it at once."""
        return None if self.good or self.default else ticket_id_for(self.rating_id)


def ticket_id_for(rating_id: str) -> str:
    return f"tk-{rating_id}"


class DueCase(NamedTuple):
    """A completed case whose rating period has ended, as the cases index holds it."""

    case_no: str
    subjects: Mapping[SubjectKind, str]
    paths: tuple[str, ...]
    department: str | None
    region: str
    rate_until: datetime
    rated: bool  # rated on some channel before the case system reported it


def default_rating_id(case_no: str) -> str:
    """One id per case: the schedule running twice, or two runs at once, make one default rating."""
    return "dflt-" + hashlib.sha256(case_no.encode()).hexdigest()[:40]


def build_default_rating(case: DueCase, province: ProvinceConfig, now: datetime) -> Rating:
    """The default rating (系统默认评价) of a case unrated at the end of its rating period: rated then,
    at the province's default level, anonymous, no tags. Its channel is `sms`, the invitation it
    answers for (the contract shows it as `kind: "default"`, Zhejiang's channel code 7)."""
    rules = province.ratings
    zone = _zone(province.timezone)
    rated_at = case.rate_until.astimezone(zone)
    return Rating(
        rating_id=default_rating_id(case.case_no),
        channel=Channel.SMS,
        satisfaction=Satisfaction(rules.default_level),
        subjects=case.subjects,
        paths=case.paths,
        department=case.department,
        region=case.region,
        case_no=case.case_no,
        tags=(),
        comment=None,
        rater=None,
        rater_kind=None,
        rated_at=rated_at,
        received_at=now.astimezone(zone),
        day=rated_at.date().isoformat(),
        fingerprint=fingerprint({"default_rating_of": case.case_no}),
        default=True,
        counted=rules.default_counts_good,
    )


def build_rating(
    request: RatingRequest,
    resolved: ResolvedSubjects,
    rating_id: str,
    rater: ProtectedRater | None,
    province: ProvinceConfig,
    now: datetime,
    channel_key: str | None = None,
) -> Rating:
    zone = _zone(province.timezone)
    rated_at = min(request.rated_at or now, now).astimezone(zone)
    return Rating(
        rating_id=rating_id,
        channel=request.channel,
        satisfaction=request.satisfaction,
        subjects=resolved.named,
        paths=resolved.paths,
        department=resolved.department,
        region=resolved.region,
        case_no=request.case_no,
        tags=request.tags,
        comment=request.comment,
        rater=rater,
        rater_kind=request.rater.kind if request.rater else None,
        rated_at=rated_at,
        received_at=now.astimezone(zone),
        day=rated_at.date().isoformat(),
        fingerprint=request.fingerprint,
        follow_up=request.follow_up,
        channel_key=channel_key,
        sub_scores=dict(request.sub_scores),
    )


@cache
def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo  # on first use: the time-zone database is not needed to import

    return ZoneInfo(name)
