"""The CDK app: one stack per province (infra/provinces/), `haochaping-<province>`.

`cdk synth -c province=<name>` (or `cdk deploy -c province=<name>`) builds that province alone; without
the context value every province is synthesized. Synthesis needs no AWS credentials and makes no AWS
call: each stack's account and region come from its DeployConfig. cdk-nag's AwsSolutions checks run on
every synthesis (`-c nag=false` skips them)."""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.provinces import DEPLOYMENTS, PROVINCES
from infra.stack import ProvinceStack


def stack_name(province: str) -> str:
    return f"haochaping-{province}"


# Feature flags the stack relies on (also in cdk.json, for the CLI).
CONTEXT = {
    # Server access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(outdir: str | None = None, provinces: list[str] | None = None, nag: bool | None = None) -> App:
    app = App(outdir=outdir, context=CONTEXT) if outdir else App(context=CONTEXT)
    chosen = app.node.try_get_context("province")
    if provinces is None:
        provinces = [chosen] if chosen else sorted(DEPLOYMENTS)
    unknown = [p for p in provinces if p not in DEPLOYMENTS]
    if unknown:
        raise SystemExit(f"no deployment for {unknown}: choose from {sorted(DEPLOYMENTS)} (infra/provinces/)")
    for name in provinces:
        ProvinceStack(app, stack_name(name), province=PROVINCES[name], deploy=DEPLOYMENTS[name])
    if nag is None:
        nag = str(app.node.try_get_context("nag")).lower() != "false"
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app


if __name__ == "__main__":
    build_app().synth()
