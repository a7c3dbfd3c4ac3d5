"""Rules for the personal data a named rater gives (PIPL): what a valid phone or ID number is, and how
each is shown masked. Protection at rest (encryption, keyed hashes) is the adapter's job."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_RESIDENT_ID = re.compile(r"[1-9][0-9]{16}[0-9X]")
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


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
    """An 18-character unified social credit code (GB 32100), by its shape."""
    return bool(_CREDIT_CODE.fullmatch(code.upper()))


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)
