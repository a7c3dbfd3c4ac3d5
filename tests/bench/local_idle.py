"""The local stack at rest: the CPU an idle `make run` uses, as a share of one core.

Starts `python -m infra.local run` (the process `make run` starts) on a free port, waits until it
serves, lets it settle for 40 s (start-up work done), then reads the process's user + system CPU ticks from /proc/<pid>/stat at the
start and end of the window. The figure is CPU seconds per wall second, so it does not depend on how
busy the rest of the machine is (a loaded machine only stretches the wall clock of the start-up).

    .venv/bin/python -m tests.bench.local_idle            # 30 s window
    LOCAL_IDLE_SECONDS=10 .venv/bin/python -m tests.bench.local_idle
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from infra.local.stack import free_port
from tests.bench.figures import quick

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces; everything after its closing parenthesis is split.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/v1/openapi.json", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the local stack did not start in time")


def measure(window: float = 30.0, settle: float = 40.0, env: dict[str, str] | None = None) -> float:
    """Share of one core the idle stack used over `window` seconds (0.01 = 1 %)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "run", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process)
        # Idle means after start-up: the demo's first stream records handled, the schedules' first runs
        # done and their backoff reached (on a busy machine that takes tens of seconds).
        time.sleep(settle)
        cpu_before, wall_before = cpu_seconds(process.pid), time.monotonic()
        time.sleep(window)
        cpu_after, wall_after = cpu_seconds(process.pid), time.monotonic()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return (cpu_after - cpu_before) / (wall_after - wall_before)


def main() -> None:
    window = float(os.environ.get("LOCAL_IDLE_SECONDS", "10" if quick() else "30"))
    share = measure(window, settle=20.0 if quick() else 40.0)
    print(f"local stack idle: {share * 100:.2f} % of one core over {window:.0f} s (target: under 2 %)")


if __name__ == "__main__":
    main()
