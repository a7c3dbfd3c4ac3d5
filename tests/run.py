"""`make test`: the four tiers in two pytest processes at once, one per core.

unit + integration (moto in process) and infra + e2e (CDK synthesis in Node, the local stack, the
browser) load different parts of the machine, so side by side they take about as long as the slower
pair alone. Each process writes to its own log; the logs are printed whole, one after the other, and
the run fails if either failed. Extra arguments go to both pytest runs."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = (
    ("unit + integration", ["tests/unit", "tests/integration"]),
    ("infra + e2e", ["tests/infra", "tests/e2e"]),
)


def main(extra: list[str]) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="haochaping-tests-") as folder:
        running = []
        for index, (name, paths) in enumerate(GROUPS):
            log = Path(folder, f"{index}.log")
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", *extra],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            running.append((name, process, log))
        failed = []
        totals = {"passed": 0, "failed": 0, "skipped": 0}
        for name, process, log in running:
            code = process.wait()
            text = log.read_text(encoding="utf-8", errors="replace")
            print(f"===== {name}: exit {code} =====", flush=True)
            sys.stdout.write(text)
            sys.stdout.flush()
            # pytest's 5 (no tests collected) is a failure here: every group has tests.
            if code != 0:
                failed.append(name)
            summary = text.strip().splitlines()[-1] if text.strip() else ""
            for outcome in totals:
                found = re.search(rf"(\d+) {outcome}", summary)
                totals[outcome] += int(found.group(1)) if found else 0
            errors = re.search(r"(\d+) errors?", summary)
            totals["failed"] += int(errors.group(1)) if errors else 0
    elapsed = time.monotonic() - started
    print(f"===== all tiers in {elapsed:.0f} s; failed groups: {', '.join(failed) or 'none'} =====")
    # The closing line, in the plain form CI reads: the two runs added up.
    print(f"tests: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    return 1 if failed or not totals["passed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
