"""The public summary's read cost and latency on the local stack (started in this process, as `make run`
starts it: gateway, index function, stream poller, embedded moto).

Ratings from the benchmark mix are spread over a year, the stream poller counts them, and then
`GET /v1/public/summary` is asked over HTTP for one day, one month, one year and all time:
- uncached (the first request for a period in a fresh process): DynamoDB requests by operation, the
  items read and the read units they cost on demand (eventually consistent: 0.5 unit per 4 KB of each
  Query's items, computed with DynamoDB's item-size rules, as moto does not measure them);
- cached (the next requests for the same period, within CACHE_SECONDS): requests (none expected);
- latency over HTTP, median and p95, both ways.

Run alone: .venv/bin/python -m tests.bench.public_summary"""

from __future__ import annotations

import http.client
import json
import math
import random
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from tests.bench.dynamodb_cost import item_size
from tests.bench.figures import heading, line, median, ms, note, percentile, silenced
from tests.bench.harness import CallRecorder

RATINGS = 400
CACHED_REQUESTS = 50
UNCACHED_REPEATS = 8  # each a different period of the same length: every one misses the cache
YEAR = 2025


def request(
    port: int, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def make_ratings(port: int) -> int:
    from tests.bench.workload import RatingMix, demo_subjects, province

    mix = iter(RatingMix(demo_subjects(), province(), seed=7))
    rng = random.Random(7)
    first = date(YEAR, 1, 1)
    made = 0
    for _ in range(RATINGS):
        body = next(mix)
        day = first + timedelta(days=rng.randrange(365))
        body["rated_at"] = f"{day.isoformat()}T10:00:00+08:00"
        body.pop("case_no", None)
        body["comment"] = rng.choice(
            [
                "一次办结，效率高",
                "多头跑，办事指南有误",
                "排队时间长",
                "工作人员耐心，服务热情",
                "材料要求繁琐",
            ]
        )
        status, _ = request(
            port,
            "/v1/ratings",
            {"x-api-key": "local-demo-key", "content-type": "application/json"},
            json.dumps(body, ensure_ascii=False).encode(),
        )
        made += status == 201
    return made


def wait_until_counted(port: int, expected: int, token: str) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status, body = request(
            port,
            f"/v1/indices/region/520000000000?from={YEAR}-01-01&to={YEAR}-12-31",
            {"authorization": f"Bearer {token}"},
        )
        if status == 200 and json.loads(body)["valid"] == expected:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the counters did not catch up within ten minutes: {status} {body[:300]!r}")


def wait_until_quiet(recorder: CallRecorder, quiet_seconds: float = 3.0) -> None:
    """Until the stream poller has written its last counter item: no write for `quiet_seconds`."""
    recorder.take()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        if not any(call.operation != "Query" for call in recorder.take()):
            return
    raise RuntimeError("the stream poller never went quiet")


def periods(kind: str, n: int) -> list[str]:
    if kind == "all time":
        return [""] * n  # one period only: the first request misses, the others would hit
    out = []
    for i in range(n):
        if kind == "one day":
            day = date(YEAR, 3, 1) + timedelta(days=i)
            out.append(f"from={day}&to={day}")
        elif kind == "one month":
            out.append(f"from={YEAR}-{i + 1:02d}-01&to={YEAR}-{i + 1:02d}-{28 if i == 1 else 30}")
        else:  # one year, shifted by a day each time so that it is a new period
            start = date(YEAR, 1, 1) + timedelta(days=i)
            out.append(f"from={start}&to={start + timedelta(days=364)}")
    return out


def main() -> None:
    heading("public summary: read cost and latency on the local stack")
    figures = silenced(measure)
    for args in figures:
        if len(args) == 1:
            note(str(args[0]))
        else:
            line(*args)


def measure() -> list[tuple[Any, ...]]:
    from functions.core.storage import clients
    from infra.local import stack as local

    out: list[tuple[Any, ...]] = []
    running = local.start(port=local.free_port())
    try:
        port = running.api.port
        token = local.local_identity().token("admin", None)
        recorder = CallRecorder(clients.dynamodb())
        made = make_ratings(port)
        wait_until_counted(port, made, token)
        wait_until_quiet(recorder)
        out.append((f"{made} ratings over {YEAR} from the benchmark mix, counted by the stream poller",))
        out.append(
            ("moto answers a Query by walking the whole table, so latencies here grow with the table;",)
        )
        out.append(("the requests and read units are what DynamoDB would bill",))
        for kind in ("one day", "one month", "one year", "all time"):
            repeats = 1 if kind == "all time" else UNCACHED_REPEATS
            cold_seconds, operations, items, units = [], Counter[str](), 0, 0.0
            for query in periods(kind, repeats):
                recorder.take()
                began = time.perf_counter()
                status, body = request(port, f"/v1/public/summary?{query}")
                cold_seconds.append(time.perf_counter() - began)
                assert status == 200, body
                for call in recorder.take():
                    operations[call.operation] += 1
                    found = call.answer.get("Items", [])
                    items += len(found)
                    if call.operation == "Query":
                        units += math.ceil(max(1, sum(item_size(i) for i in found)) / 4096) * 0.5
            warm_seconds, warm_calls = [], 0
            last = periods(kind, repeats)[-1]
            for _ in range(CACHED_REQUESTS):
                recorder.take()
                began = time.perf_counter()
                request(port, f"/v1/public/summary?{last}")
                warm_seconds.append(time.perf_counter() - began)
                warm_calls += len(recorder.take())
            per = len(cold_seconds)
            out.append(
                (
                    f"{kind}: requests per uncached summary",
                    round(sum(operations.values()) / per, 1),
                    "",
                    ", ".join(f"{op} {n / per:.1f}" for op, n in sorted(operations.items())),
                )
            )
            out.append(
                (
                    f"{kind}: read units per uncached summary",
                    round(units / per, 1),
                    "RRU",
                    f"{items / per:.0f} items",
                )
            )
            out.append(
                (
                    f"{kind}: uncached latency, median",
                    ms(median(cold_seconds)),
                    "ms",
                    f"p95 {ms(percentile(cold_seconds, 0.95)):.1f} ms, n={per}",
                )
            )
            out.append(
                (
                    f"{kind}: cached latency, median",
                    ms(median(warm_seconds)),
                    "ms",
                    f"p95 {ms(percentile(warm_seconds, 0.95)):.1f} ms, {warm_calls} DynamoDB requests in {CACHED_REQUESTS}",
                )
            )
        out.append(("summary size (all time)", len(request(port, "/v1/public/summary")[1]), "bytes"))
        out.append(("page size (/public)", len(request(port, "/public")[1]), "bytes"))
    finally:
        running.stop()
    return out


if __name__ == "__main__":
    main()
