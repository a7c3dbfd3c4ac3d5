"""What an applicant's reply to an invitation says: a satisfaction level (and words that become the
comment), an opt-out, or nothing we can read. Pure: no I/O, no clock.

Accepted: a digit 1..5, half- or full-width ("5", "５"), optionally followed by 分/星 and by words
("5 服务很好" → 5 with the comment "服务很好"); a level's name at the start ("非常满意", "不满意", with
words after it as well); surrounding spaces, quotes, brackets and punctuation. Anything else (two
digits, 0 or 6, a digit inside a sentence) is unparseable: guessing a level from it would put words in
the applicant's mouth."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

# Longest first: "非常不满意" must not be read as "非常" + "不满意", nor "不满意" as "满意".
LEVEL_WORDS: tuple[tuple[str, int], ...] = (
    ("非常不满意", 1),
    ("很不满意", 1),
    ("非常满意", 5),
    ("基本满意", 3),
    ("很满意", 5),
    ("不满意", 2),
    ("满意", 4),
)

# Characters that frame or trail a reply without meaning anything.
_NOISE = " \t\r\n\"'“”‘’「」『』【】[]()（）<>《》.,;:!?。，；：！？、~～-—_*#"
# A digit that starts a quantity ("3个小时", "5分钟", "2.5") is not a level.
_LEADING_DIGIT = re.compile(
    r"([1-5])(?![0-9]|[.,][0-9]|\s*(?:分钟|[个天小时次点号年月日周元人楼位岁]))\s*(?:[分星](?!钟))?(.*)",
    re.DOTALL,
)
# Control and format characters (and lone surrogates) never belong in a stored comment.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class Rate(NamedTuple):
    satisfaction: int
    comment: str | None


class OptOut(NamedTuple):
    pass


class Unparseable(NamedTuple):
    pass


Reply = Rate | OptOut | Unparseable


def normalise(body: str) -> str:
    """NFKC (full-width digits, letters and spaces become ASCII), no control characters, trimmed."""
    text = unicodedata.normalize("NFKC", body)
    text = "".join(" " if unicodedata.category(ch) in _UNPRINTABLE else ch for ch in text)
    return text.strip()


def parse_reply(body: str, opt_out_words: Iterable[str] = ("退订", "TD", "T")) -> Reply:
    text = normalise(body)
    bare = text.strip(_NOISE)
    if bare.upper() in {normalise(word).upper() for word in opt_out_words}:
        return OptOut()
    match = _LEADING_DIGIT.fullmatch(bare)
    if match:
        return Rate(int(match.group(1)), _comment(match.group(2)))
    for word, level in LEVEL_WORDS:
        if bare.startswith(word):
            return Rate(level, _comment(bare[len(word) :]))
    return Unparseable()


def _comment(rest: str) -> str | None:
    comment = " ".join(rest.split()).strip(_NOISE)
    return comment or None


def reason_words(body: str) -> str | None:
    """A reply given as the reason for a bad level: its words, one line, as a comment."""
    return _comment(normalise(body)) or None
