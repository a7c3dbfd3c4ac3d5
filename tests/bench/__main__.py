"""make bench: every benchmark in turn, each printing its figures. Nothing here asserts a timing:
the figures are for people to read and compare between runs.

`make bench-quick` (BENCH=quick) runs the benchmarks marked quick, each at its small size where it
has one (they read `quick()`): a few minutes on a busy machine, with the counts and ratios that do not
depend on its load. `BENCH=name,name` runs just those.

Each benchmark also runs alone: .venv/bin/python -m tests.bench.<name>"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable

from tests.bench import (
    console_pages,
    cost_model,
    directory_changes,
    directory_scale,
    dynamodb_cost,
    export_costs,
    http_load,
    import_time,
    index_counters,
    load_day,
    local_idle,
    moto_query,
    public_segmentation,
    public_summary,
    rate_inprocess,
    rater_screens,
    sms_costs,
    tickets,
)

QUICK = True
# (name, run, in the quick mode)
BENCHMARKS: tuple[tuple[str, Callable[[], None], bool], ...] = (
    ("rate_inprocess", rate_inprocess.main, False),
    ("dynamodb_cost", dynamodb_cost.main, QUICK),
    ("import_time", import_time.main, False),  # about 5 minutes on a busy machine
    ("http_load", http_load.main, False),
    ("directory_changes", directory_changes.main, False),
    ("sms_costs", sms_costs.main, False),
    ("tickets", tickets.main, QUICK),
    ("index_counters", index_counters.main, False),
    ("cost_model", cost_model.main, False),
    ("public_segmentation", public_segmentation.main, False),
    ("public_summary", public_summary.main, False),
    ("local_idle", local_idle.main, QUICK),
    ("moto_query", moto_query.main, QUICK),
    ("rater_screens", rater_screens.main, QUICK),
    ("export_costs", export_costs.main, False),
    ("console_pages", console_pages.main, False),
    ("load_day", load_day.main, QUICK),
    # Last: the full-size import takes about half an hour on a busy 2-core machine (1 % when quick).
    ("directory_scale", directory_scale.main, QUICK),
)


def selected(choice: str) -> list[tuple[str, Callable[[], None]]]:
    """Every benchmark (""), the quick ones ("quick"), or those named in a comma list."""
    if not choice:
        return [(name, run) for name, run, _ in BENCHMARKS]
    if choice == "quick":
        return [(name, run) for name, run, quick in BENCHMARKS if quick]
    wanted = {name.strip() for name in choice.split(",") if name.strip()}
    unknown = wanted - {name for name, _, _ in BENCHMARKS}
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return [(name, run) for name, run, _ in BENCHMARKS if name in wanted]


def main() -> int:
    # Timings on a shared machine mean little without its size and how busy it was.
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"haochaping benchmarks: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load} (1, 5, 15 min)",
        flush=True,
    )
    failed = []
    started = time.perf_counter()
    for name, run in selected(os.environ.get("BENCH", "")):
        began = time.perf_counter()
        try:
            run()
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
        print(f"  [{name}: {time.perf_counter() - began:.1f} s]", flush=True)
    print(
        f"\nall benchmarks: {time.perf_counter() - started:.1f} s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
