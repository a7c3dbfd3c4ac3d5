"""Hot words: what a comment adds, what is never counted (personal data, names, stopwords), the bound per
rating, and reading the most frequent words back."""

from __future__ import annotations

import re

import pytest

from functions.core.domain.errors import ValidationFailed
from functions.index.hotwords import Polarity, field_name, parse_polarity, rating_hot_words, top_words
from functions.index.redaction import remove_personal_data
from functions.index.segmenter import WORDS_PER_RATING, Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter(domain_words=["企业开办一件事", "社会保障卡申领"])


def test_domain_terms_stay_whole(segmenter: Segmenter) -> None:
    # Given a comment with the domain's terms that the general dictionary would split
    words = segmenter.words("办事指南有误，多头跑了三趟，企业开办一件事没有一次办结")
    # Then each is one word, and domain words come first
    assert words[:4] == ("办事指南", "多头跑", "企业开办一件事", "一次办结")


@pytest.mark.parametrize(
    "comment",
    [
        "我叫王小明，电话13812345678，态度很差",
        "联系我 138 1234 5678 或 +86-138-1234-5678，身份证520102199001011234",
        "身份证５２０１０２１９９００１０１１２３Ｘ，窗口张伟态度生硬",
        "李娜女士和刘师傅服务热情，赵建国同志一次办结",
        "欧阳娜娜来办营业执照，工号0012的人很耐心，邮箱 someone@example.com",
        "办理人：陈晓东，座机0851-86812345",
    ],
)
def test_no_personal_data_is_ever_a_word(segmenter: Segmenter, comment: str) -> None:
    words = segmenter.words(comment, limit=100)
    joined = " ".join(words)
    assert not re.search(r"\d{3}", joined), words
    for name in (
        "王小明",
        "张伟",
        "李娜",
        "刘",
        "赵建国",
        "建国",
        "欧阳",
        "娜娜",
        "陈晓东",
        "someone",
        "example",
    ):
        assert name not in joined, (name, words)


def test_removal_keeps_the_rest_of_the_comment() -> None:
    text = remove_personal_data("王先生电话13812345678，服务态度好")
    assert "13812345678" not in text and "王" not in text
    assert "服务态度好" in text


def test_a_rating_adds_at_most_the_bound_and_each_word_once(segmenter: Segmenter) -> None:
    comment = "效率高 效率高 效率高 " + "，".join(
        [
            "态度热情",
            "流程清楚",
            "材料简单",
            "环境整洁",
            "指引明确",
            "手续方便",
            "回复及时",
            "沟通耐心",
            "速度很快",
        ]
    )
    fields = rating_hot_words({"satisfaction": 5, "valid": True, "comment": comment}, segmenter.words)
    assert 0 < len(fields) <= WORDS_PER_RATING
    assert set(fields.values()) == {1}
    assert field_name(Polarity.GOOD, "效率高") in fields
    assert all(name.startswith("hw:good:") for name in fields)


def test_bad_ratings_count_as_bad_and_invalid_or_empty_ones_not_at_all(segmenter: Segmenter) -> None:
    bad = rating_hot_words({"satisfaction": 2, "valid": True, "comment": "多头跑"}, segmenter.words)
    assert bad == {"hw:bad:多头跑": 1}
    assert rating_hot_words({"satisfaction": 1, "valid": False, "comment": "多头跑"}, segmenter.words) == {}
    assert rating_hot_words({"satisfaction": 1, "valid": True}, segmenter.words) == {}
    assert rating_hot_words({"satisfaction": 1, "valid": True, "comment": "  "}, segmenter.words) == {}
    assert rating_hot_words(None, segmenter.words) == {}


def test_stopwords_and_single_characters_are_not_counted(segmenter: Segmenter) -> None:
    assert segmenter.words("我们觉得还是可以的，就是这个") == ()


def test_top_words_order_and_polarity() -> None:
    fields = {
        "hw:good:效率高": 3,
        "hw:good:热情": 3,
        "hw:good:方便": 1,
        "hw:bad:多头跑": 7,
        "hw:good:消失": 0,
        "n_valid": 9,
    }
    assert top_words(fields, Polarity.GOOD) == [
        {"word": "效率高", "count": 3},
        {"word": "热情", "count": 3},
        {"word": "方便", "count": 1},
    ]
    assert top_words(fields, Polarity.BAD, limit=1) == [{"word": "多头跑", "count": 7}]


def test_polarity_must_be_good_or_bad() -> None:
    assert parse_polarity("bad") is Polarity.BAD
    for raw in (None, "neutral", "GOOD"):
        with pytest.raises(ValidationFailed) as e:
            parse_polarity(raw)
        assert "polarity" in e.value.fields


def test_both_libraries_cut_the_same_words() -> None:
    # The choice of rjieba over jieba changes speed, not results: same dictionary, same tagger.
    comments = [
        "办事指南有误，材料要求繁琐，排队时间长",
        "工作人员耐心细致，一次办结，效率高",
        "系统经常卡顿，网上办理不方便",
    ]
    fast, reference = Segmenter(), Segmenter(backend="jieba")
    assert [fast.words(c) for c in comments] == [reference.words(c) for c in comments]


def test_a_subjects_hot_words_are_kept_in_bounded_slots_and_read_back_in_one_range() -> None:
    # Given the changes of ratings whose comments hold many distinct words
    from functions.index.aggregation import BatchPlan
    from functions.index.contribution import CounterKey
    from functions.index.figures import Period, key_ranges
    from functions.index.hotwords import HOT_WORD_SLOTS

    plan = BatchPlan()
    words = [f"词{i}" for i in range(2000)]
    for n, start in enumerate(range(0, len(words), 8)):
        fields = {f"hw:bad:{w}": 1 for w in words[start : start + 8]} | {"n": 1}
        plan.add(str(100 + n), {CounterKey("region#P", "2026-09-30"): fields})

    # When they are planned as counter items
    items = plan.items()
    hot = [i for i in items if i.bucket.startswith("hw|")]

    # Then the words spread over the slots of the day and month buckets, none holding many
    assert {i.bucket.rsplit("#", 1)[0] for i in hot} == {"hw|d#2026-09-30", "hw|m#2026-09"}
    assert len(hot) == 2 * HOT_WORD_SLOTS
    assert max(len(i.merged()) for i in hot) < 3 * len(words) / HOT_WORD_SLOTS
    # And every slot of the period lies inside the ranges a figure reads
    (month,) = key_ranges(Period(None, None), "hw")
    assert all(month.low <= i.bucket <= month.high for i in hot if "|m#" in i.bucket)
