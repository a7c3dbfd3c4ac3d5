"""The load test: a compressed Jiangsu-shaped day (tests/bench/locustfile.py) against the local stack
as `make run` starts it, headless locust on 127.0.0.1 only, bounded in time (ten compressed hours of
LOAD_HOUR_SECONDS) and by a subprocess timeout.

Reports throughput, p50/p95/p99 and errors per route (locust's own statistics), the lag from a rating
to its figure and to its ticket (probes during the load: a rating of a staff member the load never
rates, timed until GET /v1/indices shows it, and a bad one until GET /v1/tickets/{id} answers), and
at the end the recount: the province's figure equals the ratings accepted, and every bad rating has
exactly one ticket and one Step Functions execution named after it. Then the public summary's
latency with the day loaded.

    .venv/bin/python -m tests.bench.load_day                     # 10 hours of 5 s: 50 s of load
    BENCH=quick .venv/bin/python -m tests.bench.load_day         # 10 hours of 2 s
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from infra.local.stack import free_port, local_identity
from tests.bench.directory_scale import call
from tests.bench.figures import heading, line, median, ms, note, percentile, quick
from tests.bench.workload import demo_subjects

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
CHANNEL = {"x-api-key": "local-demo-key", "content-type": "application/json"}
PROVINCE = "520000000000"
GUARD_SECONDS = 600.0  # hang guards while the pipeline drains, not deadlines
PROBE_EVERY = 3.0


class Stack:
    """`python -m infra.local run` in its own process; its output drained so it never blocks."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.moto_port: int | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "run", "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "LOCAL_API_KEYS": "local-demo-key"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._started = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._started.wait(300):
            raise RuntimeError("the local stack did not start")

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            found = re.search(r"embedded AWS on port (\d+)", text)
            if found:
                self.moto_port = int(found.group(1))
                self._started.set()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def until(check: Any, guard: float = GUARD_SECONDS, every: float = 0.1) -> Any:
    """Wait for `check()` to answer something true; the guard only stops a hang."""
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(every)
    raise AssertionError("the pipeline did not get there within the guard")


def figure_total(url: str, people: dict[str, str], kind: str, code: str) -> int:
    status, figures = call(url, "GET", f"/v1/indices/{kind}/{code}", headers=people)
    return int(figures["total"]) if status == 200 else -1


class Probes:
    """Ratings of the probe's own staff member during the load, each timed to its figure and, when
    bad, to its ticket."""

    def __init__(self, url: str, people: dict[str, str], subjects: dict[str, str]) -> None:
        self.url, self.people, self.subjects = url, people, subjects
        self.to_figure: list[float] = []
        self.to_ticket: list[float] = []
        self.accepted: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stop.wait(PROBE_EVERY):
            n += 1
            bad = n % 2 == 0
            rating_id = f"probe-{os.getpid()}-{n:04d}"
            body: dict[str, Any] = {
                "rating_id": rating_id,
                "channel": "hall_pad",
                "satisfaction": 1 if bad else 5,
                "subjects": self.subjects,
            }
            if bad:
                body["tags"] = ["服务态度生硬"]
            before = len(self.accepted)
            began = time.perf_counter()
            status, answer = call(self.url, "POST", "/v1/ratings", body, CHANNEL)
            if status != 201:
                continue
            self.accepted.append({"rating_id": rating_id, "good": not bad})
            until(
                lambda before=before: (
                    figure_total(self.url, self.people, "staff", self.subjects["staff"]) > before
                )
            )
            self.to_figure.append(time.perf_counter() - began)
            if bad:
                ticket = answer["ticket_id"]
                until(
                    lambda ticket=ticket: (
                        call(self.url, "GET", f"/v1/tickets/{ticket}", headers=self.people)[0] == 200
                    )
                )
                self.to_ticket.append(time.perf_counter() - began)


def run_locust(url: str, hour_seconds: float, output: Path, csv_prefix: Path, probe_staff: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "LOAD_HOUR_SECONDS": str(hour_seconds),
        "LOAD_OUTPUT": str(output),
        "LOAD_PROBE_STAFF": probe_staff,
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--host",
            url,
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        timeout=hour_seconds * 10 + 120,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def report_routes(csv_prefix: Path, seconds: float) -> None:
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            name = row["Name"] if row["Name"] != "Aggregated" else "all routes"
            requests, failures = int(row["Request Count"]), int(row["Failure Count"])
            line(
                name,
                requests / seconds,
                "requests/s",
                f"{requests} requests, {failures} errors, p50 {row['50%']} ms, p95 {row['95%']} ms, "
                f"p99 {row['99%']} ms",
            )


def report_failures(csv_prefix: Path) -> None:
    with open(f"{csv_prefix}_failures.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            note(f"errors: {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error'][:120]}")


def main() -> None:
    run_day(float(os.environ.get("LOAD_HOUR_SECONDS", "2" if quick() else "5")))


def run_day(hour_seconds: float) -> int:
    """The whole run; answers how many ratings were accepted (raises if the recount differs)."""
    heading(f"load test: a compressed day, 10 hall hours of {hour_seconds:g} s, locust on 127.0.0.1")
    probe_subjects = demo_subjects().window_staff[0]
    stack = Stack()
    try:
        url = stack.url
        admin = {"authorization": f"Bearer {local_identity().token('admin', None)}"}
        # The SMS clock at 10:00 in the day, so invitations are not held back by the quiet hours.
        call(url, "PUT", "/local/sms/clock", {"now": "2026-12-03T10:00:00+08:00"}, CHANNEL)
        probes = Probes(url, admin, probe_subjects)
        with tempfile.TemporaryDirectory() as tmp:
            output, prefix = Path(tmp) / "accepted.json", Path(tmp) / "load"
            probes.thread.start()
            began = time.perf_counter()
            run_locust(url, hour_seconds, output, prefix, probe_subjects["staff"])
            seconds = time.perf_counter() - began
            probes.stop.set()
            probes.thread.join(GUARD_SECONDS)
            report_routes(prefix, seconds)
            report_failures(prefix)
            written = json.loads(output.read_text())
            # A request whose answer was lost may still have been taken: the stack says which.
            taken_late = [
                r
                for r in written["unanswered"]
                if call(url, "GET", f"/v1/ratings/{r['rating_id']}", headers=admin)[0] == 200
            ]
            accepted = written["accepted"] + taken_late + probes.accepted
            if written["unanswered"]:
                note(
                    f"{len(written['unanswered'])} answers lost; {len(taken_late)} of those ratings were taken"
                )
        line(
            "ratings accepted",
            len(accepted),
            "",
            f"{sum(not r['good'] for r in accepted)} bad, "
            f"{sum(bool(r.get('sms')) for r in accepted)} by SMS reply",
        )
        line(
            "lag, rating → its figure",
            ms(median(probes.to_figure)),
            "ms median",
            f"p95 {ms(percentile(probes.to_figure, 0.95)):.0f} ms, {len(probes.to_figure)} probes",
        )
        line(
            "lag, bad rating → its ticket",
            ms(median(probes.to_ticket)),
            "ms median",
            f"p95 {ms(percentile(probes.to_ticket, 0.95)):.0f} ms, {len(probes.to_ticket)} probes",
        )
        recount(stack, admin, accepted)
        summaries: list[float] = []
        for day in range(1, 6):
            period = f"from=2026-12-0{day}&to=2026-12-0{day + 1}"
            began = time.perf_counter()
            status, _ = call(url, "GET", f"/v1/public/summary?{period}")
            summaries.append(time.perf_counter() - began)
            assert status == 200
        line(
            "public summary with the day loaded (uncached)",
            ms(median(summaries)),
            "ms median",
            f"slowest {ms(max(summaries)):.0f} ms, {len(summaries)} periods",
        )
        return len(accepted)
    finally:
        stack.stop()


def recount(stack: Stack, people: dict[str, str], accepted: list[dict[str, Any]]) -> None:
    """The figures equal a recount; one ticket and one execution per bad rating."""
    import boto3

    url = stack.url
    before = figure_total(url, people, "region", PROVINCE)  # includes nothing but this run's ratings
    total = until(
        lambda: (n := figure_total(url, people, "region", PROVINCE)) >= len(accepted) and n, every=0.5
    )
    bad = [r["rating_id"] for r in accepted if not r["good"]]
    tickets = sum(call(url, "GET", f"/v1/tickets/tk-{rid}", headers=people)[0] == 200 for rid in bad)
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{stack.moto_port}",
        region_name="cn-northwest-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    names: list[str] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        names.extend(e["name"] for e in page["executions"])
    one_each = sorted(names) == sorted(set(names)) and len(names) == len(bad)
    line(
        "recount: province figure / ratings accepted",
        f"{total} / {len(accepted)}",
        "",
        "equal" if total == len(accepted) else f"DIFFERENT (first read {before})",
    )
    line(
        "recount: tickets / executions / bad ratings",
        f"{tickets} / {len(names)} / {len(bad)}",
        "",
        "one each" if one_each and tickets == len(bad) else "NOT one each",
    )
    if total != len(accepted) or tickets != len(bad) or not one_each:
        raise AssertionError("the recount differs")
    note("every accepted rating counted once; every bad one has one ticket and one execution")


if __name__ == "__main__":
    main()
