"""A directory of Guizhou's size through the API on the local stack: the bulk import (time, memory,
resumed after a crash), then reads, a rename and a re-parent measured at that size, with ratings
posted throughout the re-parent job.

The stack runs as `make run` runs it (`python -m infra.local run --no-demo`, its own process, so its
peak memory is its own: VmHWM from /proc). The directory is infra/provinces/directory_generator.py's
(real division codes down to counties, synthetic below; 615,415 entries at full size), sent in
chunks by infra/local/directory_import.py; the importer is stopped after its first chunk, as a crash
would, and a second run resumes from the checkpoint. Every run ends with the recount: the stack's
entries, counted by listing, equal the generator's.

    .venv/bin/python -m tests.bench.directory_scale                 # full size (long: minutes)
    BENCH=quick .venv/bin/python -m tests.bench.directory_scale     # 1 % of it
    DIRECTORY_SIZE=guizhou-10pct .venv/bin/python -m tests.bench.directory_scale
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any

from infra.local.directory_import import (
    DEFAULT_ROWS_PER_CHUNK,
    DIRECTORY_SIZES,
    ImportInterrupted,
    import_generated,
    post_csv,
)
from infra.local.stack import free_port, local_identity
from infra.provinces.directory_generator import chunks, rows
from tests.bench.figures import heading, line, median, ms, note, percentile, quick
from tests.bench.local_idle import wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHANNEL = {"x-api-key": "local-demo-key", "content-type": "application/json"}
MOVED_COUNTY = "520102000000"  # 南明区, moved from 贵阳市 to directly under the province and back
GUARD_SECONDS = 3600.0  # a hang guard for the re-parent job, not a deadline


def call(
    url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def peak_memory_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def timed(count: int, action: Any) -> list[float]:
    spent = []
    for i in range(count):
        began = time.perf_counter()
        action(i)
        spent.append(time.perf_counter() - began)
    return spent


def spread_line(name: str, seconds: list[float]) -> None:
    line(
        name,
        ms(median(seconds)),
        "ms median",
        f"p95 {ms(percentile(seconds, 0.95)):.0f} ms, {len(seconds)} requests",
    )


def main() -> None:
    size_name = os.environ.get("DIRECTORY_SIZE") or ("guizhou-1pct" if quick() else "guizhou-full")
    size = DIRECTORY_SIZES[size_name]
    expected = Counter(row.kind for row in rows(size))
    heading(f"directory at scale: {size_name}, {sum(expected.values()):,} entries through the API")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "run", "--no-demo", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LOCAL_API_KEYS": "local-demo-key"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(url, stack)
        admin = local_identity().token("admin", None)
        people = {"authorization": f"Bearer {admin}", "content-type": "application/json"}
        rss_before, _ = peak_memory_mb(stack.pid)
        _import(url, admin, size_name, expected, stack.pid, rss_before)
        _reads_and_changes(url, people, size_name)
    finally:
        stack.terminate()
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()


def _import(
    url: str, admin: str, size_name: str, expected: Counter[str], pid: int, rss_before: float
) -> None:
    total = sum(expected.values())
    per_chunk = min(DEFAULT_ROWS_PER_CHUNK, max(500, total // 4))  # a few chunks at least, to resume
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(tmp) / "import.json"
        tracemalloc.start()
        began = time.perf_counter()
        with contextlib.suppress(ImportInterrupted):
            import_generated(
                url, admin, size_name, rows_per_chunk=per_chunk, checkpoint=checkpoint, crash_after=1
            )
        crashed_at = json.loads(checkpoint.read_text())["chunks_done"]
        # A crash between the server's write of chunk 1 and the checkpoint: the server has it, the
        # checkpoint does not, so the resumed run sends it again.
        second = next(islice(chunks(rows(DIRECTORY_SIZES[size_name]), per_chunk), 1, None))
        post_csv(url, admin, second)
        resent = second.count("\n") - 1
        done = import_generated(url, admin, size_name, rows_per_chunk=per_chunk, checkpoint=checkpoint)
        wall = time.perf_counter() - began
        _, importer_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_after, server_peak = peak_memory_mb(pid)
    line("entries", f"{total:,}", "", ", ".join(f"{k} {v:,}" for k, v in sorted(expected.items())))
    line("import, wall time", wall, "s", f"{done.chunks_done} chunks of {per_chunk:,} rows")
    line("import, rows per second", total / wall, "rows/s")
    line(
        "import chunk (one POST /v1/directory/import)",
        median(done.chunk_seconds),
        "s median",
        f"p95 {percentile(done.chunk_seconds, 0.95):.1f} s, slowest {max(done.chunk_seconds):.1f} s",
    )
    line("importer peak memory (Python, traced)", importer_peak / 1e6, "MB", "one chunk, whatever the size")
    line(
        "stack resident memory, before / after / peak",
        f"{rss_before:.0f} / {rss_after:.0f} / {server_peak:.0f}",
        "MB",
        "the embedded AWS holds every entry",
    )
    line(
        "crash: chunks acknowledged in the checkpoint",
        crashed_at,
        "",
        "then one chunk written but not recorded",
    )
    line("created / updated / unchanged", f"{done.created:,} / {done.updated:,} / {done.unchanged:,}")
    if done.created + done.unchanged != total or done.unchanged != resent or done.updated:
        raise AssertionError(f"recount: {done} for {total} generated, {resent} re-sent")
    note(f"recount: created + re-sent unchanged = generated = {total:,}; nothing written twice")


def _reads_and_changes(url: str, people: dict[str, str], size_name: str) -> None:
    size = DIRECTORY_SIZES[size_name]
    department = f"D{MOVED_COUNTY[:6]}01"
    staff = f"S{MOVED_COUNTY[:6]}010101"
    reads = timed(30, lambda _i: call(url, "GET", f"/v1/directory/staff/{staff}", headers=CHANNEL))
    spread_line("read an entry with its path (GET /v1/directory/staff/{code})", reads)
    listings = timed(
        10, lambda _i: call(url, "GET", f"/v1/directory/item?parent={department}", headers=CHANNEL)
    )
    status, listed = call(url, "GET", f"/v1/directory/item?parent={department}", headers=CHANNEL)
    spread_line(
        f"list a department's items (GET /v1/directory/item?parent=, {len(listed.get('entries', listed)) if isinstance(listed, dict) else '?'} answered)",
        listings,
    )
    renames = timed(
        10,
        lambda i: call(
            url,
            "PUT",
            f"/v1/directory/department/{department}",
            {"name": f"改名{i}", "parent": MOVED_COUNTY},
            people,
        ),
    )
    spread_line("rename a department (touches no descendant)", renames)

    # The re-parent: a county with everything under it, moved; ratings go on meanwhile.
    accepted: Counter[int] = Counter()
    stop = threading.Event()

    def rate() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = {
                "rating_id": f"during-move-{n:06d}",
                "channel": "hall_pad",
                "satisfaction": 5,
                "subjects": {"department": department, "window": f"W{department[1:]}01", "staff": staff},
            }
            accepted[call(url, "POST", "/v1/ratings", body, CHANNEL)[0]] += 1

    rater = threading.Thread(target=rate, daemon=True)
    rater.start()
    began = time.perf_counter()
    status, moved = call(
        url, "PUT", f"/v1/directory/region/{MOVED_COUNTY}", {"name": "南明区", "parent": "520000"}, people
    )
    answered = time.perf_counter() - began
    if status != 202:
        raise AssertionError(f"re-parent answered {status}: {moved}")
    job = _wait_for_job(url, people, moved["job_id"])
    job_seconds = time.perf_counter() - began
    stop.set()
    rater.join(60)
    status, path = call(url, "GET", f"/v1/directory/staff/{staff}", headers=CHANNEL)
    now_under = [step["code"] for step in path["path"]][-2:]
    descendants = size.townships_per_county * (1 + size.villages_per_township)
    line(
        "re-parent a county (202, then its job)",
        ms(answered),
        "ms to answer",
        f"job done in {job_seconds:.1f} s",
    )
    line(
        "re-parent: entries rewritten by the job", job.get("processed"), "", f"regions alone: {descendants:,}"
    )
    # A 200 is an accepted rating too: the SDK retried a write that had landed (the embedded AWS
    # answered late under the job's load), and the idempotency key answered it as the same rating.
    taken = accepted[201] + accepted[200]
    line(
        "ratings during the job: created / answered as already stored / refused",
        f"{accepted[201]} / {accepted[200]} / {sum(accepted.values()) - taken}",
    )
    if now_under != [MOVED_COUNTY, "520000000000"] or sum(accepted.values()) != taken:
        raise AssertionError(f"after the move: path ends {now_under}, answers {dict(accepted)}")
    note("after the job, the moved county's staff show the new path; every rating meanwhile was accepted")


def _wait_for_job(url: str, people: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + GUARD_SECONDS
    while time.monotonic() < deadline:
        status, job = call(url, "GET", f"/v1/directory/jobs/{job_id}", headers=people)
        if status == 200 and job["status"] == "done":
            return job  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not done: {job}")


if __name__ == "__main__":
    main()
