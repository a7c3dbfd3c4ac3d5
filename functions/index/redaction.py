"""Removing personal data from a comment before any word of it is counted (PIPL: hot words are public).

The comment goes first through `mask_free_text` (functions/core/domain/personal.py, the hardening
issue's masking of phones, ID numbers and credit codes in free text), then this module removes the rest
that hot words must never hold. Removing is stricter than masking: a masked phone (138****0000) is still
no hot word, so masked forms and digits go altogether.

What goes: phone numbers (mobile and landline, with or without separators or +86), resident ID numbers
and credit codes, any run of 5 or more digits, e-mail addresses, and the name in front of a form of
address (王先生, 刘师傅, 张科长) or after an introduction (我叫…, 姓名…). Names said without such a
marker are left to the segmenter, which only counts dictionary words whose part of speech is not a
person's or a place's name (functions/index/segmenter.py)."""

from __future__ import annotations

import re

from functions.core.domain.personal import mask_free_text

# Digits as people type them: ASCII and full-width, with spaces, dashes and dots between.
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＹ", "0123456789XxABCDEFGHJKLMNPQRTUWY"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+")
# A run of digits, possibly split by separators and ending in an ID's X: every phone, ID, credit code,
# bank card or case number a rater might type.
_NUMBERISH = re.compile(r"(?:\+?86[\s\-]?)?[0-9A-Za-z](?:[\s\-.]?[0-9A-Za-z]){4,}")
_TITLES = (
    "先生|女士|小姐|师傅|同志|老师|阿姨|大姐|大哥|叔叔|主任|科长|处长|局长|所长|队长|组长|经理|书记|警官"
)
# One to three characters of a name right before a form of address: 王先生, 欧阳女士, 小李师傅.
_BEFORE_TITLE = re.compile(rf"[\u4e00-\u9fff]{{1,3}}(?=(?:{_TITLES}))")
_INTRODUCED = re.compile(r"(?:我叫|名叫|叫做|姓名|名字是|我是|工号)[:：\s]*[\u4e00-\u9fffA-Za-z0-9]{1,4}")
# What mask_free_text leaves (138****5678, 52**************34): no word of it may be counted either.
_MASKED = re.compile(r"[0-9A-Za-z]*\*{2,}[0-9A-Za-z]*")
_NAME_MARK = "\u3000"  # what removed text becomes: a separator, so words do not join across it


def remove_personal_data(text: str) -> str:
    """The comment without anything that could identify a person; what is left is only ever segmented
    and counted, never shown."""
    text = mask_free_text(text).translate(_FULLWIDTH)
    text = _MASKED.sub(_NAME_MARK, text)
    text = _EMAIL.sub(_NAME_MARK, text)
    text = _NUMBERISH.sub(
        lambda m: _NAME_MARK if sum(c.isdigit() for c in m.group()) >= 5 else m.group(), text
    )
    text = _INTRODUCED.sub(_NAME_MARK, text)
    text = _BEFORE_TITLE.sub(_NAME_MARK, text)
    return text
