"""Province configurations: one typed ProvinceConfig per province, and the demo directories."""

from __future__ import annotations

from pathlib import Path

from functions.core.domain.province import ProvinceConfig
from infra.provinces.guizhou import GUIZHOU
from infra.provinces.huanggang import HUANGGANG

PROVINCES: dict[str, ProvinceConfig] = {"guizhou": GUIZHOU, "huanggang": HUANGGANG}


def demo_directory_csv(name: str) -> str:
    """The demo directory of a province (kind,code,name,parent), loaded by the local stack."""
    return (Path(__file__).parent / f"{name}_directory.csv").read_text(encoding="utf-8")
