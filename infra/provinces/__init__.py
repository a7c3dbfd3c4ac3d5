"""Province configurations: one file per province holding its typed ProvinceConfig (what the functions
read) and, for a deployed province, its DeployConfig (what the CDK app reads); and the demo directories.
A province joins by its file and one line in each dict below."""

from __future__ import annotations

from pathlib import Path

from functions.core.domain.province import ProvinceConfig
from infra.provinces.deploy import DeployConfig
from infra.provinces.guizhou import GUIZHOU, GUIZHOU_DEPLOY
from infra.provinces.huanggang import HUANGGANG
from infra.provinces.ningxia import NINGXIA, NINGXIA_DEPLOY

PROVINCES: dict[str, ProvinceConfig] = {
    "guizhou": GUIZHOU,
    "huanggang": HUANGGANG,
    "ningxia": NINGXIA,
}

# The provinces the CDK app deploys: `cdk synth -c province=<name>`. A province without a deployment
# (huanggang: an example of ticket policy) is configuration only.
DEPLOYMENTS: dict[str, DeployConfig] = {
    "guizhou": GUIZHOU_DEPLOY,
    "ningxia": NINGXIA_DEPLOY,
}


def demo_directory_csv(name: str) -> str:
    """The demo directory of a province (kind,code,name,parent), loaded by the local stack."""
    return (Path(__file__).parent / f"{name}_directory.csv").read_text(encoding="utf-8")
