"""The province rules on ratings on moto, through the rate API and the streams: a bad rating's reason,
rating and follow-up periods, sub-scores, default ratings (made once, whatever runs around them), and
the SMS reply that waits for its reason. The demo province (Guizhou) sets every rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.core.domain.ratings import DueCase, default_rating_id
from functions.core.services.ratings import DefaultRatings
from functions.core.storage.cases import utc_text
from functions.index import case_counts
from functions.index import wiring as index_wiring
from functions.index.figures import figures_view, parse_period
from functions.index.stream import handle
from functions.rate import wiring as rate_wiring
from functions.sms import handlers
from infra.provinces import GUIZHOU
from tests.integration.conftest import RateStack, post_rating
from tests.integration.stream_pump import StreamPump, batches
from tests.integration.test_index_api import index, pump  # noqa: F401  (the index fixture)
from tests.integration.test_sms import DAY, SmsStack, sms  # noqa: F401  (the SMS fixture)

DEPARTMENT = "D52010201"
WINDOW = "W5201020101"
TABLET = {"channel": "hall_pad", "subjects": {"department": DEPARTMENT, "window": WINDOW}}


def rated_at(moment: datetime) -> str:
    return moment.isoformat()


# --- through the rate API ------------------------------------------------------------------------


def test_a_bad_rating_without_its_reason_is_a_400_naming_both_fields_and_nothing_is_stored(
    api: Any, rate_stack: RateStack
) -> None:
    status, error = post_rating(api, {**TABLET, "rating_id": "noreason-01", "satisfaction": 1})
    assert (status, error["error"]) == (400, "validation")
    assert {"tags", "comment"} <= set(error["fields"])
    assert rate_stack.count(rate_stack.settings.ratings_table) == 0
    # and with its reason it is taken
    status, _ = post_rating(
        api, {**TABLET, "rating_id": "noreason-01", "satisfaction": 1, "comment": "态度差"}
    )
    assert status == 201


def test_sub_scores_are_stored_shown_and_counted_per_dimension(
    rate_stack: RateStack,
    api: Any,
    index: Any,  # noqa: F811
) -> None:
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    when = "2026-09-30T10:00:00+08:00"
    for n, (level, scores) in enumerate(
        [(5, {"efficiency": 5, "attitude": 4}), (4, {"efficiency": 2}), (3, {})], start=1
    ):
        body = {**TABLET, "rating_id": f"subscore-0{n}", "satisfaction": level, "rated_at": when}
        status, answer = post_rating(api, {**body, "sub_scores": scores or None})
        assert status == 201, answer
    status, error = post_rating(api, {**TABLET, "satisfaction": 5, "sub_scores": {"guide": 5}})
    assert (status, error["error"]) == (400, "validation") and "sub_scores" in error["fields"]

    admin = rate_stack.token("admin")
    shown = json.loads(api.http.get("/v1/ratings/subscore-01", headers=admin).body)
    assert shown["sub_scores"] == {"efficiency": 5, "attitude": 4} and shown["kind"] == "rating"

    pump(rate_stack, stream)
    answer = index.http.get(f"/v1/indices/window/{WINDOW}", headers=admin)
    figures = json.loads(answer.body)
    assert figures["sub_scores"] == {
        "attitude": {"mean": 4.0, "counts": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}},
        "efficiency": {"mean": 3.5, "counts": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}},
    }
    assert (figures["good"], figures["defaults"]) == (3, 0)  # the overall level decides good or bad


def record_case(rate_stack: RateStack, case_no: str, completed: datetime) -> None:
    """A case as the SMS function records it (functions.sms.service.record_case), with the end of its
    rating period."""
    rate_stack.dynamodb.put_item(
        TableName=rate_stack.settings.cases_table,
        Item={
            "case_no": {"S": case_no},
            "fp": {"S": "test"},
            "rate_until": {
                "S": utc_text(completed + timedelta(days=GUIZHOU.ratings.rating_period_days or 0))
            },
        },
    )


def test_a_case_is_rated_within_its_rating_period_and_refused_after_it(
    api: Any, rate_stack: RateStack
) -> None:
    completed = datetime.fromisoformat("2026-09-01T10:00:00+08:00")
    record_case(rate_stack, "GZ-PERIOD-1", completed)
    record_case(rate_stack, "GZ-PERIOD-2", completed)
    good = {**TABLET, "satisfaction": 5}

    status, answer = post_rating(
        api, {**good, "case_no": "GZ-PERIOD-1", "rated_at": rated_at(completed + timedelta(days=14))}
    )
    assert status == 201, answer
    status, error = post_rating(
        api,
        {
            **good,
            "rating_id": "late-000001",
            "case_no": "GZ-PERIOD-2",
            "rated_at": rated_at(completed + timedelta(days=16)),
        },
    )
    assert (status, error["error"]) == (409, "rating_period_over")
    assert rate_stack.raw_rating("late-000001") is None


def test_a_follow_up_within_its_period_replaces_the_first_in_every_figure_and_after_it_is_409(
    rate_stack: RateStack,
    api: Any,
    index: Any,  # noqa: F811
) -> None:
    stream = StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table)
    first_at = datetime.fromisoformat("2026-09-10T10:00:00+08:00")
    first = {**TABLET, "channel": "pc", "satisfaction": 2, "comment": "材料退回三次", "case_no": "GZ-FU-1"}
    assert post_rating(api, {**first, "rating_id": "fu-first-01", "rated_at": rated_at(first_at)})[0] == 201
    late = {
        **first,
        "rating_id": "fu-late-001",
        "satisfaction": 4,
        "follow_up": True,
        "rated_at": rated_at(first_at + timedelta(days=16)),
    }
    status, error = post_rating(api, late)
    assert (status, error["error"]) == (409, "rating_period_over")

    status, answer = post_rating(
        api, {**late, "rating_id": "fu-intime-1", "rated_at": rated_at(first_at + timedelta(days=3))}
    )
    assert status == 201, answer
    assert rate_stack.raw_rating("fu-first-01")["replaced_by"] == {"S": "fu-intime-1"}  # type: ignore[index]

    pump(rate_stack, stream)
    figures = json.loads(
        index.http.get(f"/v1/indices/window/{WINDOW}", headers=rate_stack.token("admin")).body
    )
    assert (figures["total"], figures["good"], figures["bad"]) == (1, 1, 0)


# --- default ratings and the SMS reply loop -------------------------------------------------------------


@pytest.fixture
def counted(sms: SmsStack) -> Iterator[Any]:  # noqa: F811
    """Counts the ratings and cases streams into the indices, and reads a subject's figures."""
    runtime = index_wiring.build(sms.index_settings, sms.dynamodb)
    index_wiring.use(runtime)
    ratings = StreamPump(sms.dynamodb, sms.settings.ratings_table)
    cases = StreamPump(sms.dynamodb, sms.settings.cases_table)

    def figures(subject: str) -> dict[str, Any]:
        for batch in batches(ratings.take(), 100):
            assert handle(batch, None, runtime.counters)["batchItemFailures"] == []
        for batch in batches(cases.take(), 100):
            assert case_counts.handler(batch, None)["batchItemFailures"] == []
        period = parse_period(None, None)
        kind, _, code = subject.partition("#")
        return figures_view(kind, code, period, runtime.figures.counts(subject, period), GUIZHOU.index)

    try:
        yield figures
    finally:
        index_wiring.use(None)


class RatingMeanwhile:
    """The cases index, with a person's rating of one case arriving while the schedule runs."""

    def __init__(self, cases: Any, case_no: str, rate: Any) -> None:
        self._cases, self._case_no, self._rate = cases, case_no, rate

    def due_for_default(self, now: datetime) -> Iterator[DueCase]:
        for case in self._cases.due_for_default(now):
            if case.case_no == self._case_no:
                self._rate(case.case_no)
            yield case

    def clear_default_due(self, case_no: str) -> None:
        self._cases.clear_default_due(case_no)


def test_default_ratings_are_made_once_even_when_the_schedule_runs_twice_or_a_rating_arrives_meanwhile(
    sms: SmsStack,  # noqa: F811
    counted: Any,
) -> None:
    # Given three completed cases: one never rated, one rated in time, one rated while the schedule runs
    for case_no, phone in (("GY-D-1", "13700000001"), ("GY-D-2", "13700000002"), ("GY-D-3", "13700000003")):
        sms.case(case_no, phone=phone)

    def rate(case_no: str) -> Any:
        # Rated on a tablet on day 14 (offline: it reaches the stack later), within the period.
        return rate_wiring.runtime().ratings.accept(
            {
                "channel": "hall_pad",
                "satisfaction": 4,
                "subjects": {"department": "D52010001"},
                "case_no": case_no,
                "rated_at": (DAY + timedelta(days=14)).isoformat(),
            }
        )

    sms.clock.now = DAY + timedelta(days=14)
    rate("GY-D-2")
    # When the 15 days pass and the schedule runs, the third case being rated meanwhile, then again
    sms.clock.now = DAY + timedelta(days=16)
    runtime = sms.runtime
    racing = DefaultRatings(
        RatingMeanwhile(runtime.defaults.cases, "GY-D-3", rate),
        runtime.defaults.store,
        GUIZHOU,
        clock=sms.clock,
    )
    assert racing.run() == {"made": 1, "replayed": 0, "rated_meanwhile": 1}
    assert handlers.default_ratings({}, None) == {"made": 0, "replayed": 0, "rated_meanwhile": 0}
    assert list(runtime.defaults.cases.due_for_default(sms.clock.now)) == []  # off the due index

    # Then exactly one default rating, of the unrated case, counted as good but not as an active rating
    scan = sms.dynamodb.scan(TableName=sms.settings.ratings_table)["Items"]
    defaults = [item for item in scan if item.get("kind", {}).get("S") == "default"]
    assert [item["rating_id"]["S"] for item in defaults] == [default_rating_id("GY-D-1")]
    default = defaults[0]
    assert default["satisfaction"]["N"] == "5" and "rater" not in default
    assert default["rated_at"]["S"].startswith((DAY + timedelta(days=15)).date().isoformat())
    seen = counted("department#D52010001")
    assert (seen["defaults"], seen["good"], seen["bad"]) == (1, 3, 0)
    assert (seen["completed_cases"], seen["rated_cases"]) == (3, 2)

    # When the applicant rates it after all, within the follow-up period of the default
    sms.clock.now = DAY + timedelta(days=18)
    mine = rate_wiring.runtime().ratings.accept(
        {
            "channel": "pc",
            "satisfaction": 2,
            "subjects": {"department": "D52010001"},
            "case_no": "GY-D-1",
            "comment": "材料被退回三次",
            "rated_at": sms.clock.now.isoformat(),
        }
    )
    # Then that rating follows the default up and replaces it everywhere
    assert mine.rating.follow_up and mine.rating.ticket_id is not None
    assert sms.rating(default_rating_id("GY-D-1"))["replaced_by"]["S"] == mine.rating.rating_id  # type: ignore[index]
    seen = counted("department#D52010001")
    assert (seen["defaults"], seen["good"], seen["bad"]) == (0, 2, 1)
    assert (seen["completed_cases"], seen["rated_cases"]) == (3, 3)


def test_a_bad_sms_reply_without_words_is_asked_its_reason_once_and_waits_for_it(sms: SmsStack) -> None:  # noqa: F811
    sms.case("GY-R-1")
    assert sms.reply("1")["outcome"] == "reason_requested"
    asked = sms.texts()[-1]
    assert asked["purpose"] == "reason" and "原因" in asked["body"]
    assert sms.reply("2") == {"outcome": "ignored"}  # one text only; the rating still waits
    assert len([t for t in sms.texts() if t["purpose"] == "reason"]) == 1

    outcome = sms.reply("排队两个小时没人管")
    assert outcome["outcome"] == "rated"
    item = sms.rating(outcome["rating_id"])
    assert item is not None
    assert (item["satisfaction"]["N"], item["comment"]["S"]) == ("1", "排队两个小时没人管")
    assert outcome["ticket_id"] is not None
