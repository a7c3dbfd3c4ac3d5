"""Rules for the personal data a named rater gives (PIPL): what a valid phone or ID number is, and how
each is shown masked. Protection at rest (encryption, keyed hashes) is the adapter's job.

A rater's comment is free text and may hold a phone number, an ID number or a name. It is stored as
written and not sealed: the hot-word analysis reads it, and the ratings table is encrypted at rest and
never public. What protects the rater is that every view of a comment (a department's, a reviewer's,
the public page's, hot words) passes it through `mask_free_text` first."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_RESIDENT_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# In free text, credit codes (which hold letters) are found only as words of their own. Phones and
# ID numbers are found on the digits a person wrote, whatever separates them (below).
_CREDIT_CODE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}(?![0-9A-Za-z])"
)
# At most this many separators (spaces, punctuation, brackets, dots, in any width) between two digits of
# one written number: "138.1234.5678", "(138)12345678", "1 3 8 1 2 3 4 5 6 7 8", "138 - 1234 - 5678".
_MAX_SEPARATORS = 3
_MOBILE_DIGITS = re.compile(r"1[3-9][0-9]{9}")
_ID_DIGITS = re.compile(r"[1-9][0-9]{16}[0-9X]")


def normalise_mobile(phone: str) -> str | None:
    """A mainland mobile number as 11 digits, or None. Accepts +86/86 prefixes, spaces and dashes."""
    digits = re.sub(r"[\s\-]", "", phone)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def mask_mobile(phone: str) -> str:
    """138****0000: the form shown to staff, reviewers and in every answer."""
    return phone[:3] + "****" + phone[-4:]


def valid_resident_id(number: str) -> bool:
    """An 18-character resident identity card number (GB 11643) with a correct check character."""
    number = number.upper()
    if not _RESIDENT_ID.fullmatch(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def valid_credit_code(code: str) -> bool:
    """An 18-character unified social credit code (GB 32100-2015) with a correct check character:
    the 18th is 31 − (Σ value × weight mod 31) over the first 17, in the code's 31-character alphabet."""
    code = code.upper()
    if not _CREDIT_CODE.fullmatch(code):
        return False
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(code[:17], _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31] == code[17]


def mask_free_text(text: str) -> str:
    """Free text (a rater's comment) as it may be shown to a department, a reviewer or the public.

    Numbers are read as the digits a person wrote, whatever separates them: spaces, punctuation and
    brackets (138.1234.5678, (138)12345678, 1 3 8 1 2 3 4 5 6 7 8), in any width or script (full-width
    １３８, circled ①, other scripts' decimal digits). Digits touching each other with no separator are
    one longer number and are not split (an order number holding 138… is not a phone), but wherever a
    separator stands a number may start or end. Every mainland mobile number (with or without +86)
    shows its first three and last four digits (138****5678); every 18-character resident ID number
    keeps its first two and last two characters, as does every unified social credit code. Shape alone
    decides, not the check character: a mistyped ID number is still someone's. Names cannot be found
    by pattern and are left as written. Only digits become '*': the length and every other character
    stay as written."""
    folded = [_fold(c) for c in text]
    hidden: set[int] = set()
    for match in _CREDIT_CODE_IN_TEXT.finditer("".join(c if len(c) == 1 else "?" for c in folded)):
        hidden.update(range(match.start() + 2, match.end() - 2))
    for group in _digit_groups(folded):
        hidden.update(_hidden_in_group(group, folded))
    if not hidden:
        return text
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def _fold(c: str) -> str:
    """One character as the digit or letter it stands for (NFKC, one character to one), else itself."""
    if c.isdecimal():
        return str(unicodedata.decimal(c))
    folded = unicodedata.normalize("NFKC", c)
    return folded if len(folded) == 1 else c


def _is_separator(c: str) -> bool:
    return c.isspace() or unicodedata.category(c)[0] in "PZ"


def _digit_groups(folded: list[str]) -> list[list[tuple[int, bool]]]:
    """The written numbers: runs of digits (and an ID's final X) with at most _MAX_SEPARATORS separators
    between neighbours; each as [(position, touches the previous digit)]."""
    groups: list[list[tuple[int, bool]]] = []
    current: list[tuple[int, bool]] = []
    gap: int | None = None  # separators since the last digit; None: no digit yet in this group
    for i, c in enumerate(folded):
        is_digit = c.isdigit() and c.isascii()
        if is_digit or (c in "Xx" and current):
            current.append((i, gap == 0))
            gap = 0
        elif gap is not None and _is_separator(c) and gap < _MAX_SEPARATORS:
            gap += 1
        else:
            if current:
                groups.append(current)
            current, gap = [], None
    if current:
        groups.append(current)
    return groups


def _hidden_in_group(group: list[tuple[int, bool]], folded: list[str]) -> set[int]:
    digits = "".join(folded[i].upper() for i, _ in group)
    hidden: set[int] = set()

    def may_start(k: int) -> bool:
        # a number starts at the group's start, after a separator, or right after a leading (+)86
        return k == 0 or not group[k][1] or (k == 2 and digits[:2] == "86")

    def may_end(k: int) -> bool:  # k: one past the last digit
        return k == len(digits) or (k < len(digits) and not group[k][1])

    for k in range(len(digits)):
        if not may_start(k):
            continue
        if may_end(k + 11) and _MOBILE_DIGITS.fullmatch(digits, k, k + 11):
            hidden.update(group[j][0] for j in range(k + 3, k + 7))
        if may_end(k + 18) and _ID_DIGITS.fullmatch(digits, k, k + 18):
            hidden.update(group[j][0] for j in range(k + 2, k + 16))
    return hidden
