"""Accepted ratings per second through the rate function in this process, on moto's DynamoDB.

One execution environment, one request at a time, as one Lambda instance serves them: each rating is
an API Gateway proxy event handed to the Chalice app. The figures split each request's time between
the DynamoDB client call (botocore serialising, moto executing, botocore parsing) and everything else
(the event, Chalice, validation, the directory cache, sealing a named rater's phone, logging and
metrics), because moto is not DynamoDB: its share says nothing about AWS latency, while the rest is
roughly what the function itself costs per request.

Run alone: .venv/bin/python -m tests.bench.rate_inprocess"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from tests.bench.figures import heading, line, median, ms, note, percentile
from tests.bench.harness import CallRecorder, in_process_stack
from tests.bench.workload import RatingMix, demo_subjects, province

RATINGS = 400
TIME_CAP_SECONDS = 25.0
# Not measured: the first requests pay for lazy imports (cryptography on the first named rater).
WARM_UP = 20
# How many ratings at each end of the run to compare, to show moto slowing down as tables grow.
ENDS = 40


@dataclass(frozen=True)
class Sample:
    with_case: bool  # TransactWriteItems (rating and case claim) rather than one PutItem
    seconds: float
    in_dynamodb: float


def main() -> None:
    heading("1. rate function in process: POST /v1/ratings through the Chalice app on moto")
    with in_process_stack() as stack:
        mix = iter(RatingMix(demo_subjects(), province()))
        for _ in range(WARM_UP):
            stack.post_rating(next(mix))
        recorder = CallRecorder(stack.client)
        samples: list[Sample] = []
        statuses: Counter[int] = Counter()
        started = time.perf_counter()
        while len(samples) < RATINGS and time.perf_counter() - started < TIME_CAP_SECONDS:
            body = next(mix)
            recorder.take()
            before = time.perf_counter()
            status, _ = stack.post_rating(body)
            elapsed = time.perf_counter() - before
            statuses[status] += 1
            if status == 201:
                in_dynamodb = sum(call.seconds for call in recorder.take())
                samples.append(Sample("case_no" in body, elapsed, in_dynamodb))
        wall = time.perf_counter() - started
    report(samples, statuses, wall)


def report(samples: list[Sample], statuses: Counter[int], wall: float) -> None:
    latencies = [s.seconds for s in samples]
    line("accepted ratings", len(samples), note=f"{sum(statuses.values())} sent, statuses {dict(statuses)}")
    line(
        "wall time",
        wall,
        "s",
        note=f"cap {RATINGS} ratings or {TIME_CAP_SECONDS:.0f} s, after {WARM_UP} warm-up",
    )
    line("throughput", len(samples) / wall, "ratings/s", note="one execution environment, sequential")
    line("latency p50", ms(median(latencies)), "ms")
    line("latency p95", ms(percentile(latencies, 0.95)), "ms")
    for with_case, label in (
        (False, "without case_no (PutItem)"),
        (True, "with case_no (TransactWriteItems)"),
    ):
        group = [s.seconds for s in samples if s.with_case is with_case]
        line(
            f"  {label}",
            f"p50 {ms(median(group)):.1f} ms, p95 {ms(percentile(group, 0.95)):.1f} ms",
            note=f"n={len(group)}",
        )
    dynamo = [s.in_dynamodb for s in samples]
    own = [s.seconds - s.in_dynamodb for s in samples]
    line("in the DynamoDB call (botocore + moto), p50", ms(median(dynamo)), "ms")
    line("in the function's own code, p50", ms(median(own)), "ms", note="event, Chalice, domain, logging")
    line("share of request time spent in moto's call", 100 * sum(dynamo) / sum(latencies), "%")
    transactions = [s.seconds for s in samples if s.with_case]
    if len(transactions) >= 2 * ENDS:
        first, last = transactions[:ENDS], transactions[-ENDS:]
        line(
            "TransactWriteItems p50, first vs last",
            f"{ms(median(first)):.1f} ms vs {ms(median(last)):.1f} ms",
            note=f"{ENDS} each, as the tables grow",
        )
    note(
        "the directory cache is warm from the start (the import filled it); dynamodb_cost shows what "
        "a cold one adds"
    )
    note(
        "moto's own overhead dominates (infra/local/emulator.py already spares it copying whole "
        "tables per transaction). These figures bound the function's CPU cost; they are not "
        "DynamoDB latencies."
    )


if __name__ == "__main__":
    main()
