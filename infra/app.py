"""The CDK app: one stack per province configuration in infra/provinces/.

`cdk synth` runs this (see cdk.json); it needs no credentials and makes no AWS call."""

from __future__ import annotations

from aws_cdk import App

from infra.provinces import PROVINCES
from infra.stack import ProvinceStack


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir) if outdir else App()
    for name, province in PROVINCES.items():
        ProvinceStack(app, f"haochaping-{name}", province=province)
    return app


if __name__ == "__main__":
    build_app().synth()
