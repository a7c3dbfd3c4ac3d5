"""Personal data in free text is masked wherever a comment is shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.personal import mask_free_text, valid_credit_code


@pytest.mark.parametrize(
    "text, shown",
    [
        ("我的电话13812345678谢谢", "我的电话138****5678谢谢"),
        ("call 138-1234-5678", "call 138-****-5678"),
        ("+86 139 1234 5678 找我", "+86 139 **** 5678 找我"),
        ("TEL13812345678", "TEL138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),  # full-width digits
        ("身份证11010519491231002X号", "身份证11**************2X号"),
        ("身份证号520102199001011234", "身份证号52**************34"),  # a wrong check digit is still an ID
        ("公司代码91350100M000100Y43。", "公司代码91**************43。"),
        ("等了三个小时，态度差", "等了三个小时，态度差"),
        ("办件编号2026093012345678901", "办件编号2026093012345678901"),  # 19 digits: not an ID, not a phone
        ("订单2013812345678", "订单2013812345678"),  # a phone glued into a longer number is not one
    ],
)
def test_phones_id_numbers_and_credit_codes_are_masked(text, shown):
    assert mask_free_text(text) == shown


@given(st.text())
def test_masking_keeps_the_length_and_every_other_character(text):
    masked = mask_free_text(text)
    assert len(masked) == len(text)
    assert all(m == t or m == "*" for m, t in zip(masked, text, strict=True))


@given(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.text(st.characters(categories=["Lo"]), max_size=5)
)
def test_no_mobile_number_survives_in_chinese_text(phone, words):
    assert phone not in mask_free_text(f"{words}{phone}{words}")


@pytest.mark.parametrize(
    "code, valid",
    [
        ("91350100M000100Y43", True),
        ("9144030071526726XG", True),  # published codes of real companies
        ("914403001922038216", True),
        ("91330100799655058B", True),
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100Y4", False),
        ("9135010OM000100Y43", False),  # O is not in the alphabet
    ],
)
def test_credit_codes_are_checked_by_gb_32100(code, valid):
    assert valid_credit_code(code) is valid
