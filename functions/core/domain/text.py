"""What free text and names may hold: no control characters (a comment may break lines) and no lone
UTF-16 surrogates (not text at all: they cannot be stored or shown as UTF-8). API.md: control
characters are a 400, like every other malformed input."""

from __future__ import annotations

import unicodedata

_LINE_BREAKS = frozenset("\n\r\t")


def unfit_for_text(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` holds a control character (other than line breaks and tabs when `multiline`) or a
    lone surrogate."""
    for char in text:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            return True
    return False
