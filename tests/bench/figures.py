"""Summaries and printing shared by the benchmarks: each prints `name: value unit` lines under a heading,
so that a run reads the same whichever benchmark produced it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import TypeVar


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: always a value that was measured, never an interpolation between two."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def heading(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def line(name: str, value: object, unit: str = "", note: str = "") -> None:
    """One figure. Floats get a precision fit for timings taken on a shared machine."""
    if isinstance(value, float):
        shown = f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    else:
        shown = str(value)
    text = f"  {name}: {shown}"
    if unit:
        text += f" {unit}"
    if note:
        text += f"  ({note})"
    print(text, flush=True)


def note(text: str) -> None:
    print(f"  - {text}", flush=True)


def ms(seconds: float) -> float:
    return seconds * 1000


def quick() -> bool:
    """`make bench-quick` (BENCH=quick): the small size of a benchmark that has one."""
    import os

    return os.environ.get("BENCH") == "quick"


T = TypeVar("T")


def silenced(measure: Callable[[], T]) -> T:
    """Run a measurement of the local stack with its output discarded: the stack's threads print log
    and metric lines and moto's server its requests, so the figures are printed once it has stopped."""
    import contextlib
    import logging
    import os

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        return measure()
