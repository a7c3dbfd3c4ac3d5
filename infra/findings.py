"""Static checks of the synthesized templates beyond cdk-nag: checkov and cfn-lint, on each partition's
template, every finding either fixed or accepted with its reason in infra/accepted_findings.json.

`make checkov` (or `python -m infra.findings [--templates DIR]`) prints, per template, how many
findings each tool reports, how many of them are accepted, and lists any that are not; it exits 1 if
one is not. checkov has pins that conflict with the project's, so it runs from its own virtual
environment (.build/checkov, which `make checkov` creates)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED_FILE = ROOT / "infra" / "accepted_findings.json"
CHECKOV = ROOT / ".build" / "checkov" / "bin" / "checkov"


@dataclass(frozen=True)
class Finding:
    tool: str
    check: str  # checkov's CKV_AWS_nn, cfn-lint's rule id
    resource: str
    message: str


def accepted() -> dict[str, dict[str, str]]:
    """tool → check id → why the finding is accepted."""
    return json.loads(ACCEPTED_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def checkov_findings(template: Path) -> list[Finding]:
    done = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(template),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip():
        raise RuntimeError(f"checkov gave no report (exit {done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    return [
        Finding("checkov", f["check_id"], f["resource"], f["check_name"])
        for r in reports
        for f in r.get("results", {}).get("failed_checks", [])
    ]


def cfn_lint_findings(template: Path, region: str) -> list[Finding]:
    from cfnlint.api import ManualArgs, lint_file

    return [
        Finding("cfn-lint", m.rule.id, "/".join(str(p) for p in m.path), m.message)
        for m in lint_file(template, config=ManualArgs(regions=[region]))
    ]


def region_of(template: Path) -> str:
    from infra.provinces import DEPLOYMENTS

    province = template.name.removeprefix("haochaping-").removesuffix(".template.json")
    return DEPLOYMENTS[province].region


def report(templates: Iterable[Path]) -> int:
    allowed = accepted()
    unaccepted = 0
    for template in templates:
        region = region_of(template)
        for tool, found in (
            ("checkov", checkov_findings(template)),
            ("cfn-lint", cfn_lint_findings(template, region)),
        ):
            open_ = [f for f in found if f.check not in allowed.get(tool, {})]
            unaccepted += len(open_)
            print(
                f"{template.name} ({region}) {tool}: {len(found)} findings, {len(found) - len(open_)} accepted"
            )
            for f in open_:
                print(f"  NOT ACCEPTED {f.check} {f.resource}: {f.message}")
    return 1 if unaccepted else 0


def synthesize(outdir: Path) -> list[Path]:
    os.environ.setdefault("HAOCHAPING_BUNDLE", "source")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.app import build_app

    build_app(outdir=str(outdir), nag=False).synth()
    return sorted(outdir.glob("haochaping-*.template.json"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.findings")
    parser.add_argument("--templates", type=Path, help="a cdk.out directory already synthesized")
    args = parser.parse_args(argv)
    if args.templates:
        return report(sorted(args.templates.glob("haochaping-*.template.json")))
    with tempfile.TemporaryDirectory() as outdir:
        return report(synthesize(Path(outdir)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
