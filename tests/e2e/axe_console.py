"""axe-core in the console's browser tests: the pinned axe-core (package.json, `npm ci` into
node_modules/, run here when missing) injected into the page through WebDriver (which the page's CSP
does not govern), and its serious or critical violations returned. The issue-19 engineer's
tests/e2e/axe.py has the same idea; the coordinator unifies them."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = frozenset({"serious", "critical"})
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROJECT_ROOT, check=True, timeout=300)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def serious_violations(driver: Any) -> list[dict[str, Any]]:
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    result: dict[str, Any] = driver.execute_async_script(
        "const [tags, done] = arguments;"
        "window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => done({violations: r.violations}), e => done({error: String(e)}));",
        TAGS,
    )
    assert "error" not in result, f"axe-core failed: {result.get('error')}"
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v.get("impact") in BLOCKING
    ]
