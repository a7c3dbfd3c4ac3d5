"""Satisfaction levels, channels and region codes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.channels import Channel
from functions.core.domain.levels import Satisfaction
from functions.core.domain.regions import (
    InvalidRegionCode,
    RegionLevel,
    is_within,
    normalise_region_code,
    province_of,
    region_level,
    structural_parent,
)


def test_levels_three_to_five_are_good_one_and_two_bad():
    assert [s.good for s in sorted(Satisfaction)] == [False, False, True, True, True]
    assert Satisfaction(5).label == "非常满意" and Satisfaction(1).label == "非常不满意"


def test_national_satisfaction_codes_run_the_other_way():
    # GB/T 39046-2020 table A.8: 1 = 非常满意 … 5 = 非常不满意
    assert Satisfaction.VERY_SATISFIED.national_code == 1
    assert Satisfaction.VERY_DISSATISFIED.national_code == 5
    for level in Satisfaction:
        assert Satisfaction.from_national_code(level.national_code) is level
    with pytest.raises(ValueError):
        Satisfaction.from_national_code(0)


def test_channels_map_to_gbt_39046_codes_both_ways():
    expected = {"pc": 1, "mobile": 2, "qrcode": 3, "hall_pad": 4, "hall_terminal": 5, "phone": 6, "sms": 7}
    assert {c.value: c.national_code for c in Channel} == expected
    for name, code in expected.items():
        assert Channel.from_national_code(code) is Channel(name)
    with pytest.raises(ValueError):
        Channel.from_national_code(8)


@pytest.mark.parametrize(
    "code, full, level",
    [
        ("520000", "520000000000", RegionLevel.PROVINCE),
        ("520100", "520100000000", RegionLevel.CITY),
        ("520102", "520102000000", RegionLevel.COUNTY),
        ("520102016", "520102016000", RegionLevel.TOWNSHIP),
        ("520102016001", "520102016001", RegionLevel.VILLAGE),
    ],
)
def test_region_codes_normalise_to_twelve_digits_and_know_their_level(code, full, level):
    assert normalise_region_code(code) == full
    assert region_level(code) is level


@pytest.mark.parametrize("code", ["5201", "5201020", "52010200000X", "", "000000", "５２０１００"])
def test_malformed_region_codes_are_refused(code):
    with pytest.raises(InvalidRegionCode):
        normalise_region_code(code)


def test_structural_parents_climb_to_the_province():
    chain = ["520102016001"]
    while (parent := structural_parent(chain[-1])) is not None:
        chain.append(parent)
    assert chain == ["520102016001", "520102016000", "520102000000", "520100000000", "520000000000"]


region_codes = st.builds(
    lambda p, c, d, t, v, n: (f"{p:02d}{c:02d}{d:02d}{t:03d}{v:03d}")[:n].ljust(12, "0"),
    st.integers(11, 65),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 999),
    st.integers(0, 999),
    st.sampled_from([2, 4, 6, 9, 12]),
)


@given(region_codes)
def test_every_region_lies_within_its_structural_ancestors(code):
    assert normalise_region_code(code) == code
    assert is_within(code, province_of(code))
    parent = structural_parent(code)
    if parent is not None:
        assert is_within(code, parent)
        assert region_level(parent) < region_level(code)
        assert not is_within(parent, code) or parent == code


def test_rating_ids_made_by_the_server_are_time_ordered_ulids():
    from datetime import UTC, datetime

    from functions.core.domain.ratings import RATING_ID
    from functions.core.services.ratings import new_rating_id

    earlier = new_rating_id(datetime(2026, 9, 30, 9, 0, tzinfo=UTC))
    later = new_rating_id(datetime(2026, 9, 30, 9, 0, 1, tzinfo=UTC))
    assert RATING_ID.fullmatch(earlier) and len(earlier) == 27 and earlier.startswith("r")
    assert earlier < later
    assert len({new_rating_id() for _ in range(1000)}) == 1000
