"""Early-warning arithmetic: the exact binomial tail and when each rule fires."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from functions.index.warning_rules import (
    Counts,
    WarningPolicy,
    bad_rate_jump,
    binomial_upper_tail,
    index_drop,
)

POLICY = WarningPolicy()


@given(n=st.integers(0, 60), p=st.floats(0.001, 0.999), k=st.integers(0, 60))
def test_tail_equals_the_direct_sum(n: int, p: float, k: int) -> None:
    direct = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)) if k <= n else 0.0
    if k <= 0:
        direct = 1.0
    assert math.isclose(binomial_upper_tail(k, n, p), min(1.0, direct), rel_tol=1e-9, abs_tol=1e-12)


def test_a_jump_far_above_the_departments_own_level_is_a_warning() -> None:
    # Given a department with 2% bad ratings over its last 30 days
    baseline = Counts(valid=500, bad=10)
    # When a day has 6 bad ratings out of 20
    warning = bad_rate_jump(Counts(valid=20, bad=6), baseline, POLICY)
    # Then it is raised, with a small p-value
    assert warning is not None and warning.p_value <= POLICY.alpha
    assert warning.day_rate == 0.3


def test_the_same_rate_is_no_warning_for_a_department_that_always_had_it() -> None:
    assert bad_rate_jump(Counts(valid=20, bad=6), Counts(valid=500, bad=125), POLICY) is None


def test_too_few_ratings_say_nothing() -> None:
    assert bad_rate_jump(Counts(valid=5, bad=5), Counts(valid=500, bad=1), POLICY) is None
    assert bad_rate_jump(Counts(valid=50, bad=40), Counts(valid=10, bad=0), POLICY) is None


def test_index_drop_by_the_configured_amount() -> None:
    assert index_drop(8.9, 40, 9.5, POLICY) is not None
    assert index_drop(9.2, 40, 9.5, POLICY) is None
    assert index_drop(5.0, 3, 9.5, POLICY) is None
    assert index_drop(None, 40, 9.5, POLICY) is None
