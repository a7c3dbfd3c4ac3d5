"""Chinese word segmentation of comments, for hot words (评价热词).

Library: rjieba 0.2.x, the Python binding of jieba-rs (the Rust port of jieba, maintained), rather than
jieba 0.42.1 itself (last release January 2020, unmaintained). Same dictionary and the same tagger, so
the words are the same (tests/unit/test_hot_words.py checks it); measured on this machine by
`python -m tests.bench.public_segmentation`, with part-of-speech tagging on (name removal needs it),
on a quiet machine: rjieba ≈ 50,000 comments/s, jieba ≈ 13,000; on a busy one (load 14 on 2 cores)
33,000 against 4,900. rjieba loads in 0.16 s per tokenizer (this module builds its own, so about
0.35 s with the package's default one), jieba in 1.9 s: a stream function that starts cold pays the
load, so the shorter start matters as much as the speed.

How a comment becomes words:
1. personal data is removed first (functions/index/redaction.py);
2. the text is cut with the dictionary only (no HMM): a word the dictionary does not know falls apart
   into single characters, which are never counted, so invented strings (most names, typos, codes)
   cannot become hot words;
3. a word is counted when it has two characters or more, is no stopword, and its part of speech is a
   common noun, verb, adjective or idiom, or it is a domain word (事项 names from the directory, the
   province's tags, the terms below). Person and place names (nr, nrt, nrfg, ns) and numerals are not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from functions.index.redaction import remove_personal_data

# Terms of the 好差评 domain that the general dictionary splits (一次办结 → 一次 / 办结).
DOMAIN_TERMS: tuple[str, ...] = (
    "一次办结",
    "多头跑",
    "跑多次",
    "跑断腿",
    "办事指南",
    "一网通办",
    "一窗通办",
    "一件事",
    "最多跑一次",
    "一次性告知",
    "首问负责",
    "容缺受理",
    "限时办结",
    "帮办代办",
    "预约办理",
    "网上办理",
    "掌上办",
    "不见面审批",
    "材料精简",
    "材料繁琐",
    "排队时间长",
    "态度生硬",
    "态度好",
    "效率高",
    "效率低",
    "办结",
    "自助终端",
    "评价器",
    "营业执照",
    "社保卡",
    "不动产",
)
DOMAIN_TAG = "dw"

# Parts of speech (ICTCLAS tags, as jieba's dictionary has them) that make a hot word.
COUNTED_POS = frozenset({"n", "vn", "v", "a", "an", "ad", "ag", "l", "i", "nz", "d", "vd", DOMAIN_TAG})

# Frequent words that describe nothing: fillers, pronouns, and the domain's own background words.
_STOPWORD_TEXT = """
    没有 一个 这个 那个 什么 还是 就是 可以 已经 感觉 觉得 非常 比较 真的 我们 你们 他们 自己 今天 昨天
    时候 现在 工作 进行 政务 服务 办理 中心 事情 东西 问题 情况 需要 希望 知道 还有 然后 因为 所以 但是
    而且 如果 虽然 一下 一些 这样 那样 怎么 为什么 这么 那么 这里 那里 特别 十分 挺好 还行 一直 直接
    不是 就是 只是 也是 都是 来到 过来 出来 起来 告诉 说明 表示 认为 应该 可能 必须 给予 进行 之后 以后
    以前 之前 其他 一样 所有 很多 太多 不能 不会 不要 不用 能够 需要 办事 事项 部门 政府 单位 人员
    电话 手机 号码 手机号 电话号码 身份证 身份证号 证件 联系 联系方式 姓名 名字 工作人员 窗口 工号
    先生 女士 小姐 师傅 同志 老师 阿姨 大姐 大哥 叔叔 主任 科长 处长 局长 所长 队长 组长 经理 书记 警官
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_HAN = re.compile(r"[\u4e00-\u9fff]")
# At most this many words of one rating count, so that no single comment can push a word up.
WORDS_PER_RATING = 8


class Segmenter:
    """A segmenter with the domain dictionary loaded; safe to share between threads (the local stack's
    pollers), one per process (loading the dictionary takes about 0.2 s)."""

    def __init__(self, domain_words: Iterable[str] = (), backend: str = "rjieba") -> None:
        self.backend = backend
        self._domain = frozenset(w for w in (*DOMAIN_TERMS, *domain_words) if len(w) >= 2)
        self._tag = self._load(backend)
        # A MODIFY (a ticket moving on) carries the same comment in its old and new images: cut it once.
        self.words = functools.lru_cache(maxsize=2048)(self._words)  # type: ignore[method-assign]

    def _load(self, backend: str) -> Any:
        if backend == "rjieba":
            import rjieba

            # A tokenizer of its own (the package's default one is shared by the whole process): the
            # words of a comment depend on this segmenter's dictionary only.
            tokenizer = rjieba.Jieba()
            for word in sorted(self._domain):
                tokenizer.add_word(word, None, DOMAIN_TAG)

            def tag_rjieba(text: str) -> list[tuple[str, str]]:
                return list(tokenizer.tag(text, hmm=False))

            return tag_rjieba
        if backend == "jieba":  # kept for the comparison bench only
            import logging

            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.posseg.POSTokenizer(jieba.Tokenizer())
            for word in sorted(self._domain):
                tokenizer.tokenizer.add_word(word, None, DOMAIN_TAG)

            def tag_jieba(text: str) -> list[tuple[str, str]]:
                return [(p.word, p.flag) for p in tokenizer.cut(text, HMM=False)]

            return tag_jieba
        raise ValueError(f"unknown segmentation backend {backend!r}")

    def words(self, comment: str | None, limit: int = WORDS_PER_RATING) -> tuple[str, ...]:
        return self._words(comment, limit)

    def _words(self, comment: str | None, limit: int = WORDS_PER_RATING) -> tuple[str, ...]:
        """The distinct hot-word candidates of a comment, at most `limit`: domain words first, then the
        others in the order they were written."""
        if not comment:
            return ()
        text = remove_personal_data(comment)
        tagged = self._tag(text)
        seen: dict[str, bool] = {}
        for word, pos in tagged:
            if word in seen or not self._counted(word, pos):
                continue
            seen[word] = word in self._domain
        ordered = sorted(seen, key=lambda w: not seen[w])  # stable: written order within each group
        return tuple(ordered[:limit])

    def _counted(self, word: str, pos: str) -> bool:
        if len(word) < 2 or len(word) > 20 or word in STOPWORDS:
            return False
        if word in self._domain:
            return True
        return pos in COUNTED_POS and bool(_HAN.search(word)) and not any(c.isdigit() for c in word)
