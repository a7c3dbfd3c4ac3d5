"""Export targets as configuration: where a province's ratings go upward and how each target codes them.

EXPORT.md shows that the field disagrees on almost every code (channels 6/7, the direction of the
satisfaction code, rater kinds, time formats, region-code lengths), so each of these is a table of the
target, never a constant of the code. Targets live in the province's DeployConfig (infra/provinces/) and
reach the export function as JSON (`EXPORT_TARGETS`); the local stack points them at its receivers.

Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

# The two shipped mappings (functions/export/mapping.py).
GBT39046 = "gbt39046"  # the GB/T 39046-2020 table 9 record, one per rating
PROVINCIAL = "provincial"  # the provincial interfaces' two-phase push: service record, then evaluation
MAPPINGS = (GBT39046, PROVINCIAL)

# What a target may want besides first ratings.
WANTS = ("follow_ups", "invalidations", "rectifications")
SIGNINGS = ("hmac-sha256", "sm3-sm4")
# The satisfaction code's direction: GB/T 39046 A.8 (1 = 非常满意) or the interfaces' (5 = 非常满意).
SATISFACTION_ORDERS = ("gbt", "interface")

# GB/T 39046 table 9 names channels (评价渠道); the interfaces number them, and disagree on 6 and 7.
GBT_CHANNEL_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "pc": "PC端",
        "mobile": "移动服务端",
        "qrcode": "二维码",
        "hall_pad": "政务大厅平板电脑",
        "hall_terminal": "政务大厅其他终端",
        "phone": "电话",
        "sms": "短信",
    }
)
# Shandong, 人社 and GGZYJD: 6 电话, 7 短信.
INTERFACE_CHANNELS: Mapping[str, str] = MappingProxyType(
    {"pc": "1", "mobile": "2", "qrcode": "3", "hall_pad": "4", "hall_terminal": "5", "phone": "6", "sms": "7"}
)
# Zhejiang/Ningbo: 6 短信, 7 系统默认评价, and no code for a hotline rating (held back, never sent wrong).
# `default` is the channel key of a default rating (made by the stack when the rating period ended);
# a target whose table lacks it holds default ratings back.
ZHEJIANG_CHANNELS: Mapping[str, str] = MappingProxyType(
    {
        "pc": "1",
        "mobile": "2",
        "qrcode": "3",
        "hall_pad": "4",
        "hall_terminal": "5",
        "sms": "6",
        "default": "7",
    }
)
# userProp of the interfaces (个人 1, 法人 2); GB A.4's list differs from 5 on.
INTERFACE_RATER_KINDS: Mapping[str, str] = MappingProxyType({"person": "1", "enterprise": "2"})

# The shipped code tables, by the name a target's JSON may give instead of the table.
PRESETS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "gbt": GBT_CHANNEL_NAMES,
        "interface": INTERFACE_CHANNELS,
        "zhejiang": ZHEJIANG_CHANNELS,
        "interface_rater_kinds": INTERFACE_RATER_KINDS,
    }
)

GBT_TIME = "%Y%m%dT%H%M%S"  # GB/T 39046 table 9 (table 2 gives it without the T)
INTERFACE_TIME = "%Y-%m-%d %H:%M:%S"


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class ExportTarget:
    name: str
    mapping: str
    endpoint: str  # where records are POSTed
    data_source: str  # the province's data-source code (dataSource, 3 digits)
    channel_codes: Mapping[str, str]  # channel → the target's code; a channel absent is held back
    satisfaction_order: str = "interface"
    rater_kinds: Mapping[str, str] = field(default_factory=lambda: INTERFACE_RATER_KINDS)
    time_format: str = INTERFACE_TIME
    region_digits: int = 12
    wants: tuple[str, ...] = WANTS
    # Directory kinds whose national code every record needs (a named item always needs its own).
    required_codes: tuple[str, ...] = ("department",)
    project_prefix: str = ""  # e.g. Shandong's "37" (按照省里标准)
    # Tag → the target's evalDetail code; tags without one travel as words in the text.
    tag_codes: Mapping[str, str] = field(default_factory=dict)
    # The target's statistics (natural keys it holds for a day), where it offers them.
    statistics_endpoint: str | None = None
    signing: str = "hmac-sha256"
    app_mark: str = ""  # the sender's id at the target (appMark)
    batch_size: int = 100  # records per request
    max_records_per_run: int = 1000  # the target's rate limit, per run of the scheduled sender
    timeout_seconds: float = 10.0
    # A record goes up only once it is this old, so a target whose clock is behind ours never sees a
    # rating from its future (Shandong backdates 3-5 minutes for the same reason).
    skew_margin_seconds: int = 300
    service_lead_seconds: int = 300  # the service record's time before the rating's
    backoff_base_seconds: int = 60
    backoff_cap_seconds: int = 3600

    def __post_init__(self) -> None:
        problems = []
        if self.mapping not in MAPPINGS:
            problems.append(f"mapping must be one of {', '.join(MAPPINGS)}")
        if self.satisfaction_order not in SATISFACTION_ORDERS:
            problems.append("satisfaction_order must be gbt or interface")
        if self.signing not in SIGNINGS:
            problems.append(f"signing must be one of {', '.join(SIGNINGS)}")
        if self.region_digits not in (6, 9, 12):
            problems.append("region_digits must be 6, 9 or 12")
        if not self.endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            problems.append("endpoint must be https (plain http only to this machine)")
        if unknown := set(self.wants) - set(WANTS):
            problems.append(f"unknown wants {sorted(unknown)}")
        if not (1 <= self.batch_size <= self.max_records_per_run):
            problems.append("batch_size must be between 1 and max_records_per_run")
        if not (len(self.data_source) == 3 and self.data_source.isdigit()):
            problems.append("data_source must be 3 digits")
        if problems:
            raise TargetError(f"export target {self.name!r}: " + "; ".join(problems))

    def wanted(self, what: str) -> bool:
        return what in self.wants

    def at(self, endpoint: str, statistics_endpoint: str | None) -> ExportTarget:
        """The same target sending elsewhere (the local stack points targets at its receivers)."""
        return replace(self, endpoint=endpoint, statistics_endpoint=statistics_endpoint)

    def to_dict(self) -> dict[str, Any]:
        """Compact (Lambda's environment holds 4 KB in all): fields at their defaults are left out and a
        shipped code table is named ("@gbt"), not spelled out."""
        data: dict[str, Any] = {}
        for name, spec in self.__dataclass_fields__.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                preset = next((f"@{k}" for k, table in PRESETS.items() if dict(table) == dict(value)), None)
                value = preset or dict(value)
            default = spec.default_factory() if callable(spec.default_factory) else spec.default
            if isinstance(default, Mapping):
                default = next(
                    (f"@{k}" for k, table in PRESETS.items() if dict(table) == dict(default)), dict(default)
                )
            if name in ("name", "mapping", "endpoint", "data_source", "channel_codes") or value != default:
                data[name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportTarget:
        values = dict(data)
        for name in ("channel_codes", "rater_kinds", "tag_codes"):
            if name in values:
                table = values[name]
                if isinstance(table, str) and table.startswith("@"):
                    if table[1:] not in PRESETS:
                        raise TargetError(f"unknown code table {table!r}")
                    table = PRESETS[table[1:]]
                values[name] = MappingProxyType({str(k): str(v) for k, v in table.items()})
        for name in ("wants", "required_codes"):
            if name in values:
                values[name] = tuple(values[name])
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise TargetError(f"unknown export target fields {sorted(unknown)}")
        return cls(**values)


def targets_to_json(targets: tuple[ExportTarget, ...]) -> str:
    return json.dumps(
        [t.to_dict() for t in targets], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def targets_from_json(text: str) -> tuple[ExportTarget, ...]:
    data = json.loads(text)
    if not isinstance(data, list):
        raise TargetError("EXPORT_TARGETS must be a JSON list")
    targets = tuple(ExportTarget.from_dict(item) for item in data)
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise TargetError("export target names must be unique")
    return targets


def national_gbt39046(name: str, endpoint: str, data_source: str, **overrides: Any) -> ExportTarget:
    """The national platform taking the GB/T 39046 table 9 record: channel names, A.8 satisfaction codes,
    YYYYMMDDThhmmss, 9-digit region codes."""
    values: dict[str, Any] = {
        "channel_codes": GBT_CHANNEL_NAMES,
        "satisfaction_order": "gbt",
        "time_format": GBT_TIME,
        "region_digits": 9,
        **overrides,
    }
    return ExportTarget(name=name, mapping=GBT39046, endpoint=endpoint, data_source=data_source, **values)


def provincial_interface(name: str, endpoint: str, data_source: str, **overrides: Any) -> ExportTarget:
    """A hub taking the provincial interfaces' shape (EXPORT.md §2): service record then evaluation,
    interface codes, yyyy-MM-dd HH:mm:ss, 12-digit region codes, item and department codes required."""
    values: dict[str, Any] = {
        "channel_codes": INTERFACE_CHANNELS,
        "required_codes": ("department", "item"),
        "batch_size": 1,  # every sample of the interface sends one record per call
        **overrides,
    }
    return ExportTarget(name=name, mapping=PROVINCIAL, endpoint=endpoint, data_source=data_source, **values)
