"""A scaled-down load test in the suite: locust's compressed day (ten hall hours of one second) against
the local stack, ending with the recount (tests.bench.load_day raises if the province's figure differs
from the ratings accepted, or a bad rating lacks its one ticket and one execution). The full day is
`make bench` (tests.bench.load_day)."""

from __future__ import annotations

from tests.bench import load_day


def test_a_compressed_day_under_load_ends_with_figures_equal_to_the_recount() -> None:
    accepted = load_day.run_day(hour_seconds=1.0)
    assert accepted > 0
