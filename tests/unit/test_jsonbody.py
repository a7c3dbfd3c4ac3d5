"""The strict JSON reader: one meaning per body, or a 400 naming the problem."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.errors import ValidationFailed
from functions.core.domain.jsonbody import MAX_DEPTH, nesting_depth, parse_json_body


def refused(text: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        parse_json_body(text)
    assert set(caught.value.fields) == {"body"}
    return caught.value.fields["body"]


@pytest.mark.parametrize(
    "text, why",
    [
        ("[" * 100_000, "nested deeper"),
        ('{"a": ' + "[" * 5_000 + "]" * 5_000 + "}", "nested deeper"),  # inside a field
        ('{"satisfaction": 4, "satisfaction": 2}', "repeats a key"),
        ('{"a": {"b": 1, "b": 1}}', "repeats a key"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "Infinity"),
        ('{"a": 1e400}', "too large"),
        ('{"a": ' + "9" * 41 + "}", "too large"),
        ('{"a": "\\ud800"}', "surrogate"),
        ('{"a": ["ok", "\\udfff"]}', "surrogate"),
        ('{"\\ud800": 1}', "surrogate"),
        ("[1, 2]", "object"),
        ('"text"', "object"),
        ("null", "object"),
        ("{", "not valid JSON"),
        ('{"a": "tab\there"}', "not valid JSON"),  # a raw control character in a string
        ("", "not valid JSON"),
    ],
)
def test_what_other_parsers_would_read_differently_is_refused(text, why):
    assert why in refused(text)


def test_integers_stay_integers_and_fractions_fractions():
    body = parse_json_body('{"i": 5, "f": 5.0, "b": true, "pair": "\\ud83d\\ude00"}')
    assert type(body["i"]) is int and type(body["f"]) is float and body["b"] is True
    assert body["pair"] == "😀"  # a surrogate pair is one character, not a lone surrogate


def test_nesting_up_to_the_limit_is_accepted():
    text = '{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    assert parse_json_body(text)["a"] is not None


def test_brackets_inside_strings_do_not_count():
    assert nesting_depth('{"a": "[[[[{{{{\\"]]]"}') == 1


@given(
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c), max_leaves=30)
)
def test_depth_is_what_the_value_nests_to(value):
    def depth(v):
        return 1 + max(map(depth, v), default=0) if isinstance(v, list) else 0

    assert nesting_depth(json.dumps(value)) == depth(value)
