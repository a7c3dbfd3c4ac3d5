"""The reply parser: what an applicant's text to an invitation says."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.sms.replies import OptOut, Rate, Unparseable, parse_reply


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("5", Rate(5, None)),
        ("１", Rate(1, None)),
        ("５", Rate(5, None)),
        ("２ 等了两个小时", Rate(2, "等了两个小时")),
        ("5 服务很好", Rate(5, "服务很好")),
        ("5服务很好！", Rate(5, "服务很好")),
        ("  4  ", Rate(4, None)),
        ("【3】", Rate(3, None)),
        ("“5”。", Rate(5, None)),
        ("5分", Rate(5, None)),
        ("5分 很快就办好了", Rate(5, "很快就办好了")),
        ("1，态度很差", Rate(1, "态度很差")),
        ("2\n排队  太久", Rate(2, "排队 太久")),
        ("非常满意", Rate(5, None)),
        ("满意", Rate(4, None)),
        ("基本满意", Rate(3, None)),
        ("不满意", Rate(2, None)),
        ("非常不满意", Rate(1, None)),
        ("不满意，材料要求太多", Rate(2, "材料要求太多")),
        ("非常满意 谢谢", Rate(5, "谢谢")),
    ],
)
def test_levels_with_their_words(body, expected):
    assert parse_reply(body) == expected


@pytest.mark.parametrize("body", ["退订", "TD", "td", "Ｔ Ｄ".replace(" ", ""), " 退订。", "t"])
def test_opt_out_words(body):
    assert parse_reply(body) == OptOut()


def test_the_provinces_own_opt_out_words_are_used():
    assert parse_reply("取消", opt_out_words=("取消",)) == OptOut()
    assert parse_reply("TD", opt_out_words=("取消",)) == Unparseable()


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "好",
        "谢谢",
        "0",
        "6",
        "12",
        "55",
        "2.5",
        "3个小时都没办好",
        "5分钟没人理",
        "2天了还没办",
        "我给5分",
        "hello",
        "TD5",
        "\x00\x07",
    ],
)
def test_noise_and_ambiguity_are_unparseable(body):
    assert parse_reply(body) == Unparseable()


@given(st.text(max_size=80))
def test_any_text_gets_an_answer_and_a_level_in_range(body):
    reply = parse_reply(body)
    assert isinstance(reply, Rate | OptOut | Unparseable)
    if isinstance(reply, Rate):
        assert 1 <= reply.satisfaction <= 5
        assert reply.comment is None or (reply.comment and reply.comment == reply.comment.strip())


@given(st.sampled_from("12345"), st.text(alphabet="服务很好排队太久态度差", min_size=1, max_size=20))
def test_full_width_and_half_width_digits_read_the_same(digit, words):
    wide = chr(ord(digit) - ord("0") + ord("０"))
    assert parse_reply(f"{wide} {words}") == parse_reply(f"{digit} {words}") == Rate(int(digit), words)
