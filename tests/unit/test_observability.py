"""Metrics keep their own dimensions in a batch; consumers log with a correlation id and no content."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest

from functions.core.observability import batch_scope, count, logger, metrics, record_scope


def emitted(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if "_aws" in line]


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")


def test_a_batch_of_two_channels_emits_each_count_under_its_own_dimensions(capsys):
    # Given a batch whose records count for two channels
    event = {"Records": [{}, {}, {}]}
    with batch_scope("index", event, SimpleNamespace(aws_request_id="req-1")):
        count("RatingCounted", channel="hall_pad", polarity="bad")
        count("RatingCounted", channel="pc", polarity="good")
        count("RatingCounted", channel="hall_pad", polarity="bad")

    # Then one line per set of dimensions, each with its own total
    lines = emitted(capsys.readouterr().out)
    totals = {(line["channel"], line["polarity"]): line["RatingCounted"] for line in lines}
    assert totals == {("hall_pad", "bad"): [2.0], ("pc", "good"): [1.0]}
    for line in lines:
        assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["channel", "polarity"]]
    # And nothing is left for the next batch
    assert metrics.metric_set == {} and metrics.dimension_set == {}


def test_a_consumers_log_lines_carry_the_batch_correlation_and_the_record_id():
    out = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(out)
    try:
        _log_a_batch()
    finally:
        handler.setStream(previous)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    applied, done, after = lines
    assert applied["correlation_id"] == "req-42" and applied["record"] == "seq-0007"
    assert applied["function"] == "index" and applied["batch_size"] == 1
    assert done["correlation_id"] == "req-42" and "record" not in done
    assert after.get("correlation_id") is None and "batch_size" not in after


def _log_a_batch() -> None:
    with batch_scope("index", {"Records": [{}]}, SimpleNamespace(aws_request_id="req-42")):
        with record_scope("seq-0007"):
            logger.info("record applied")
        logger.info("batch done")
    logger.info("after the batch")


def test_a_count_outside_any_scope_is_emitted_at_once_not_kept_for_a_later_request(capsys):
    count("SmsReply", outcome="rated")

    lines = emitted(capsys.readouterr().out)
    assert [(line["outcome"], line["SmsReply"]) for line in lines] == [("rated", [1.0])]
    assert metrics.metric_set == {} and metrics.dimension_set == {}
