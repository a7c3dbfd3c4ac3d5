"""make bench: every benchmark in turn, each printing its figures. Nothing here asserts a timing:
the figures are for people to read and compare between runs.

Each benchmark also runs alone: .venv/bin/python -m tests.bench.<name>"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable

from tests.bench import (
    cost_model,
    directory_changes,
    dynamodb_cost,
    export_costs,
    http_load,
    import_time,
    index_counters,
    public_segmentation,
    public_summary,
    rate_inprocess,
    sms_costs,
    tickets,
)

BENCHMARKS: tuple[tuple[str, Callable[[], None]], ...] = (
    ("rate_inprocess", rate_inprocess.main),
    ("dynamodb_cost", dynamodb_cost.main),
    ("import_time", import_time.main),
    ("http_load", http_load.main),
    ("directory_changes", directory_changes.main),
    ("sms_costs", sms_costs.main),
    ("tickets", tickets.main),
    ("index_counters", index_counters.main),
    ("cost_model", cost_model.main),
    ("public_segmentation", public_segmentation.main),
    ("public_summary", public_summary.main),
    ("export_costs", export_costs.main),
)


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
    for name, run in BENCHMARKS:
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
