"""Ratings per second over HTTP against the local stack, started as `make run` starts it.

Four client threads, each on its own keep-alive connection, POST ratings from the benchmark mix until
a count or a time cap is reached. Everything stays on 127.0.0.1.

What this measures is the local stack, not AWS: one process serves the gateway, runs the rate function
and hosts moto's server, and the local gateway lets one request at a time into a Chalice app (an app
keeps the current request on itself; Lambda would give each concurrent request its own instance). So
the four clients queue, and their latency includes that queue.

Run alone: .venv/bin/python -m tests.bench.http_load"""

from __future__ import annotations

import collections
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.local.stack import free_port
from tests.bench.figures import heading, line, median, ms, note, percentile
from tests.bench.workload import RatingMix, demo_subjects, province

HOST = "127.0.0.1"
CLIENTS = 4
RATINGS = 400
TIME_CAP_SECONDS = 30.0
WARM_UP = 8  # one per client and some: the first requests load cryptography and fill caches
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0
REQUEST_TIMEOUT_SECONDS = 15.0
READY_LINE = "haochaping local stack on "
CHANNEL_KEY = "local-demo-key"
HEADERS = {"Content-Type": "application/json", "x-api-key": CHANNEL_KEY}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class LocalStackProcess:
    """`python -m infra.local run` in a child process, its output drained (a full pipe would block
    it) and its last lines kept to explain a failed start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.start_seconds = self.stop_seconds = float("nan")
        env = {
            **os.environ,
            "LOCAL_API_KEYS": CHANNEL_KEY,
        }
        # sys.executable: the interpreter running the benchmark, i.e. the project's .venv under make.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "run", "--host", HOST, "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.ready = threading.Event()
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self._drain = threading.Thread(target=self._read_output, name="stack-output", daemon=True)
        self._drain.start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            self.tail.append(text.rstrip())
            if text.startswith(READY_LINE):
                self.ready.set()

    def wait_ready(self, timeout: float) -> None:
        started = time.perf_counter()
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.perf_counter() - started > timeout:
                raise RuntimeError("the local stack did not start:\n" + "\n".join(self.tail))
        self.start_seconds = time.perf_counter() - started

    def stop(self) -> int:
        """Ctrl-C, as a person stops `make run`; killed if it does not stop in time."""
        started = time.perf_counter()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._drain.join(5)
        self.stop_seconds = time.perf_counter() - started
        return self.process.returncode


def resident_megabytes(pid: int) -> float | None:
    """The process's resident memory from /proc (Linux); None where there is no /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kilobytes = next((int(row.split()[1]) for row in status.splitlines() if row.startswith("VmRSS:")), None)
    return kilobytes / 1024 if kilobytes is not None else None


@contextmanager
def local_stack() -> Iterator[LocalStackProcess]:
    """A ready stack on a free port; stopped on the way out whatever happens, never left running."""
    stack = LocalStackProcess(free_port(HOST))
    try:
        stack.wait_ready(START_TIMEOUT_SECONDS)
        yield stack
    finally:
        stack.stop()


def post(connection: http.client.HTTPConnection, payload: bytes) -> int:
    connection.request("POST", "/v1/ratings", body=payload, headers=HEADERS)
    response = connection.getresponse()
    response.read()  # the connection is reusable only once the answer has been read
    return response.status


def load(port: int, payloads: list[bytes], deadline: float) -> list[tuple[int | str, float]]:
    """Each client takes the next payload until none is left or the deadline passes."""
    results: list[tuple[int | str, float]] = []
    queue = iter(payloads)
    queue_lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            while time.perf_counter() < deadline:
                with queue_lock:
                    payload = next(queue, None)
                if payload is None:
                    return
                before = time.perf_counter()
                try:
                    status: int | str = post(connection, payload)
                except (OSError, http.client.HTTPException) as error:
                    status = type(error).__name__
                    connection.close()  # http.client reconnects on the next request
                results.append((status, time.perf_counter() - before))  # list.append is atomic
        finally:
            connection.close()

    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    heading(f"4. HTTP load on the local stack: {CLIENTS} clients, keep-alive, POST /v1/ratings")
    mix = iter(RatingMix(demo_subjects(), province()))
    payloads = [json.dumps(next(mix), ensure_ascii=False).encode() for _ in range(WARM_UP + RATINGS)]
    with local_stack() as stack:
        line(
            "stack ready after", stack.start_seconds, "s", note="moto server, tables, demo directory, gateway"
        )
        warm = load(stack.port, payloads[:WARM_UP], time.perf_counter() + TIME_CAP_SECONDS)
        memory_before = resident_megabytes(stack.process.pid)
        started = time.perf_counter()
        results = load(stack.port, payloads[WARM_UP:], started + TIME_CAP_SECONDS)
        wall = time.perf_counter() - started
        memory_after = resident_megabytes(stack.process.pid)
    statuses = Counter(status for status, _ in results)
    latencies = [seconds for _, seconds in results]
    created = statuses[201]
    line(
        "requests", len(results), note=f"cap {RATINGS} or {TIME_CAP_SECONDS:.0f} s, after {len(warm)} warm-up"
    )
    line("status codes", dict(sorted(statuses.items(), key=str)))
    line("errors (anything but 201)", len(results) - created)
    line("wall time", wall, "s")
    line("throughput", created / wall, "ratings/s", note="201s per second of wall time")
    line("latency p50", ms(median(latencies)), "ms")
    line("latency p95", ms(percentile(latencies, 0.95)), "ms")
    line("latency max", ms(max(latencies, default=float("nan"))), "ms")
    if memory_before is not None and memory_after is not None:
        line(
            "stack resident memory",
            f"{memory_before:.0f} MB before the load, {memory_after:.0f} MB after",
            note="moto's stores grow with the data; the stack drops its dashboard references every 30 s",
        )
    line(
        "stack stopped (SIGINT) after", stack.stop_seconds, "s", note=f"exit code {stack.process.returncode}"
    )
    note(
        "one process runs gateway, function and moto server; the gateway admits one request at a "
        "time per app, so latency includes queueing behind the other clients"
    )


if __name__ == "__main__":
    main()
