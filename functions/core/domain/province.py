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

    Placeholders: invitation {item} {department} {case_no} {valid_days}; thanks {item} {case_no} (the
    case the reply rated); more_pending {count} {item}
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
    # Where the province requires a bad rating's reason: the one text that asks for it when a bad
    # level comes without words; the next reply's words are the reason.
    reason_request: str = "您好，请回复文字说明不满意的原因，以便我们改进，收到后即记录您的评价。"
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


class SubScoreDimensions(NamedTuple):
    """The dimensions (二级指标) a rating may score 1..5 besides its overall level (整体满意度, which is
    `satisfaction` itself and alone decides good or bad), per channel group (functions.core.domain.
    channels: in the hall or online). A group without dimensions takes no sub-scores."""

    on_site: tuple[str, ...] = ()
    online: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.on_site, *self.online)))


class RatingRules(NamedTuple):
    """The four rules on ratings in which provinces differ (API.md, "Province rules on ratings").

    The defaults are what applies where a province sets nothing: the national rules (国办发〔2019〕51号,
    GB/T 39734-2020) make none of these four binding numerically, so none is imposed: no reason
    required, no period, no default rating, no sub-scores, and a follow-up shown beside the first."""

    # A bad rating (1 or 2) must give its reason: a bad tag or a comment (Shandong's interface:
    # "差评必须勾选详情或填写文字评价").
    reason_required: bool = False
    # Days after the case's completion (办结) in which it may be rated, on every channel; None: no limit.
    rating_period_days: int | None = None
    # Days after a case's rating in which a follow-up (追评) may be given, where the province takes
    # follow-ups (ProvinceConfig.allow_follow_up); None: no limit.
    follow_up_days: int | None = None
    # True: a follow-up replaces the rating it follows in every figure; False: both are counted.
    follow_up_replaces: bool = False
    # A completed case still unrated when its rating period ends gets a default rating (系统默认评价),
    # made by the stack, of this (good) level; it needs a rating period.
    default_rating: bool = False
    default_level: int = 5
    # True: a default rating counts as a rating of `default_level` (a good one) in every figure; False:
    # it is counted only as a default (`defaults`), in no level, index or rate.
    default_counts_good: bool = False
    sub_scores: SubScoreDimensions = SubScoreDimensions()

    def check(self) -> None:
        for name in ("rating_period_days", "follow_up_days"):
            days = getattr(self, name)
            if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
                raise ValueError(f"ratings.{name} must be a whole number of days, at least 1, or None")
        if self.default_rating and self.rating_period_days is None:
            raise ValueError("ratings.default_rating needs a rating_period_days after which it is made")
        if self.default_level not in (3, 4, 5):
            # A bad level would open a ticket nobody asked for: a default rating is never a ticket.
            raise ValueError("ratings.default_level must be a good satisfaction level 3..5")
        for dimension in self.sub_scores.all():
            if not re.fullmatch(r"[a-z][a-z_]{0,31}", dimension) or dimension == "satisfaction":
                raise ValueError(f"sub-score dimension {dimension!r}: lower-case a-z and _, not satisfaction")

    def to_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "sub_scores": self.sub_scores._asdict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RatingRules":
        values = dict(data)
        dimensions = values.pop("sub_scores", {})
        return cls(
            **values,
            sub_scores=SubScoreDimensions(**{k: tuple(v) for k, v in dimensions.items()}),
        )


class RaterScreens(NamedTuple):
    """The rating screens the stack serves (window tablets and kiosks at /terminal, QR codes and signed
    links at /rate): how long the thank-you screen stays before the next person, how long a pairing
    code lives, the oldest a queued device rating may be when it finally arrives, and the flood limits
    of a window's printed QR code (ratings per browser and per address, per window, per local day).
    A case's code expires with the rating period (`RatingRules.rating_period_days`)."""

    idle_seconds: int = 20
    pairing_minutes: int = 30
    device_queue_max_days: int = 7
    qr_per_browser_per_day: int = 3
    qr_per_address_per_day: int = 30


@dataclass(frozen=True)
class ProvinceConfig:
    code: str  # 12 digits
    name: str
    tags: TagSets
    sms: SmsTexts
    index: IndexRule = IndexRule()
    deadlines: Deadlines = Deadlines()
    warnings: WarningPolicy = WarningPolicy()
    ratings: RatingRules = RatingRules()
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
        self.ratings.check()
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
            "ratings": self.ratings.to_dict(),
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
            ratings=RatingRules.from_dict(data.get("ratings", {})),
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
