"""The two shipped mappings: a stored rating → the records a target takes, and the schema each record must
satisfy (the stand-in receivers validate against the same schema).

- `gbt39046`: one record per rating, GB/T 39046-2020 table 9 (办件编号, 评价渠道, 评价人, 评价时间,
  评价次数, 满意度, 满意度代码, 文字评价, 行政区划) plus the fields an export needs and the table lacks
  (record id, version, op, data source, department and item codes, validity, rectification).
- `provincial`: EXPORT.md §2's two-phase push: the service record keyed (projectNo, serviceNumber), then
  the evaluation keyed (projectNo, assessNumber), which is sent only once its service record is
  acknowledged.

A rating that a target cannot take as it is (a channel the target has no code for, an item or department
without a national code, a bad rating with neither details nor words) is held back with the reason,
never sent wrong. Every code comes from the target's tables (functions/export/targets.py).

Pure: no I/O."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind
from functions.core.domain.levels import Satisfaction
from functions.core.domain.personal import mask_free_text
from functions.core.domain.ratings import Rating
from functions.export.targets import GBT39046, PROVINCIAL, ExportTarget

RECORD = "record"  # gbt39046's one part
SERVICE = "service"  # provincial phase 1
EVALUATION = "evaluation"  # provincial phase 2
PARTS: Mapping[str, tuple[str, ...]] = {GBT39046: (RECORD,), PROVINCIAL: (SERVICE, EVALUATION)}
# The part whose acknowledgement another part waits for.
DEPENDS_ON: Mapping[str, str] = {EVALUATION: SERVICE}

_NAMESPACE = uuid.UUID("6f1c2a4e-3b0d-5c7e-9a41-2d8b6e0f1a37")
MAX_PROJECT_NO = 50  # 办件编号 an..50
DEFAULT_CHANNEL = "default"


class Part(NamedTuple):
    """One record of a rating for one target: its content, or why it is held back."""

    part: str
    natural_key: str | None
    content: Mapping[str, Any] | None
    held: str | None = None
    depends_on: str | None = None  # the part of the same rating acknowledged first
    counts_key: tuple[str, str, str] | None = None  # (region, channel, level) in the target's codes


def record_id(target: str, natural_key: str) -> str:
    """A record's identity at the target: the same for every re-send and every version."""
    return str(uuid.uuid5(_NAMESPACE, f"{target}|{natural_key}"))


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def digest(natural_keys: Any) -> str:
    """An order-free digest of a set of natural keys (XOR of their SHA-256): both sides can compute it
    record by record, in any order."""
    value = 0
    for key in natural_keys:
        value ^= int.from_bytes(hashlib.sha256(str(key).encode()).digest(), "big")
    return f"{value:064x}"


def project_no(target: ExportTarget, rating: Rating) -> str:
    """办件编号: the case number when the rating names one, else the rating's own id."""
    return f"{target.project_prefix}{rating.case_no or rating.rating_id}"


def wanted(target: ExportTarget, rating: Rating) -> bool:
    return not rating.follow_up or target.wanted("follow_ups")


def satisfaction_code(target: ExportTarget, level: Satisfaction) -> str:
    return str(level.national_code if target.satisfaction_order == "gbt" else int(level))


def channel_key(rating: Rating) -> str:
    """The key of the target's channel table: a default rating (系统默认评价) is its own channel there
    (Zhejiang's pf 7); the others by the channel they came through."""
    return DEFAULT_CHANNEL if rating.default else rating.channel.value


def _hold_reason(target: ExportTarget, rating: Rating, codes: Mapping[str, str]) -> str | None:
    if channel_key(rating) not in target.channel_codes:
        return f"channel {channel_key(rating)} has no code at target {target.name}"
    if rating.rater_kind is not None and rating.rater_kind not in target.rater_kinds:
        return f"rater kind {rating.rater_kind} has no code at target {target.name}"
    if len(project_no(target, rating)) > MAX_PROJECT_NO:
        return f"办件编号 longer than {MAX_PROJECT_NO} characters"
    subjects = dict(rating.subjects)
    if rating.department:
        subjects[SubjectKind.DEPARTMENT] = rating.department
    for kind in target.required_codes:
        code = subjects.get(SubjectKind(kind))
        if code is None:
            return f"the rating names no {kind}, which target {target.name} requires"
        if f"{kind}#{code}" not in codes:
            return f"{kind} {code} has no national code"
    item = subjects.get(SubjectKind.ITEM)
    if item is not None and f"item#{item}" not in codes:
        return f"item {item} has no national code"
    return None


def _text(target: ExportTarget, rating: Rating) -> tuple[str, str]:
    """(evalDetail codes, words): tags with a code at the target go as codes, the others as words before
    the comment. Comments go up masked, as they are shown (no phone or ID number leaves)."""
    detail = [target.tag_codes[tag] for tag in rating.tags if tag in target.tag_codes]
    words = [tag for tag in rating.tags if tag not in target.tag_codes]
    if rating.comment:
        words.append(mask_free_text(rating.comment))
    return ",".join(detail), "；".join(words)


def _code(codes: Mapping[str, str], kind: SubjectKind, code: str | None) -> str:
    return codes.get(f"{kind.value}#{code}", "") if code else ""


def _ticket(rating: Rating) -> dict[str, str]:
    ticket = rating.ticket or {}
    return {
        "status": str(ticket.get("status", "")),
        "rectified": "1" if ticket.get("rectified") else "0",
        "replied": "1" if ticket.get("replied") else "0",
        "finished": "1" if ticket.get("finished") else "0",
        "on_time": "1" if ticket.get("on_time") else "0",
    }


def map_rating(target: ExportTarget, rating: Rating, codes: Mapping[str, str]) -> tuple[Part, ...]:
    """The records of `rating` for `target` (none if the target does not want it). `codes` holds the
    national codes of the directory entries on the rating ("item#I001" → its 事项编码)."""
    if not wanted(target, rating):
        return ()
    parts = PARTS[target.mapping]
    reason = _hold_reason(target, rating, codes)
    if reason is None and target.mapping == PROVINCIAL and not rating.good:
        detail, words = _text(target, rating)
        if not detail and not words:
            reason = "差评必须勾选详情或填写文字评价 (a bad rating needs details or words)"
    if reason is not None:
        return tuple(Part(part, None, None, held=reason, depends_on=DEPENDS_ON.get(part)) for part in parts)
    if target.mapping == GBT39046:
        return (_gbt_record(target, rating, codes),)
    return _provincial(target, rating, codes)


def _region(target: ExportTarget, rating: Rating) -> str:
    return rating.region[: target.region_digits]


def _rater(rating: Rating) -> str:
    """评价人: never a name or a number in clear; the masked phone of a named rater, else 匿名."""
    return rating.rater.phone_masked if rating.rater else "匿名"


def _gbt_record(target: ExportTarget, rating: Rating, codes: Mapping[str, str]) -> Part:
    number = project_no(target, rating)
    assess_number = "2" if rating.follow_up else "1"
    detail, words = _text(target, rating)
    channel = target.channel_codes[channel_key(rating)]
    level = satisfaction_code(target, rating.satisfaction)
    region = _region(target, rating)
    content: dict[str, Any] = {
        "办件编号": number,
        "评价渠道": channel,
        "评价人": _rater(rating),
        "评价时间": rating.rated_at.strftime(target.time_format),
        "评价次数": assess_number,
        "满意度": rating.satisfaction.label,
        "满意度代码": level,
        "文字评价": words,
        "行政区划": region,
        "数据来源": target.data_source,
        "部门编码": _code(codes, SubjectKind.DEPARTMENT, rating.department),
        "事项编码": _code(codes, SubjectKind.ITEM, rating.subjects.get(SubjectKind.ITEM)),
        "评价详情": detail,
    }
    if target.wanted("invalidations"):
        content["有效"] = "1" if rating.valid else "0"
    if target.wanted("rectifications") and rating.ticket:
        content["整改"] = _ticket(rating)
    return Part(RECORD, f"{number}#{assess_number}", content, counts_key=(region, channel, level))


def _provincial(target: ExportTarget, rating: Rating, codes: Mapping[str, str]) -> tuple[Part, ...]:
    number = project_no(target, rating)
    region = _region(target, rating)
    dept = _code(codes, SubjectKind.DEPARTMENT, rating.department)
    task = _code(codes, SubjectKind.ITEM, rating.subjects.get(SubjectKind.ITEM))
    user_prop = target.rater_kinds[rating.rater_kind or "person"]
    offline = rating.channel.value.startswith("hall_")
    service_time = rating.rated_at - timedelta(seconds=target.service_lead_seconds)
    service = {
        "projectNo": number,
        "serviceNumber": "1",
        "areaCode": region,
        "deptCode": dept,
        "taskCode": task,
        "proStatus": "3",  # 已完结: a rating follows a finished service
        "proChannel": "2" if offline else "1",
        "userProp": user_prop,
        "serviceTime": service_time.strftime(target.time_format),
        "dataSource": target.data_source,
    }
    detail, words = _text(target, rating)
    assess_number = "2" if rating.follow_up else "1"
    channel = target.channel_codes[channel_key(rating)]
    level = satisfaction_code(target, rating.satisfaction)
    evaluation: dict[str, Any] = {
        "projectNo": number,
        "serviceNumber": "1",
        "assessNumber": assess_number,
        "pf": channel,
        "satisfaction": level,
        "evalDetail": detail,
        "writingEvaluation": words,
        "assessTime": rating.rated_at.strftime(target.time_format),
        "areaCode": region,
        "deptCode": dept,
        "taskCode": task,
        "userProp": user_prop,
        "dataSource": target.data_source,
    }
    if target.wanted("invalidations"):
        evaluation["effectivEvalua"] = "1" if rating.valid else "0"
    if target.wanted("rectifications") and rating.ticket:
        ticket = _ticket(rating)
        evaluation.update(
            {
                "appStatus": ticket["status"],
                "zgjg": ticket["rectified"],  # 整改结果
                "sfhf": ticket["replied"],  # 是否回复
                "hfjg": ticket["on_time"],
            }
        )
    return (
        Part(SERVICE, f"{number}#s1", service),
        Part(
            EVALUATION,
            f"{number}#{assess_number}",
            evaluation,
            depends_on=SERVICE,
            counts_key=(region, channel, level),
        ),
    )


def render(target_name: str, natural_key: str, content: Mapping[str, Any], version: int) -> dict[str, Any]:
    """The record as sent: its content with its identity, version and operation (I first, U after)."""
    return {
        **content,
        "recordId": record_id(target_name, natural_key),
        "version": version,
        "op": "I" if version == 1 else "U",
    }


# What each record must look like (the stand-in receivers refuse anything else, with the field and why).
_AN50 = r"[A-Za-z0-9_.\-#]{1,50}"
_TIME_GBT = r"\d{8}T\d{6}"
_TIME_IF = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
_COMMON = {"recordId": r"[0-9a-f\-]{36}", "version": r"[1-9]\d{0,5}", "op": r"[IU]"}
SCHEMAS: Mapping[str, Mapping[str, str]] = {
    RECORD: {
        **_COMMON,
        "办件编号": _AN50,
        "评价渠道": r"PC端|移动服务端|二维码|政务大厅平板电脑|政务大厅其他终端|电话|短信",
        "评价人": r".{1,30}",
        "评价时间": _TIME_GBT,
        "评价次数": r"[12]",
        "满意度": r"非常满意|满意|基本满意|不满意|非常不满意",
        "满意度代码": r"[1-5]",
        "文字评价": r"(?s).{0,2000}",
        "行政区划": r"\d{1,9}",
        "数据来源": r"\d{3}",
        "部门编码": r"[0-9A-Z]{18}",
    },
    SERVICE: {
        **_COMMON,
        "projectNo": _AN50,
        "serviceNumber": r"\d{1,2}",
        "areaCode": r"\d{12}",
        "deptCode": r"[0-9A-Z]{18}",
        "taskCode": r"[0-9A-Za-z]{31}",
        "proStatus": r"[123]",
        "proChannel": r"[12]",
        "userProp": r"[1234569]",
        "serviceTime": _TIME_IF,
        "dataSource": r"\d{3}",
    },
    EVALUATION: {
        **_COMMON,
        "projectNo": _AN50,
        "serviceNumber": r"\d{1,2}",
        "assessNumber": r"[12]",
        "pf": r"[1-7]",
        "satisfaction": r"[1-5]",
        "evalDetail": r"[0-9,]{0,200}",
        "writingEvaluation": r"(?s).{0,2000}",
        "assessTime": _TIME_IF,
        "areaCode": r"\d{12}",
        "deptCode": r"[0-9A-Z]{18}",
        "taskCode": r"[0-9A-Za-z]{31}",
        "dataSource": r"\d{3}",
    },
}
_COMPILED = {part: {name: re.compile(rx) for name, rx in fields.items()} for part, fields in SCHEMAS.items()}


def validate(part: str, record: Any) -> dict[str, str]:
    """Each field of `record` that breaks the part's schema, and why (empty: valid)."""
    if not isinstance(record, dict):
        return {"record": "must be an object"}
    problems: dict[str, str] = {}
    for name, pattern in _COMPILED[part].items():
        value = record.get(name)
        if value is None:
            problems[name] = "required"
        elif not pattern.fullmatch(str(value)):
            problems[name] = f"does not match {SCHEMAS[part][name]}"
    bad = part == EVALUATION and str(record.get("satisfaction")) in ("1", "2")
    if bad and not record.get("evalDetail") and not record.get("writingEvaluation"):
        problems["evalDetail"] = "差评必须勾选详情或填写文字评价"
    return problems


def counts_of(part: str, record: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(region, channel, level) of a record as the target received it: how a target counts."""
    if part == RECORD:
        return (str(record["行政区划"]), str(record["评价渠道"]), str(record["满意度代码"]))
    if part == EVALUATION:
        return (str(record["areaCode"]), str(record["pf"]), str(record["satisfaction"]))
    return None


def natural_key_of(part: str, record: Mapping[str, Any]) -> str:
    """The natural key of a received record (the receiver's side of `map_rating`'s keys)."""
    if part == RECORD:
        return f"{record['办件编号']}#{record['评价次数']}"
    if part == SERVICE:
        return f"{record['projectNo']}#s{record['serviceNumber']}"
    return f"{record['projectNo']}#{record['assessNumber']}"
