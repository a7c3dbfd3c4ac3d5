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


# --- written variants: the digits a person typed, whatever separates them -------------------------

SEPARATORS = ["", " ", ".", "-", "(", ")", "·", "\u3000", "－", "／", "、", "，", "\t", "—", "．", "（", "）"]
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
OTHER_FORMS = {str(d): chr(0x0660 + d) for d in range(10)}  # Arabic-Indic digits, decimal too
WORDS = st.text(st.characters(categories=["Lo"]), max_size=4)


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """The number as a person may type it: each gap between digits holds 0-3 separators, each digit in
    ASCII, full-width or another script's form."""
    out = []
    for i, digit in enumerate(number):
        if i:
            out.append("".join(draw(st.lists(st.sampled_from(SEPARATORS), max_size=3))))
        form = draw(st.sampled_from(["ascii", "ascii", "full", "other"]))
        out.append(
            {"ascii": digit, "full": FULL_WIDTH.get(digit, digit), "other": OTHER_FORMS.get(digit, digit)}[
                form
            ]
        )
    return "".join(out)


def digits_of(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else ("X" if c in "Xx" else "") for c in text)


@given(data=st.data(), phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), before=WORDS, after=WORDS)
def test_a_mobile_number_is_masked_whatever_separates_its_digits(data, phone, before, after):
    prefix = data.draw(st.sampled_from(["", "+86", "+86 ", "86-", "（+86）"]))
    text = f"{before}{prefix}{data.draw(written(phone))}{after}"
    masked = mask_free_text(text)
    # Then the digits that remain never spell the number, and exactly its 4th to 7th digits are hidden
    assert phone not in digits_of(masked)
    assert masked.count("*") - text.count("*") == 4
    assert digits_of(masked).endswith(phone[-4:]) and phone[:3] in digits_of(masked)


@given(
    data=st.data(),
    number=st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True),
    before=WORDS,
    after=WORDS,
)
def test_an_id_number_is_masked_whatever_separates_its_characters(data, number, before, after):
    text = f"{before}{data.draw(written(number))}{after}"
    masked = mask_free_text(text)
    assert number not in digits_of(masked)
    assert digits_of(masked) == number[:2] + number[-2:]


@pytest.mark.parametrize(
    "text, shown",
    [
        ("138.1234.5678", "138.****.5678"),
        ("(138)12345678", "(138)****5678"),
        ("1 3 8 1 2 3 4 5 6 7 8", "1 3 8 * * * * 5 6 7 8"),
        ("电话：138 - 1234 - 5678。", "电话：138 - **** - 5678。"),
        ("身份证 520102 19900101 1234", "身份证 52**** ******** **34"),
        ("订单 2026 13812345678", "订单 2026 138****5678"),  # a separator lets a number start there
        ("编号20261381234567", "编号20261381234567"),  # digits glued together are one longer number
    ],
)
def test_separated_forms_are_masked(text, shown):
    assert mask_free_text(text) == shown
