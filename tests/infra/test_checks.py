"""cdk-nag's AwsSolutions pack passes with every acknowledgment carrying its reason, and cfn-lint finds
nothing in either partition's template."""

from __future__ import annotations

import json
import subprocess

import pytest

from infra.nag import REASONS
from infra.provinces import DEPLOYMENTS


def test_cdk_nag_finds_nothing_unacknowledged(synthesized):
    # The session fixture synthesized with the checks on: any unacknowledged finding would have failed it.
    report = json.loads((synthesized.outdir / "validation-report.json").read_text(encoding="utf-8"))
    violations = [v for plugin in report["pluginReports"] for v in plugin["violations"]]
    assert violations == []


def test_every_acknowledgment_states_its_reason(synthesized):
    acknowledged: dict[str, str] = {}
    for stack in synthesized.stacks.values():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == "aws:cdk:acknowledged-rules":
                    acknowledged.update(entry.data)
    assert acknowledged, "acknowledgments are recorded on the constructs"
    for rule, reason in acknowledged.items():
        assert rule.startswith("Annotation::AwsSolutions-")
        assert reason in REASONS.values() and len(reason) > 40


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_cfn_lint_finds_only_accepted_findings_on_each_partitions_template(synthesized, province):
    from infra.findings import accepted, cfn_lint_findings

    # Linted for the stack's own region, so the China template is checked against what
    # cn-northwest-1 offers; what is accepted (W3005, CDK's explicit DependsOn) says why in one file.
    found = cfn_lint_findings(synthesized.template_file(province), DEPLOYMENTS[province].region)
    assert [f for f in found if f.check not in accepted()["cfn-lint"]] == []


def test_checkov_finds_only_accepted_findings_on_each_partitions_template(synthesized):
    """checkov from its own environment (make creates it on a fresh machine: its pins conflict)."""
    from infra.findings import CHECKOV, ROOT, accepted, checkov_findings

    if not CHECKOV.exists():
        subprocess.run(["make", str(CHECKOV.relative_to(ROOT))], cwd=ROOT, check=True)
    reasons = accepted()["checkov"]
    for province in sorted(DEPLOYMENTS):
        found = checkov_findings(synthesized.template_file(province))
        assert [f for f in found if f.check not in reasons] == [], province
    assert all(len(reason) > 60 for reason in reasons.values())
