"""Import time of each function's handler module, beyond boto3: the part of a cold start we control.

Every figure comes from fresh interpreters, since a module imports only once per process. A handler
is timed after `import boto3`, so its figure is what it adds on top of the SDK every function loads
anyway. Runs alternate between "boto3 alone" and each handler so that the machine's background noise
falls on both alike.

Two settings for the project's own modules:
- bytecode cached: .pyc files exist (kept under a temporary PYTHONPYCACHEPREFIX, so nothing is
  written into the source tree), as in a package that ships them;
- compiled from source: no .pyc and none written (PYTHONDONTWRITEBYTECODE), as in a Lambda package
  that ships only .py files: /var/task is read-only, so every cold start compiles them again. The
  interpreters import a copy of functions/ without __pycache__ folders, since that variable stops
  writing .pyc but not reading ones a previous run left in the tree.
Installed libraries keep their installed .pyc in the second setting, as they would in Lambda.

Run alone: .venv/bin/python -m tests.bench.import_time"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra import topology
from tests.bench.figures import heading, line, median, ms, note

RUNS = 9
IMPORTTIME_RUNS = 3
TOP = 5
TARGET_MS = 60.0
BOTO3_REFERENCE_MS = 190.0  # DESIGN.md: boto3's import on this machine when it is otherwise idle
PROJECT_ROOT = Path(__file__).resolve().parents[2]

TIME_BOTO3 = """
import time
started = time.perf_counter()
import boto3
print(time.perf_counter() - started)
"""

TIME_HANDLER = """
import importlib, sys, time
import boto3
started = time.perf_counter()
importlib.import_module(sys.argv[1])
print(time.perf_counter() - started)
"""


def handler_modules() -> list[str]:
    """Every function's entry module, from the topology the local stack and CDK deploy."""
    references = [f.app for f in topology.HTTP_FUNCTIONS] + [s.handler for s in topology.EVENT_SOURCES]
    return list(dict.fromkeys(reference.partition(":")[0] for reference in references))


@dataclass(frozen=True)
class Setting:
    label: str
    env: Mapping[str, str]
    cwd: Path  # `python -c` imports from its working directory first


def interpreter(setting: Setting, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run a fresh interpreter (this one's: the project's virtual environment) in `setting`."""
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=setting.cwd,
        env=dict(setting.env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def seconds(code: str, setting: Setting, *args: str) -> float:
    return float(interpreter(setting, "-c", code, *args).stdout.strip().splitlines()[-1])


def settings(scratch: Path) -> tuple[Setting, Setting]:
    """The two settings, both outside the source tree: a bytecode cache under `scratch`, and a copy
    of functions/ there without any .pyc."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    source = scratch / "source"
    shutil.copytree(
        PROJECT_ROOT / "functions", source / "functions", ignore=shutil.ignore_patterns("__pycache__")
    )
    return (
        Setting("bytecode cached", {**base, "PYTHONPYCACHEPREFIX": str(scratch / "pyc")}, PROJECT_ROOT),
        Setting("compiled from source", {**base, "PYTHONDONTWRITEBYTECODE": "1"}, source),
    )


def import_times(modules: list[str], setting: Setting) -> tuple[list[float], dict[str, list[float]]]:
    boto3_alone: list[float] = []
    handlers: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(RUNS):
        boto3_alone.append(seconds(TIME_BOTO3, setting))
        for module in modules:
            handlers[module].append(seconds(TIME_HANDLER, setting, module))
    return boto3_alone, handlers


def top_contributors(module: str, setting: Setting) -> list[tuple[str, str, float]]:
    """The largest cumulative import times under `module` (python -X importtime), as (name, the module
    that imported it, median microseconds). boto3 is imported first, so what it pulls in is not
    counted again."""
    by_name: dict[str, list[int]] = {}
    importer: dict[str, str] = {}
    for _ in range(IMPORTTIME_RUNS):
        done = interpreter(setting, "-X", "importtime", "-c", f"import boto3; import {module}")
        after_boto3 = False
        # importtime prints a module after everything it imported, one indentation step deeper: the
        # entries waiting at depth d + 1 belong to the next entry printed at depth d.
        waiting: dict[int, list[str]] = {}
        for row in done.stderr.splitlines():
            if not row.startswith("import time:") or row.count("|") != 2:
                continue
            _, cumulative, raw_name = row.split("|")
            name = raw_name.strip()
            if not after_boto3:
                after_boto3 = name == "boto3"
                continue
            depth = (len(raw_name) - len(raw_name.lstrip()) - 1) // 2
            for child in waiting.pop(depth + 1, []):
                importer[child] = name
            waiting.setdefault(depth, []).append(name)
            by_name.setdefault(name, []).append(int(cumulative))
    # The handler itself and the packages around it hold everything: the contributors are below them.
    enclosing = {module.rsplit(".", n)[0] for n in range(module.count(".") + 1)}
    ranked = sorted(
        (
            (name, importer.get(name, "?"), median(times))
            for name, times in by_name.items()
            if name not in enclosing
        ),
        key=lambda entry: entry[2],
        reverse=True,
    )
    return ranked[:TOP]


def main() -> None:
    heading("3. import time of the handler modules, beyond boto3")
    modules = handler_modules()
    line("handler modules", ", ".join(modules), note="infra/topology.py")
    with tempfile.TemporaryDirectory(prefix="haochaping-imports-") as scratch:
        cached, from_source = settings(Path(scratch))
        # Fill the bytecode cache once; these runs are not timed.
        for module in modules:
            seconds(TIME_HANDLER, cached, module)
        for setting in (cached, from_source):
            label = setting.label
            boto3_alone, handlers = import_times(modules, setting)
            line(f"{label}: import boto3 alone, median", ms(median(boto3_alone)), "ms", note=f"N={RUNS}")
            for module, times in handlers.items():
                value = ms(median(times))
                line(
                    f"{label}: {module} beyond boto3, median",
                    value,
                    "ms",
                    note=f"N={RUNS}, min {ms(min(times)):.1f}, max {ms(max(times)):.1f}; target under "
                    f"{TARGET_MS:.0f} ms: {'met' if value < TARGET_MS else 'NOT met'}",
                )
                # A busy machine slows both alike: the ratio compares better between runs.
                line(
                    f"{label}: {module} relative to boto3 alone",
                    100 * median(times) / median(boto3_alone),
                    "%",
                    note=f"the target is {100 * TARGET_MS / BOTO3_REFERENCE_MS:.0f}% of DESIGN.md's "
                    f"{BOTO3_REFERENCE_MS:.0f} ms for boto3",
                )
        for module in modules:
            line(
                f"top {TOP} under {module} (bytecode cached, -X importtime)",
                "",
                note=f"cumulative µs, median of {IMPORTTIME_RUNS}",
            )
            for name, parent, micros in top_contributors(module, cached):
                print(f"    {name}: {micros:,.0f} µs  (imported by {parent})", flush=True)
    note("cumulative: an entry's time includes what it imported, so entries may overlap")


if __name__ == "__main__":
    main()
