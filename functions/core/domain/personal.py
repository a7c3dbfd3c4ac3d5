"""Rules for the personal data a named rater gives (PIPL): what a valid phone or ID number is, and how
each is shown masked. Protection at rest (encryption, keyed hashes) is the adapter's job.

A rater's comment is free text and may hold a phone number, an ID number or a name. It is stored as
written and not sealed: the hot-word analysis reads it, and the ratings table is encrypted at rest and
never public. What protects the rater is that every view of a comment (a department's, a reviewer's,
the public page's, hot words) passes it through `mask_free_text` first."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_RESIDENT_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# In free text: not glued to other letters or digits, so order numbers and codes are left alone.
# Numbers are found wherever no digit touches them ("TEL13812345678" too); credit codes, which hold
# letters, only as words of their own.
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]{4}){2}(?![0-9])")
_ID_LIKE_IN_TEXT = re.compile(
    r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])"
    r"|(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}(?![0-9A-Za-z])"
)
_FOLD = (
    {0xFF10 + i: ord("0") + i for i in range(10)}
    | {0xFF21 + i: ord("A") + i for i in range(26)}
    | {0xFF41 + i: ord("a") + i for i in range(26)}
    | {0xFF0B: ord("+"), 0xFF0D: ord("-"), 0x3000: ord(" ")}
)


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
    """Free text (a rater's comment) as it may be shown to a department, a reviewer or the public: every
    mainland mobile number (also written 138-1234-5678, 138 1234 5678, +86…, or in full-width digits)
    becomes 138****5678 (digits touching other digits are a longer number, left alone), and every 18-character resident ID number or unified social credit code keeps
    its first two and last two characters. Shape alone decides, not the check character: a mistyped ID
    number is still someone's. Names cannot be found by pattern and are left as written."""
    # Full-width digits and letters match as their ASCII forms; the mapping keeps every position.
    folded = text.translate(_FOLD)
    spans: list[tuple[int, int, str]] = []
    for match in _ID_LIKE_IN_TEXT.finditer(folded):
        spans.append((match.start(), match.end(), "id"))
    for match in _MOBILE_IN_TEXT.finditer(folded):
        if not any(start < match.end() and match.start() < end for start, end, _ in spans):
            spans.append((match.start(), match.end(), "mobile"))
    if not spans:
        return text
    masked = list(text)
    for start, end, what in spans:
        if what == "mobile":
            digits = [i for i in range(start, end) if folded[i].isdigit()]
            hidden = digits[-8:-4]  # the 4th to 7th digits of the 11
        else:
            hidden = list(range(start + 2, end - 2))
        for i in hidden:
            masked[i] = "*"
    return "".join(masked)
