"""The index's pure rules: what a rating contributes, which counter items a period reads, the figures
and the ranking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.domain.errors import ValidationFailed
from functions.core.domain.province import IndexRule
from functions.index import contribution as c
from functions.index.figures import Period, figures_view, key_ranges, parse_period, rank

PATHS = ("staff#S1", "window#W1", "department#D1", "region#520100000000", "region#520000000000")


def image(**overrides: object) -> c.RatingImage:
    values: dict[str, object] = {
        "rating_id": "r1",
        "satisfaction": 2,
        "valid": True,
        "paths": PATHS,
        "day": "2026-09-30",
        "tags": ("慢",),
        "comment": None,
        "named": True,
        "ticket": c.TicketOutcome(),
    }
    values.update(overrides)
    return c.RatingImage(**values)  # type: ignore[arg-type]


def stream_image(rating: c.RatingImage) -> dict[str, object]:
    item: dict[str, object] = {
        "rating_id": {"S": rating.rating_id},
        "satisfaction": {"N": str(rating.satisfaction)},
        "valid": {"BOOL": rating.valid},
        "paths": {"L": [{"S": p} for p in rating.paths]},
        "day": {"S": rating.day},
        "ticket": {
            "M": {k: {"BOOL": v} for k, v in rating.ticket._asdict().items()} | {"status": {"S": "x"}}
        },
    }
    if rating.tags:
        item["tags"] = {"L": [{"S": t} for t in rating.tags]}
    if rating.named:
        item["rater"] = {"M": {"phone_masked": {"S": "138****0000"}}}
    return item


class TestContribution:
    def test_a_valid_named_bad_rating_counts_its_level_tags_and_ticket_outcomes(self) -> None:
        rating = image(ticket=c.TicketOutcome(rectified=True, replied=True, finished=True, on_time=False))
        assert c.contribution(rating) == {
            "n": 1,
            "v2": 1,
            "tag:慢": 1,
            "rectified": 1,
            "finished": 1,
            "named_bad": 1,
            "named_replied": 1,
        }

    def test_an_invalid_rating_counts_only_as_a_rating(self) -> None:
        assert c.contribution(image(valid=False)) == {"n": 1}

    def test_a_modify_adds_new_minus_old_for_every_subject(self) -> None:
        old = image()
        new = image(valid=False)
        changes = c.changes(old, new)
        assert set(changes) == {c.CounterKey(p, "2026-09-30") for p in PATHS}
        assert all(fields == {"v2": -1, "tag:慢": -1, "named_bad": -1} for fields in changes.values())

    def test_a_modify_that_changes_nothing_counted_changes_nothing(self) -> None:
        assert c.changes(image(), image()) == {}

    def test_the_stream_image_is_read_as_stored(self) -> None:
        rating = image(ticket=c.TicketOutcome(rectified=True))
        assert c.RatingImage.from_stream(stream_image(rating)) == rating

    @pytest.mark.parametrize(
        "broken",
        [{}, {"rating_id": {"S": "x"}}, {**stream_image(image()), "satisfaction": {"N": "7"}}],
    )
    def test_what_is_not_a_rating_is_poison(self, broken: dict[str, object]) -> None:
        with pytest.raises(c.PoisonRecord):
            c.RatingImage.from_stream(broken)

    def test_extra_contributors_add_their_fields(self) -> None:
        def comments(rating: c.RatingImage) -> dict[str, int]:
            return {"hw:bad:排队": 1} if not rating.good else {}

        c.register(comments)
        try:
            assert c.contribution(image())["hw:bad:排队"] == 1
            assert c.family_of("hw:bad:排队") == "hw" and c.family_of("tag:慢") == ""
        finally:
            c.unregister(comments)


days = st.dates(min_value=date(2019, 12, 1), max_value=date(2031, 12, 31))


def covered(ranges: list, start: date, end: date) -> list[date]:
    """Every day the ranges read, a month range standing for all its days."""
    found = []
    for low, high in ranges:
        high = high.removesuffix("~")  # the range's end takes in the bucket's slots
        if low.startswith("d#"):
            day, last = date.fromisoformat(low[2:]), date.fromisoformat(high[2:])
            while day <= last:
                found.append(day)
                day += timedelta(days=1)
        else:
            year, month = int(low[2:6]), int(low[7:9])
            last_year, last_month = int(high[2:6]), int(high[7:9])
            while (year, month) <= (last_year, last_month):
                day = date(year, month, 1)
                while day.month == month:
                    found.append(day)
                    day += timedelta(days=1)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


class TestPeriods:
    @settings(deadline=None)  # a shared machine: timing is not what this checks
    @given(days, days)
    def test_the_ranges_read_each_day_of_the_period_once_in_at_most_three_queries(
        self, a: date, b: date
    ) -> None:
        start, end = min(a, b), max(a, b)
        ranges = key_ranges(Period(start, end))
        assert 1 <= len(ranges) <= 3
        expected = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        assert covered(ranges, start, end) == expected

    def test_a_year_is_one_query_of_its_months(self) -> None:
        assert key_ranges(Period(date(2026, 1, 1), date(2026, 12, 31))) == [("m#2026-01", "m#2026-12~")]

    def test_all_time_is_one_query(self) -> None:
        assert len(key_ranges(Period(None, None))) == 1

    @pytest.mark.parametrize(
        ("start", "end", "field"),
        [("2026-13-01", None, "from"), (None, "yesterday", "to"), ("2026-09-30", "2026-09-01", "from")],
    )
    def test_bad_periods_are_refused(self, start: str | None, end: str | None, field: str) -> None:
        with pytest.raises(ValidationFailed) as refused:
            parse_period(start, end)
        assert field in refused.value.fields


class TestFigures:
    def test_index_and_rates_follow_the_province_rule(self) -> None:
        counts = {"n": 5, "v5": 2, "v1": 2, "rectified": 1, "finished": 2, "on_time": 1, "tag:慢": 2}
        view = figures_view("department", "D1", Period(None, None), counts, IndexRule())
        assert (view["total"], view["valid"], view["invalid"], view["good"], view["bad"]) == (5, 4, 1, 2, 2)
        assert view["index"] == round((10 + 20 + 4) / 5, 4)
        assert (view["good_rate"], view["bad_rate"], view["rectification_rate"]) == (0.5, 0.5, 0.5)
        assert view["on_time_rate"] == 0.5 and view["named_reply_rate"] is None
        assert view["tags"] == {"慢": 2}

    def test_nothing_rated_starts_at_the_initial_index_with_rates_undefined(self) -> None:
        view = figures_view("staff", "S1", Period(None, None), {}, IndexRule(initial=9.0))
        assert view["index"] == 9.0
        assert view["good_rate"] is None and view["rectification_rate"] is None

    def test_ranking_leaves_small_subjects_unranked_and_ties_share_a_place(self) -> None:
        entries = [
            {"code": "A", "valid": 40, "index": 9.0},
            {"code": "B", "valid": 40, "index": 9.5},
            {"code": "C", "valid": 3, "index": 10.0},
            {"code": "D", "valid": 30, "index": 9.0},
        ]
        ranked = rank(entries, "index", 30)
        assert [(e["code"], e["rank"]) for e in ranked] == [("B", 1), ("A", 2), ("D", 2), ("C", None)]
