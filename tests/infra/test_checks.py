"""cdk-nag's AwsSolutions pack passes with every acknowledgment carrying its reason, and cfn-lint finds
nothing in either partition's template."""

from __future__ import annotations

import json

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
def test_cfn_lint_passes_on_each_partitions_template(synthesized, province):
    from cfnlint.api import ManualArgs, lint_file

    # W3005 (DependsOn already implied by a reference) is noise in CDK's output. Linted for the stack's
    # own region, so the China template is checked against what cn-northwest-1 offers.
    matches = lint_file(
        synthesized.template_file(province),
        config=ManualArgs(ignore_checks=["W3005"], regions=[DEPLOYMENTS[province].region]),
    )
    assert [str(m) for m in matches] == []
