"""What a channel may send, and what the system keeps of it."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.personal import mask_mobile, normalise_mobile, valid_resident_id
from functions.core.domain.ratings import fingerprint, parse_rating_request
from infra.provinces import GUIZHOU

NOW = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)


def body(**changes):
    rating = {
        "channel": "hall_pad",
        "satisfaction": 2,
        "subjects": {"department": "D52010201", "window": "W5201020101"},
        "tags": ["服务态度生硬"],
        "rater": {"phone": "13800000000", "name": "张三"},
    }
    rating.update(changes)
    return {k: v for k, v in rating.items() if v is not None}


def rejected_fields(raw):
    with pytest.raises(ValidationFailed) as caught:
        parse_rating_request(raw, GUIZHOU, NOW)
    return caught.value.fields


def test_a_complete_rating_parses():
    request = parse_rating_request(body(rating_id="client-0001", case_no="BJ2026-001"), GUIZHOU, NOW)
    assert request.satisfaction == 2 and not request.satisfaction.good
    assert request.subjects == {SubjectKind.DEPARTMENT: "D52010201", SubjectKind.WINDOW: "W5201020101"}
    assert request.rater.phone == "13800000000" and request.rater.named
    assert request.rated_at is None  # the server's clock decides


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"satisfaction": 0}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"satisfaction": "5"}, "satisfaction"),
        ({"satisfaction": True}, "satisfaction"),
        ({"satisfaction": 4.0}, "satisfaction"),
        ({"channel": "fax"}, "channel"),
        ({"channel": 4}, "channel"),
        ({"comment": "差" * 501}, "comment"),
        ({"tags": ["服务态度好"]}, "tags"),  # a good tag on a bad rating
        ({"tags": ["不存在的词条"]}, "tags"),
        ({"tags": "服务态度生硬"}, "tags"),
        ({"rated_at": (NOW + timedelta(hours=1)).isoformat()}, "rated_at"),
        ({"rated_at": "2026-09-30T09:00:00"}, "rated_at"),  # no offset
        ({"rated_at": "yesterday"}, "rated_at"),
        ({"rater": {"phone": "12345678901"}}, "rater.phone"),
        ({"rater": {"phone": "0851-12345678"}}, "rater.phone"),
        ({"rater": {"name": "张三"}}, "rater.phone"),
        ({"rater": {"phone": "13800000000", "id_number": "520102199001011234"}}, "rater.id_number"),
        ({"rating_id": "short"}, "rating_id"),
        ({"rating_id": "has space in it"}, "rating_id"),
        ({"case_no": "x" * 51}, "case_no"),
        ({"subjects": {}}, "subjects"),
        ({"subjects": {"window": "W5201020101"}}, "subjects"),  # neither department nor region
        ({"subjects": {"region": "5201"}}, "subjects.region"),
        ({"subjects": {"department": "D1", "shop": "x"}}, "subjects"),
        ({"surprise": 1}, "body"),
        ({"follow_up": "yes"}, "follow_up"),
        ({"comment": "bell\x07"}, "comment"),
        ({"comment": "lone \ud800"}, "comment"),
        ({"rater": {"phone": "13800000000", "name": "王\x00五"}}, "rater.name"),
        ({"rated_at": "2026-09-30 09:00:00+08:00"}, "rated_at"),  # ISO 8601 allows a space; RFC 3339's T
        ({"rated_at": "20260930T090000+0800"}, "rated_at"),  # ISO 8601 basic format
        ({"rated_at": "2026-W40-3T09:00:00+08:00"}, "rated_at"),  # ISO week date
        ({"rated_at": "2026-02-30T09:00:00+08:00"}, "rated_at"),  # no such day
        (
            {"rater": {"phone": "13800000000", "kind": "enterprise", "id_number": "91350100M000100Y44"}},
            "rater.id_number",
        ),
    ],
)
def test_bad_input_names_the_field(changes, field):
    assert field in rejected_fields(body(**changes))


def test_missing_fields_are_all_reported_at_once():
    fields = rejected_fields({})
    assert {"channel", "satisfaction", "subjects"} <= fields.keys()


def test_not_an_object_is_refused():
    assert "body" in rejected_fields([1, 2])


def test_a_comment_of_exactly_500_characters_is_accepted():
    assert len(parse_rating_request(body(comment="好" * 500), GUIZHOU, NOW).comment) == 500


def test_a_slightly_fast_tablet_clock_is_tolerated():
    request = parse_rating_request(body(rated_at=(NOW + timedelta(seconds=30)).isoformat()), GUIZHOU, NOW)
    assert request.rated_at is not None


def test_region_subjects_are_normalised():
    request = parse_rating_request(body(subjects={"region": "520102"}), GUIZHOU, NOW)
    assert request.subjects == {SubjectKind.REGION: "520102000000"}


def test_the_fingerprint_ignores_key_order_but_not_content():
    a = {"channel": "pc", "satisfaction": 5, "subjects": {"region": "520102"}}
    b = {"subjects": {"region": "520102"}, "satisfaction": 5, "channel": "pc"}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({**a, "satisfaction": 4})


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("13800000000", "13800000000"),
        ("+86 138-0000-0000", "13800000000"),
        ("8619912345678", "19912345678"),
        ("12800000000", None),
        ("1380000000", None),
        ("010-12345678", None),
    ],
)
def test_mainland_mobile_numbers(raw, normalised):
    assert normalise_mobile(raw) == normalised


def test_phones_are_masked_as_shown_to_staff():
    assert mask_mobile("13800000000") == "138****0000"


def test_resident_id_check_character():
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")


@given(
    st.integers(1, 5),
    st.sampled_from(["pc", "mobile", "qrcode", "hall_pad", "hall_terminal", "phone", "sms"]),
)
def test_every_level_and_channel_with_its_own_tags_parses(level, channel):
    tags = list(GUIZHOU.tags.good[:2] if level >= 3 else GUIZHOU.tags.bad[:2])
    request = parse_rating_request(
        {"channel": channel, "satisfaction": level, "subjects": {"region": "520100"}, "tags": tags},
        GUIZHOU,
        NOW,
    )
    assert request.satisfaction.good == (level >= 3)
    assert request.tags == tuple(tags)


def test_follow_up_null_is_absent_like_the_other_optional_nulls():
    request = parse_rating_request(body(follow_up=None, comment=None, rater=None), GUIZHOU, NOW)
    assert request.follow_up is False


@pytest.mark.parametrize(
    "rated_at",
    ["2026-09-30T09:00:00+08:00", "2026-09-30T01:00:00Z", "2026-09-30t01:00:00.123456789z"],
)
def test_rfc_3339_date_times_are_accepted(rated_at):
    assert parse_rating_request(body(rated_at=rated_at), GUIZHOU, NOW).rated_at is not None


def test_an_enterprise_rater_gives_a_credit_code_with_its_check_character():
    rater = {"phone": "13800000000", "kind": "enterprise", "id_number": "91350100M000100Y43"}
    assert parse_rating_request(body(rater=rater), GUIZHOU, NOW).rater.id_number == "91350100M000100Y43"


@pytest.mark.parametrize(
    "changes, secret",
    [
        ({"rater": {"phone": "13800000000", "13912345678": "x"}}, "13912345678"),
        ({"subjects": {"department": "D1", "王小明": "x"}}, "王小明"),
        ({"13912345678": 1}, "13912345678"),
        ({"tags": ["电话13912345678"]}, "13912345678"),
    ],
)
def test_refusals_never_echo_what_may_be_personal(changes, secret):
    with pytest.raises(ValidationFailed) as refused:
        parse_rating_request(body(**changes), GUIZHOU, NOW)
    assert secret not in refused.value.message
    assert secret not in repr(refused.value.fields)


def test_a_comment_may_break_lines():
    assert (
        parse_rating_request(body(comment="第一行\n第二行\t!"), GUIZHOU, NOW).comment == "第一行\n第二行\t!"
    )
