"""The functions' code asset, built on this machine without Docker.

One directory holds everything every function runs: the runtime dependencies pip-installed for the
Lambda platform (manylinux aarch64, CPython 3.12: binary wheels only, so nothing is compiled here), the
`functions/` package, and `.pyc` files compiled by a CPython 3.12 so a cold start reads bytecode instead
of compiling (Lambda's /var/task is read-only: without them every cold start compiles again).

Dependencies are cached under `.build/` (git-ignored) by a key of the requirement list and the platform,
so a synthesis after the first one only links files. `BundleMode.SOURCE` (env `HAOCHAPING_BUNDLE=source`)
is the fast path for template tests: `functions/` alone, no dependencies, no bytecode.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
LAMBDA_PYTHON = "3.12"

# The Lambda runtime ships a boto3, but we bundle the pinned one the code and tests were built against.
# chalice's CLI dependencies (click, pyyaml, inquirer, ...) are not needed to run an app: it goes in alone.
NO_DEPS = ("chalice",)


class BundleMode(StrEnum):
    FULL = "full"  # dependencies + functions/ + .pyc (what deploys)
    SOURCE = "source"  # functions/ only (template tests that never run the code)


@dataclass(frozen=True)
class Platform:
    pip_platform: str
    python_version: str = LAMBDA_PYTHON

    @property
    def key(self) -> str:
        return f"{self.pip_platform}-cp{self.python_version.replace('.', '')}"


LAMBDA_ARM64 = Platform("manylinux2014_aarch64")
# The same recipe for this machine's architecture: used only by the check that the asset imports its
# handlers (an aarch64 wheel's extension modules cannot load on x86_64).
HOST_X86_64 = Platform("manylinux2014_x86_64")


def mode_from_env() -> BundleMode:
    return BundleMode(os.environ.get("HAOCHAPING_BUNDLE", BundleMode.FULL.value))


def runtime_requirements() -> list[str]:
    """The runtime dependencies, as pinned in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


# The province's configuration travels in the asset, not in the environment: Lambda allows 4 KB of
# environment per function, and a province's texts, tags and rules (UTF-8 Chinese) alone approach it.
PROVINCE_FILE = "province.json"
LAMBDA_TASK_ROOT = "/var/task"


def build_asset(
    mode: BundleMode | None = None,
    platform: Platform = LAMBDA_ARM64,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """The directory to hand to `lambda.Code.from_asset`, built (or reused) now; `extra_files` (name →
    text) are added at its top, in a copy of hard links keyed by their content."""
    base = _build_base(mode, platform)
    if not extra_files:
        return base
    digest = hashlib.sha256(json.dumps(extra_files, sort_keys=True).encode()).hexdigest()[:16]
    target = base.with_name(f"{base.name}-x{digest}")
    if not target.exists():
        staging = target.with_name(target.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(base, staging, copy_function=os.link)
        for name, text in extra_files.items():
            (staging / name).write_text(text, encoding="utf-8")
        staging.rename(target)
    return target


def _build_base(mode: BundleMode | None, platform: Platform) -> Path:
    mode = mode or mode_from_env()
    source_key = _tree_digest(ROOT / "functions")
    if mode is BundleMode.SOURCE:
        target = BUILD / "asset" / f"source-{source_key}"
        if not target.exists():
            _assemble(target, deps=None, compile_with=None)
        return target
    deps = dependencies(platform)
    target = BUILD / "asset" / f"{platform.key}-{deps.name}-{source_key}"
    if not target.exists():
        _assemble(target, deps=deps, compile_with=python_for(platform.python_version))
    return target


def dependencies(platform: Platform) -> Path:
    """The runtime dependencies installed for `platform`, cached by requirement list and platform."""
    requirements = runtime_requirements()
    key = hashlib.sha256("\n".join([platform.key, *requirements]).encode()).hexdigest()[:16]
    target = BUILD / "deps" / key
    if (target / ".complete").exists():
        return target
    staging = target.with_name(key + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    plain = [r for r in requirements if _name(r) not in NO_DEPS]
    alone = [r for r in requirements if _name(r) in NO_DEPS]
    for packages, extra in ((plain, []), (alone, ["--no-deps"])):
        if packages:
            _pip(staging, platform, [*extra, *packages])
    interpreter = python_for(platform.python_version)
    if interpreter:
        _compile(staging, interpreter)
    else:
        print(f"warning: no CPython {platform.python_version} here: the asset has no .pyc", file=sys.stderr)
    (staging / ".complete").write_text("\n".join(requirements), encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def python_for(version: str) -> str | None:
    """A working CPython of `version` on this machine (pyenv, then PATH), to compile bytecode for the
    runtime; None if there is none (the asset then ships without .pyc and says so)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        str(p / "bin" / f"python{version}") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)
    ]
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        try:
            answer = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if answer.returncode == 0 and answer.stdout.strip() == version:
            return candidate
    return None


def _pip(target: Path, platform: Platform, packages: list[str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--platform",
            platform.pip_platform,
            "--implementation",
            "cp",
            "--python-version",
            platform.python_version,
            "--only-binary=:all:",
            "--target",
            str(target),
            *packages,
        ],
        check=True,
    )


def _assemble(target: Path, *, deps: Path | None, compile_with: str | None) -> None:
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    if deps is not None:
        # Hard links: a new asset for a code change costs no copy of the dependencies.
        shutil.copytree(
            deps, staging, copy_function=os.link, ignore=shutil.ignore_patterns(".complete", "bin")
        )
    shutil.copytree(
        ROOT / "functions",
        staging / "functions",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"),
    )
    if compile_with:
        _compile(staging / "functions", compile_with)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _compile(directory: Path, interpreter: str) -> None:
    """Bytecode for the runtime's Python; unchecked-hash pycs stay valid whatever the files' times."""
    if Path(interpreter).resolve() == Path(sys.executable).resolve():
        compileall.compile_dir(
            directory,
            quiet=1,
            invalidation_mode=compileall.PycInvalidationMode.UNCHECKED_HASH,
        )
        return
    subprocess.run(
        [interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(directory)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _name(requirement: str) -> str:
    for separator in ("==", ">=", "<=", "~=", ">", "<", "[", ";", " "):
        requirement = requirement.split(separator)[0]
    return requirement.strip().lower()


def _tree_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
