"""Province configuration: everything in which provinces differ, as one typed object per province.

Instances live in infra/provinces/; functions receive one as JSON (see core.settings) and validate it
once at start. Code never branches on which province it serves."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from functions.core.domain.levels import Satisfaction
from functions.core.domain.regions import RegionLevel, normalise_region_code, region_level

_CLOCK_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class TagSets(NamedTuple):
    """Tags (词条) a rater may tick: one set for good ratings, one for bad ones."""

    good: tuple[str, ...]
    bad: tuple[str, ...]

    def allowed(self, satisfaction: Satisfaction) -> tuple[str, ...]:
        return self.good if satisfaction.good else self.bad


class IndexRule(NamedTuple):
    """Score per satisfaction level and the prior that every subject starts from (Guizhou's rule)."""

    scores: Mapping[int, int] = MappingProxyType({5: 10, 4: 8, 3: 6, 2: 4, 1: 2})
    initial: float = 10.0
    prior_weight: float = 1.0
    # Fewer valid ratings than this and a subject is listed but not ranked on the public page.
    min_ratings_to_rank: int = 30


class Deadlines(NamedTuple):
    """Working days from receipt of a ticket (Jiangsu's 2022 norm by default)."""

    contact: int = 1
    simple: int = 1
    general: int = 5
    complex: int = 15
    remind_before_hours: int = 4


class WarningPolicy(NamedTuple):
    """Early-warning rules (functions/index/warning_rules.py says what each number means)."""

    alpha: float = 0.001  # one-sided binomial tail of a day's bad ratings against the department's own rate
    baseline_days: int = 30
    recent_days: int = 7
    min_day_ratings: int = 10
    min_baseline_ratings: int = 30
    index_drop: float = 0.5  # index points lost between the baseline and the recent days


class SmsTexts(NamedTuple):
    """The province's SMS configuration: texts sent to applicants and departments (`{placeholders}` are
    filled at send time), how long an invitation stays open, the quiet hours, and whom to notify.

    Placeholders: invitation {item} {department} {case_no} {valid_days}; more_pending {count} {item}
    {case_no}; ticket_notice and reminder_notice {ticket_id} {due}; escalation_notice {ticket_id}
    {department}; reply_notice {department}. No text ever names the staff member rated."""

    invitation: str
    help: str
    thanks: str
    opted_out: str
    expired: str
    ticket_notice: str
    reply_notice: str
    invitation_valid_days: int = 7
    opt_out_words: tuple[str, ...] = ("退订", "TD", "T")
    # A reply that finds no open invitation: answered politely, stored nowhere.
    no_invitation: str = "您好，您目前没有待评价的办件。感谢关注政务服务。"
    # A reply to an invitation whose case was rated meanwhile (on another channel).
    already_rated: str = "您好，该办件已评价，感谢您的参与。"
    # Appended to the thanks or help text when the number has other invitations still open.
    more_pending: str = "您还有{count}件办件待评价，请再回复数字评价{item}（办件编号{case_no}）。"
    escalation_notice: str = "工单{ticket_id}（{department}）已超期，已提请贵单位督办。"
    reminder_notice: str = "工单{ticket_id}即将到期（{due}），请及时处理。"
    # Local times ("HH:MM") between which no invitation is sent; one that falls inside waits until the
    # end. A start after the end spans midnight. Equal times: no quiet hours.
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    # Duty mobile numbers of offices that receive ticket notifications, by subject key
    # ("department#D001", "region#520100000000"). These are offices' public duty numbers, not personal
    # data; an office without one is reached through the nearest region above it that has one.
    contacts: Mapping[str, str] = MappingProxyType({})


class RaterScreens(NamedTuple):
    """The rating screens the stack serves (window tablets and kiosks at /terminal, QR codes and signed
    links at /rate): how long the thank-you screen stays before the next person, how long a pairing
    code lives, the oldest a queued device rating may be when it finally arrives, and the flood limits
    of a window's printed QR code (ratings per browser and per address, per window, per local day)."""

    idle_seconds: int = 20
    pairing_minutes: int = 30
    device_queue_max_days: int = 7
    qr_per_browser_per_day: int = 3
    qr_per_address_per_day: int = 30
    # A case's QR code and signed link expire this many days after the case's completion (the
    # province's rating period: 15 days in Guizhou).
    case_link_days: int = 15


@dataclass(frozen=True)
class ProvinceConfig:
    code: str  # 12 digits
    name: str
    tags: TagSets
    sms: SmsTexts
    index: IndexRule = IndexRule()
    deadlines: Deadlines = Deadlines()
    warnings: WarningPolicy = WarningPolicy()
    timezone: str = "Asia/Shanghai"
    allow_follow_up: bool = False
    # Extra holidays a province keeps (ethnic autonomous regions), as YYYY-MM-DD.
    local_holidays: tuple[str, ...] = ()
    # Where the province keeps business hours, a period ends at this closing time ("HH:MM") of its last
    # working day instead of at 24:00.
    closing_time: str | None = None
    # Region code (12 digits) -> the department code of that region's administration office (政务服务
    # 中心), which answers a bad rating that names a region but no department; the nearest one up the
    # region's chain does.
    administration_offices: Mapping[str, str] = field(default_factory=dict)
    screens: RaterScreens = RaterScreens()

    def __post_init__(self) -> None:
        if (
            normalise_region_code(self.code) != self.code
            or region_level(self.code) is not RegionLevel.PROVINCE
        ):
            raise ValueError(f"province code must be a 12-digit province code, not {self.code!r}")
        if sorted(self.index.scores) != [1, 2, 3, 4, 5]:
            raise ValueError("the score table needs a score for each satisfaction level 1..5")
        if self.index.prior_weight < 0:
            raise ValueError("prior_weight cannot be negative")
        if set(self.tags.good) & set(self.tags.bad):
            raise ValueError("a tag cannot be both good and bad")
        for name in ("contact", "simple", "general", "complex"):
            if getattr(self.deadlines, name) < 1:
                raise ValueError(f"deadline {name} must be at least 1 working day")
        if self.sms.invitation_valid_days < 1:
            raise ValueError("an SMS invitation must stay open at least one day")
        for name in ("quiet_start", "quiet_end"):
            if not _CLOCK_TIME.fullmatch(getattr(self.sms, name)):
                raise ValueError(f"sms.{name} must be a local time HH:MM")
        if self.deadlines.remind_before_hours < 0:
            raise ValueError("remind_before_hours cannot be negative")
        if self.closing_time is not None and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.closing_time):
            raise ValueError("closing_time must be HH:MM")
        if min(self.screens) < 1:
            raise ValueError("every screens setting must be at least 1")
        for region in self.administration_offices:
            if normalise_region_code(region) != region:
                raise ValueError(f"administration office region {region!r} must be a 12-digit region code")

    def administration_office(self, regions: list[str]) -> str | None:
        """The office answering for the most specific of `regions` that has one."""
        for region in sorted(regions, key=lambda code: region_level(code), reverse=True):
            office = self.administration_offices.get(region)
            if office is not None:
                return office
        return None

    def to_json(self) -> str:
        data = {
            "code": self.code,
            "name": self.name,
            "tags": self.tags._asdict(),
            "sms": {**self.sms._asdict(), "contacts": dict(self.sms.contacts)},
            "index": {**self.index._asdict(), "scores": dict(self.index.scores)},
            "deadlines": self.deadlines._asdict(),
            "warnings": self.warnings._asdict(),
            "timezone": self.timezone,
            "allow_follow_up": self.allow_follow_up,
            "local_holidays": self.local_holidays,
            "closing_time": self.closing_time,
            "administration_offices": dict(self.administration_offices),
            "screens": self.screens._asdict(),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProvinceConfig":
        index = dict(data.get("index", {}))
        if "scores" in index:
            index["scores"] = {int(level): int(score) for level, score in index["scores"].items()}
        sms = dict(data["sms"])
        if "opt_out_words" in sms:
            sms["opt_out_words"] = tuple(sms["opt_out_words"])
        if "contacts" in sms:
            sms["contacts"] = MappingProxyType({str(k): str(v) for k, v in sms["contacts"].items()})
        return cls(
            code=data["code"],
            name=data["name"],
            tags=TagSets(good=tuple(data["tags"]["good"]), bad=tuple(data["tags"]["bad"])),
            sms=SmsTexts(**sms),
            index=IndexRule(**index),
            deadlines=Deadlines(**data.get("deadlines", {})),
            warnings=WarningPolicy(**data.get("warnings", {})),
            timezone=data.get("timezone", "Asia/Shanghai"),
            allow_follow_up=bool(data.get("allow_follow_up", False)),
            local_holidays=tuple(data.get("local_holidays", ())),
            closing_time=data.get("closing_time"),
            administration_offices=MappingProxyType(dict(data.get("administration_offices", {}))),
            screens=RaterScreens(**data.get("screens", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> "ProvinceConfig":
        return cls.from_dict(json.loads(text))
