"""Hot words (评价热词): what a rating adds to its subjects' counters, and reading them back.

A valid rating with a comment adds 1 to `hw:good:<word>` or `hw:bad:<word>` for each distinct word of
its comment (at most `WORDS_PER_RATING`), on the same counters and through the same exactly-once
application as the indices (the contribution hook of functions/index/contribution.py): a MODIFY adds
new − old, so a rating found invalid on appeal takes its words away again, and a replayed record adds
nothing. The segmenter is deterministic for a given dictionary; see `segmenter.py` for what is
counted and `redaction.py` for what is removed first.

Bounded: a subject's hot words of a period are kept in `HOT_WORD_SLOTS` items by a hash of the word
(`hw|m#2026-09#07`), not one item. The segmenter counts dictionary words only (an unknown string falls
apart into single characters, never counted), so a slot holds at most a 64th of jieba's ~350,000
entries (≈ 5,500 words, ≈ 110 KB) even in the busiest period of the oldest province: a quarter of
DynamoDB's 400 KB item limit at worst, and in practice well under 1 KB. Every word is counted exactly
(no top-K error), and a period's top words are read from all its slots in the same ≤ 3 Query requests
as a figure (the slots sort within their bucket). The price: a commented rating's words are written
to several slot items (tests.bench.index_counters measures the write units per commented rating)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from functions.core.domain.errors import ValidationFailed

FIELD_PREFIX = "hw:"
TOP_WORDS = 20
HOT_WORD_SLOTS = 64


class Polarity(StrEnum):
    GOOD = "good"
    BAD = "bad"


def parse_polarity(raw: str | None) -> Polarity:
    if raw is None:
        raise ValidationFailed({"polarity": "required: good or bad"})
    try:
        return Polarity(raw)
    except ValueError:
        raise ValidationFailed({"polarity": "must be good or bad"}) from None


def field_name(polarity: Polarity, word: str) -> str:
    return f"{FIELD_PREFIX}{polarity.value}:{word}"


def is_hot_word_field(name: str) -> bool:
    return name.startswith(FIELD_PREFIX)


def slot_of(name: str) -> str:
    """The suffix of the item a hot-word field is kept in, by a stable hash of its word (the same in
    every process: the old image's words are subtracted from where they were added)."""
    word = name.split(":", 2)[-1]
    return f"#{zlib.crc32(word.encode('utf-8')) % HOT_WORD_SLOTS:02d}"


def contribute(rating: Any) -> dict[str, int]:
    """The contribution hook (functions/index/contribution.py `EXTRA_CONTRIBUTORS`): a RatingImage's
    hot-word fields, cut by this process's segmenter."""
    from functions.index.analysis_wiring import segmenter

    if not rating.comment or not rating.valid or not rating.counts:
        return {}  # nothing to cut: no segmenter (and no settings) needed
    return rating_hot_words(
        {"satisfaction": rating.satisfaction, "valid": rating.valid, "comment": rating.comment},
        # Built only when a comment is there to cut: most ratings have none.
        lambda comment: segmenter().words(comment),
    )


def rating_hot_words(
    image: Mapping[str, Any] | None, words_of: Callable[[str], Sequence[str]]
) -> dict[str, int]:
    """The hot-word fields one rating image contributes: {"hw:bad:多头跑": 1, ...}; nothing for an
    invalid rating or one without a comment. `image` is the rating item as plain Python values."""
    if not image or not image.get("valid", True):
        return {}
    comment = image.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        return {}
    polarity = Polarity.GOOD if int(image["satisfaction"]) >= 3 else Polarity.BAD
    return {field_name(polarity, word): 1 for word in words_of(comment)}


def top_words(fields: Mapping[str, Any], polarity: Polarity, limit: int = TOP_WORDS) -> list[dict[str, Any]]:
    """The most frequent words of one polarity among summed counter fields, most frequent first (ties
    by the word, so that the answer is stable)."""
    prefix = f"{FIELD_PREFIX}{polarity.value}:"
    counted = [
        (name[len(prefix) :], int(value))
        for name, value in fields.items()
        if name.startswith(prefix) and int(value) > 0
    ]
    counted.sort(key=lambda wc: (-wc[1], wc[0]))
    return [{"word": word, "count": count} for word, count in counted[:limit]]
