"""The two shipped export mappings against the field's code tables (EXPORT.md), both directions: what
a rating becomes at each target, and back from the record to what was rated."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.channels import Channel
from functions.core.domain.directory import SubjectKind
from functions.core.domain.levels import Satisfaction
from functions.core.domain.ratings import ProtectedRater, Rating
from functions.export import mapping
from functions.export.targets import (
    INTERFACE_CHANNELS,
    ZHEJIANG_CHANNELS,
    ExportTarget,
    TargetError,
    national_gbt39046,
    provincial_interface,
    targets_from_json,
    targets_to_json,
)

CST = timezone(timedelta(hours=8))
DEPT = "11520000MB1234567X"
TASK = "1152000000000000000000000000001"  # 31 characters
CODES = {"department#D1": DEPT, "item#I1": TASK}
NATIONAL = national_gbt39046("national", "https://n.example/records", "152")
HUB = provincial_interface("hub", "https://h.example/report", "152")


def rating(**changes) -> Rating:
    base = Rating(
        rating_id="r-0001",
        channel=Channel.HALL_PAD,
        satisfaction=Satisfaction.SATISFIED,
        subjects={SubjectKind.DEPARTMENT: "D1", SubjectKind.ITEM: "I1"},
        paths=("region#520000000000", "department#D1", "item#I1"),
        department="D1",
        region="520102000000",
        case_no="GY-2026-0001",
        tags=(),
        comment=None,
        rater=None,
        rater_kind=None,
        rated_at=datetime(2026, 12, 3, 9, 30, 15, tzinfo=CST),
        received_at=datetime(2026, 12, 3, 9, 30, 16, tzinfo=CST),
        day="2026-12-03",
        fingerprint="f",
    )
    return base._replace(**changes)


# GB/T 39046 A.8 and table 9's channel names; the interfaces' satisfaction runs the other way.
GBT_A8 = {"非常满意": "1", "满意": "2", "基本满意": "3", "不满意": "4", "非常不满意": "5"}
INTERFACE_SATISFACTION = {"非常满意": "5", "满意": "4", "基本满意": "3", "不满意": "2", "非常不满意": "1"}


@pytest.mark.parametrize("level", list(Satisfaction))
def test_the_gbt_record_codes_satisfaction_by_table_a8_and_the_hub_by_the_interfaces(level):
    (record,) = mapping.map_rating(NATIONAL, rating(satisfaction=level, comment="说明"), CODES)
    assert record.content["满意度"] == level.label
    assert record.content["满意度代码"] == GBT_A8[level.label]
    service, evaluation = mapping.map_rating(HUB, rating(satisfaction=level, comment="说明"), CODES)
    assert evaluation.content["satisfaction"] == INTERFACE_SATISFACTION[level.label]
    # and back: the code read at the target names the level that was rated
    assert Satisfaction.from_national_code(int(record.content["满意度代码"])) is level
    assert Satisfaction(int(evaluation.content["satisfaction"])) is level


@pytest.mark.parametrize(
    ("channel", "name", "code"),
    [
        (Channel.PC, "PC端", "1"),
        (Channel.MOBILE, "移动服务端", "2"),
        (Channel.QRCODE, "二维码", "3"),
        (Channel.HALL_PAD, "政务大厅平板电脑", "4"),
        (Channel.HALL_TERMINAL, "政务大厅其他终端", "5"),
        (Channel.PHONE, "电话", "6"),
        (Channel.SMS, "短信", "7"),
    ],
)
def test_channels_by_name_at_the_national_platform_and_by_code_at_the_hub(channel, name, code):
    (record,) = mapping.map_rating(NATIONAL, rating(channel=channel), CODES)
    assert record.content["评价渠道"] == name
    _, evaluation = mapping.map_rating(HUB, rating(channel=channel), CODES)
    assert evaluation.content["pf"] == code
    assert {v: k for k, v in INTERFACE_CHANNELS.items()}[code] == channel.value


def test_the_6_7_conflict_is_a_table_a_zhejiang_target_holds_hotline_ratings_back():
    zhejiang = provincial_interface("zj", "https://zj.example/report", "133", channel_codes=ZHEJIANG_CHANNELS)
    _, sms = mapping.map_rating(zhejiang, rating(channel=Channel.SMS), CODES)
    assert sms.content["pf"] == "6"  # Zhejiang: 6 短信
    held = mapping.map_rating(zhejiang, rating(channel=Channel.PHONE), CODES)
    assert all(p.content is None and "channel phone has no code" in p.held for p in held)
    # a default rating (系统默认评价) is Zhejiang's 7; the national table has no such channel
    _, default = mapping.map_rating(zhejiang, rating(default=True), CODES)
    assert default.content["pf"] == "7"
    assert "channel default has no code" in mapping.map_rating(NATIONAL, rating(default=True), CODES)[0].held


def test_time_formats_region_lengths_rater_kinds_and_data_source_follow_the_target():
    named = rating(rater=ProtectedRater("enterprise", "138****0000", "h", b"sealed"), rater_kind="enterprise")
    (record,) = mapping.map_rating(NATIONAL, named, CODES)
    assert record.content["评价时间"] == "20261203T093015"
    assert record.content["行政区划"] == "520102000"  # n..9
    assert record.content["评价人"] == "138****0000"  # never a name or a number in clear
    assert record.content["数据来源"] == "152"
    service, evaluation = mapping.map_rating(HUB, named, CODES)
    assert evaluation.content["assessTime"] == "2026-12-03 09:30:15"
    assert service.content["serviceTime"] == "2026-12-03 09:25:15"  # before the rating
    assert evaluation.content["areaCode"] == "520102000000"
    assert evaluation.content["userProp"] == "2"
    assert service.content["proChannel"] == "2"  # a hall: offline


def test_missing_national_codes_hold_the_record_back_with_the_reason():
    held = mapping.map_rating(NATIONAL, rating(), {"item#I1": TASK})
    assert held[0].held == "department D1 has no national code"
    held = mapping.map_rating(HUB, rating(), {"department#D1": DEPT})
    assert {p.held for p in held} == {"item I1 has no national code"}
    no_item = rating(subjects={SubjectKind.DEPARTMENT: "D1"})
    assert "names no item" in mapping.map_rating(HUB, no_item, CODES)[0].held
    # the national platform takes a rating naming no item
    assert mapping.map_rating(NATIONAL, no_item, CODES)[0].content is not None


def test_a_bad_rating_without_details_or_words_is_held_at_the_hub():
    bad = rating(satisfaction=Satisfaction.DISSATISFIED)
    assert "差评必须" in mapping.map_rating(HUB, bad, CODES)[1].held
    with_words = bad._replace(tags=("排队时间长",), comment="电话13800000000找我")
    _, evaluation = mapping.map_rating(HUB, with_words, CODES)
    assert evaluation.content["writingEvaluation"].startswith("排队时间长；")
    assert "13800000000" not in evaluation.content["writingEvaluation"]  # masked


def test_follow_ups_invalidations_and_rectifications_are_what_the_target_wants():
    follow_up = rating(follow_up=True)
    (record,) = mapping.map_rating(NATIONAL, follow_up, CODES)
    assert record.natural_key == "GY-2026-0001#2" and record.content["评价次数"] == "2"
    only_ratings = national_gbt39046("n2", "https://n.example/r", "152", wants=())
    assert mapping.map_rating(only_ratings, follow_up, CODES) == ()
    rectified = rating(
        satisfaction=Satisfaction.VERY_DISSATISFIED,
        comment="慢",
        valid=False,
        ticket={"status": "closed", "rectified": True, "replied": True, "finished": True, "on_time": True},
    )
    (record,) = mapping.map_rating(NATIONAL, rectified, CODES)
    assert record.content["有效"] == "0" and record.content["整改"]["rectified"] == "1"
    (plain,) = mapping.map_rating(only_ratings, rectified, CODES)
    assert "有效" not in plain.content and "整改" not in plain.content


def test_identity_is_stable_and_every_rendered_record_satisfies_its_schema():
    (record,) = mapping.map_rating(NATIONAL, rating(), CODES)
    first = mapping.render("national", record.natural_key, record.content, 1)
    update = mapping.render("national", record.natural_key, record.content, 2)
    assert first["recordId"] == update["recordId"] and (first["op"], update["op"]) == ("I", "U")
    assert mapping.validate(mapping.RECORD, first) == {}
    for part in mapping.map_rating(HUB, rating(), CODES):
        assert mapping.validate(part.part, mapping.render("hub", part.natural_key, part.content, 1)) == {}
    broken = {**first, "满意度代码": "6", "评价时间": "2026-12-03 09:30:15"}
    assert set(mapping.validate(mapping.RECORD, broken)) == {"满意度代码", "评价时间"}


def test_the_receivers_side_reads_keys_and_counts_back_from_the_record():
    (record,) = mapping.map_rating(NATIONAL, rating(), CODES)
    sent = mapping.render("national", record.natural_key, record.content, 1)
    assert mapping.natural_key_of(mapping.RECORD, sent) == record.natural_key
    assert mapping.counts_of(mapping.RECORD, sent) == record.counts_key
    service, evaluation = mapping.map_rating(HUB, rating(), CODES)
    assert mapping.natural_key_of(mapping.SERVICE, service.content) == service.natural_key
    assert mapping.counts_of(mapping.EVALUATION, evaluation.content) == evaluation.counts_key


@given(st.sets(st.text(min_size=1, max_size=12), max_size=20), st.randoms())
def test_the_digest_is_the_same_in_any_order_and_tells_sets_apart(keys, rnd):
    ordered = sorted(keys)
    shuffled = list(keys)
    rnd.shuffle(shuffled)
    assert mapping.digest(ordered) == mapping.digest(shuffled)
    if keys:
        assert mapping.digest(ordered[1:]) != mapping.digest(ordered)


def test_targets_travel_as_json_and_bad_ones_are_refused():
    assert targets_from_json(targets_to_json((NATIONAL, HUB))) == (NATIONAL, HUB)
    with pytest.raises(TargetError):
        ExportTarget("x", "csv", "https://x.example", "152", {})
    with pytest.raises(TargetError):
        national_gbt39046("x", "http://remote.example", "152")  # plain http leaves the machine
    with pytest.raises(TargetError):
        targets_from_json(targets_to_json((NATIONAL, NATIONAL)))
