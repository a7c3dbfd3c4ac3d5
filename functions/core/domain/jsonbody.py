"""The one strict JSON reader for request bodies: what a client sends means one thing, or it is refused.

Python's `json` module is lenient where a second parser in the path (API Gateway mappings, a channel's
own JSON library, a log pipeline) would read the same bytes differently, and it recurses: each of
these is refused here with a `ValidationFailed` naming the problem, never echoing a value:

- nesting deeper than `MAX_DEPTH` (checked by a flat scan before parsing, so 100,000 brackets cost a
  loop, not a `RecursionError`);
- a key repeated in one object (other parsers take the first, the last, or both);
- NaN, Infinity, and numbers too large for a double (`1e400` would become infinity);
- lone UTF-16 surrogates (`"\\ud800"`), in keys or values: they cannot be encoded back to UTF-8, so
  they would fail later in a hash, a log line or the answer itself;
- a top level other than an object, when the caller expects one.

Integers stay `int` and fractions stay `float`, so a field that wants an integer can refuse `5.0`."""

from __future__ import annotations

import json
import math
from typing import Any

from functions.core.domain.errors import ValidationFailed

MAX_DEPTH = 32
# A JSON integer longer than this is no count or code of ours; refusing it early also keeps Python's
# int parsing (quadratic in the digits) off the request path.
MAX_INTEGER_DIGITS = 40

_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


class _Refused(ValueError):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def parse_json_body(text: str, *, expect_object: bool = True) -> Any:
    """The value `text` holds, under the rules above; raises ValidationFailed({"body": why})."""
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise ValidationFailed({"body": f"nested deeper than {MAX_DEPTH} levels"})
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except _Refused as e:
        raise ValidationFailed({"body": e.why}) from None
    except (ValueError, RecursionError):
        raise ValidationFailed({"body": "not valid JSON"}) from None
    if expect_object and not isinstance(value, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    if holds_lone_surrogate(value):
        # Not named by field: the field may be an unknown key, and keys may be personal data.
        raise ValidationFailed({"body": "a string holds a lone UTF-16 surrogate (not valid Unicode text)"})
    return value


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of JSON text, brackets inside strings not counted. A flat scan: it
    never recurses, whatever the input."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSERS:
            depth -= 1
    return deepest


def has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def holds_lone_surrogate(value: Any) -> bool:
    """Whether any string in a parsed JSON value, key or value, holds a lone surrogate. Walks with a
    stack, not recursion."""
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if has_lone_surrogate(current):
                return True
        elif isinstance(current, dict):
            if any(has_lone_surrogate(key) for key in current):
                return True
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused("an object repeats a key")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused("a number is too large")
    return value


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused("a number is too large")
    return int(literal)
