"""The province rules on ratings (ProvinceConfig.ratings): a bad rating's reason, sub-scores, default
ratings and how figures count them. The demo province (Guizhou) and Huanggang ship opposite settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.domain.channels import Channel
from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import ValidationFailed
from functions.core.domain.province import ProvinceConfig, RatingRules, SubScoreDimensions
from functions.core.domain.ratings import (
    DueCase,
    build_default_rating,
    default_rating_id,
    parse_rating_request,
)
from functions.core.storage.ratings import item_to_rating, rating_to_item
from functions.index import contribution as c
from functions.index.figures import Period, figures_view
from infra.provinces import GUIZHOU
from infra.provinces.huanggang import HUANGGANG
from tests.unit.test_index_rules import image as index_image

NOW = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
PATHS = ("window#W1", "department#D1", "region#520000000000")


def body(**changes: object) -> dict[str, object]:
    rating: dict[str, object] = {
        "channel": "hall_pad",
        "satisfaction": 2,
        "subjects": {"department": "D52010201", "window": "W5201020101"},
    }
    rating.update(changes)
    return {k: v for k, v in rating.items() if v is not None}


def refused(raw: dict[str, object], province: ProvinceConfig = GUIZHOU) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rating_request(raw, province, NOW)
    return caught.value.fields


# --- configuration ------------------------------------------------------------------------------


def test_national_practice_is_the_default_and_imposes_none_of_the_four_rules() -> None:
    rules = RatingRules()
    assert not rules.reason_required and rules.rating_period_days is None and not rules.default_rating
    assert rules.sub_scores.all() == () and not rules.follow_up_replaces


@pytest.mark.parametrize("province", [GUIZHOU, HUANGGANG], ids=["guizhou", "huanggang"])
def test_the_rules_survive_the_json_round_trip(province: ProvinceConfig) -> None:
    assert ProvinceConfig.from_json(province.to_json()).ratings == province.ratings


def test_the_demo_province_and_huanggang_ship_one_setting_of_each_rule_apiece() -> None:
    demo, other = GUIZHOU.ratings, HUANGGANG.ratings
    assert (demo.reason_required, other.reason_required) == (True, False)
    assert (demo.rating_period_days, other.rating_period_days) == (15, 30)
    assert (demo.default_counts_good, other.default_counts_good) == (True, False)
    assert (demo.follow_up_replaces, other.follow_up_replaces) == (True, False)
    assert demo.sub_scores.online and not other.sub_scores.online


@pytest.mark.parametrize(
    "rules",
    [
        RatingRules(rating_period_days=0),
        RatingRules(follow_up_days=-1),
        RatingRules(default_rating=True),  # a default rating needs a period to end
        RatingRules(rating_period_days=15, default_rating=True, default_level=2),  # would open a ticket
        RatingRules(sub_scores=SubScoreDimensions(on_site=("satisfaction",))),
        RatingRules(sub_scores=SubScoreDimensions(online=("办事效率",))),
    ],
)
def test_impossible_rules_are_refused_when_the_configuration_loads(rules: RatingRules) -> None:
    with pytest.raises(ValueError):
        replace(GUIZHOU, ratings=rules)


# --- 1. a bad rating gives its reason --------------------------------------------------------------


def test_where_the_province_requires_it_a_bad_rating_without_tag_or_comment_names_both_fields() -> None:
    fields = refused(body())
    assert set(fields) == {"tags", "comment"}


@pytest.mark.parametrize(
    "changes", [{"tags": ["服务态度生硬"]}, {"comment": "等了两个小时"}, {"satisfaction": 3}]
)
def test_a_bad_tag_or_a_comment_is_a_reason_and_a_good_rating_needs_none(changes: dict[str, object]) -> None:
    assert parse_rating_request(body(**changes), GUIZHOU, NOW)


def test_a_blank_comment_is_no_reason() -> None:
    assert set(refused(body(comment="   "))) == {"tags", "comment"}


def test_a_province_that_does_not_require_it_takes_a_bad_level_alone() -> None:
    raw = body(subjects={"department": "D42110001"})
    assert not parse_rating_request(raw, HUANGGANG, NOW).satisfaction.good


# --- 4. sub-scores --------------------------------------------------------------------------------


def test_on_site_sub_scores_are_taken_and_satisfaction_stays_the_overall_level() -> None:
    request = parse_rating_request(
        body(satisfaction=4, sub_scores={"efficiency": 2, "service": 5, "attitude": 4}), GUIZHOU, NOW
    )
    assert request.sub_scores == {"efficiency": 2, "service": 5, "attitude": 4}
    assert request.satisfaction.good  # a low sub-score does not make the rating bad


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"sub_scores": {"guide": 3}}, "sub_scores"),  # an online dimension on a hall tablet
        ({"sub_scores": {"speed": 3}}, "sub_scores"),
        ({"sub_scores": {"efficiency": 6}}, "sub_scores.efficiency"),
        ({"sub_scores": {"efficiency": True}}, "sub_scores.efficiency"),
        ({"sub_scores": {"efficiency": "5"}}, "sub_scores.efficiency"),
        ({"sub_scores": [5]}, "sub_scores"),
        ({"channel": "sms", "sub_scores": {"efficiency": 5}}, "sub_scores"),  # SMS asks a level only
    ],
)
def test_unknown_or_malformed_sub_scores_are_400s(changes: dict[str, object], field: str) -> None:
    assert field in refused(body(satisfaction=4, **changes))


def test_online_dimensions_on_an_online_channel() -> None:
    raw = body(satisfaction=5, channel="pc", sub_scores={"guide": 4, "usability": 3})
    assert parse_rating_request(raw, GUIZHOU, NOW).sub_scores == {"guide": 4, "usability": 3}
    assert "sub_scores" in refused(raw, HUANGGANG)  # Huanggang scores on site only


def test_channels_fall_in_the_groups_their_dimensions_follow() -> None:
    assert Channel.HALL_PAD.group == Channel.QRCODE.group == "on_site"
    assert Channel.PC.group == Channel.MOBILE.group == "online"
    assert Channel.SMS.group is None and Channel.PHONE.group is None


# --- 2. default ratings -----------------------------------------------------------------------------


def due_case(case_no: str = "GZ-DEF-1") -> DueCase:
    return DueCase(
        case_no=case_no,
        subjects={SubjectKind.DEPARTMENT: "D1", SubjectKind.REGION: "520000000000"},
        paths=PATHS,
        department="D1",
        region="520000000000",
        rate_until=datetime(2026, 10, 15, 16, 30, tzinfo=UTC),  # 00:30 on the 16th in China
        rated=False,
    )


def test_a_default_rating_is_made_at_the_end_of_the_period_once_per_case_and_is_no_ticket() -> None:
    made = build_default_rating(due_case(), GUIZHOU, NOW + timedelta(days=20))
    again = build_default_rating(due_case(), GUIZHOU, NOW + timedelta(days=21))
    assert made.rating_id == again.rating_id == default_rating_id("GZ-DEF-1")
    assert made.fingerprint == again.fingerprint  # a second run replays it
    assert made.kind == "default" and made.ticket_id is None and made.rater is None
    assert made.day == "2026-10-16" and int(made.satisfaction) == 5 and made.counted
    assert not build_default_rating(due_case(), HUANGGANG, NOW).counted


def test_a_default_rating_is_stored_and_read_back_as_default() -> None:
    made = build_default_rating(due_case(), HUANGGANG, NOW)
    back = item_to_rating(rating_to_item(made))
    assert back == made._replace(subjects=back.subjects)
    assert back.kind == "default" and not back.counted


# --- figures -----------------------------------------------------------------------------------------


def image(**overrides: object) -> c.RatingImage:
    base: dict[str, object] = {"satisfaction": 4, "tags": (), "named": False, "paths": PATHS}
    return index_image(**{**base, **overrides})


def test_a_counted_default_counts_at_its_level_and_as_a_default() -> None:
    assert c.base_contribution(image(satisfaction=5, default=True)) == {"defaults": 1, "n": 1, "v5": 1}


def test_an_uncounted_default_counts_only_as_a_default() -> None:
    assert c.base_contribution(image(satisfaction=5, default=True, counted=False)) == {"defaults": 1}


def test_a_replaced_rating_counts_nowhere() -> None:
    assert c.base_contribution(image(replaced=True, sub_scores={"efficiency": 3})) == {}


def test_sub_scores_count_per_dimension_and_level_for_valid_ratings_only() -> None:
    assert c.base_contribution(image(sub_scores={"efficiency": 2, "attitude": 5})) == {
        "n": 1,
        "v4": 1,
        "ss:efficiency:2": 1,
        "ss:attitude:5": 1,
    }
    assert c.base_contribution(image(valid=False, sub_scores={"efficiency": 2})) == {"n": 1}


def test_the_stream_image_carries_the_new_fields() -> None:
    made = build_default_rating(due_case(), HUANGGANG, NOW)
    item = rating_to_item(made._replace(sub_scores={"efficiency": 3}, replaced_by="r9"))
    read = c.RatingImage.from_stream(item)
    assert (read.default, read.counted, read.replaced, dict(read.sub_scores)) == (
        True,
        False,
        True,
        {"efficiency": 3},
    )


LEVELS = st.integers(min_value=1, max_value=5)
IMAGES = st.builds(
    image,
    satisfaction=st.integers(min_value=3, max_value=5),
    valid=st.booleans(),
    default=st.booleans(),
    counted=st.booleans(),
    replaced=st.booleans(),
    sub_scores=st.dictionaries(st.sampled_from(["efficiency", "service", "attitude"]), LEVELS),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(IMAGES, max_size=25))
def test_figures_equal_a_recount_with_defaults_and_sub_scores_in_the_mix(images: list[c.RatingImage]) -> None:
    counts = c.sum_fields(c.base_contribution(i) for i in images)
    view = figures_view("window", "W1", Period(None, None), counts, GUIZHOU.index)

    counting = [i for i in images if i.counts]
    valid = [i for i in counting if i.valid]
    assert view["defaults"] == sum(1 for i in images if i.default and not i.replaced)
    assert view["total"] == len(counting) and view["valid"] == len(valid)
    for dimension in ("efficiency", "service", "attitude"):
        scores = [i.sub_scores[dimension] for i in valid if dimension in i.sub_scores]
        if not scores:
            assert dimension not in view["sub_scores"]
            continue
        shown = view["sub_scores"][dimension]
        assert shown["mean"] == round(sum(scores) / len(scores), 4)
        assert shown["counts"] == {str(level): scores.count(level) for level in range(1, 6)}
