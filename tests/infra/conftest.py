"""Each province is synthesized once per test session (with cdk-nag's checks, as `cdk synth` runs them);
the tests read the templates. Template tests use the fast code asset (functions/ only): the real bundle
is built and checked by test_bundle.py."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    outdir: Path
    stacks: dict[str, Any]  # province → ProvinceStack
    templates: dict[str, Any]  # province → aws_cdk.assertions.Template

    def template_file(self, province: str) -> Path:
        return self.outdir / f"haochaping-{province}.template.json"


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Synthesized:
    from aws_cdk.assertions import Template

    from infra.app import build_app, stack_name
    from infra.provinces import DEPLOYMENTS

    previous = os.environ.get("HAOCHAPING_BUNDLE")
    os.environ["HAOCHAPING_BUNDLE"] = "source"
    try:
        outdir = tmp_path_factory.mktemp("cdk.out")
        app = build_app(outdir=str(outdir), nag=True)
        app.synth()  # raises if cdk-nag finds anything not acknowledged
    finally:
        if previous is None:
            os.environ.pop("HAOCHAPING_BUNDLE", None)
        else:
            os.environ["HAOCHAPING_BUNDLE"] = previous
    stacks = {name: app.node.find_child(stack_name(name)) for name in DEPLOYMENTS}
    return Synthesized(
        outdir=outdir,
        stacks=stacks,
        templates={name: Template.from_stack(stack) for name, stack in stacks.items()},
    )


@pytest.fixture(scope="session")
def template(synthesized):
    """The global-region demo province's template."""
    return synthesized.templates["guizhou"]


@pytest.fixture(scope="session")
def china(synthesized):
    return synthesized.templates["ningxia"]
