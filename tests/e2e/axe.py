"""Accessibility checks in the browser tests: axe-core (npm, pinned in package.json, installed by
`make browser` into node_modules/) injected into the page the driver shows, and its serious or critical
violations reported.

    from tests.e2e.axe import assert_accessible
    assert_accessible(driver)                      # the whole page, WCAG 2.x A and AA rules
    assert_accessible(driver, context="#screen")   # one part of it

The script is handed to the page through WebDriver (which the page's Content-Security-Policy does not
govern), so pages keep their `script-src 'self'`. A missing node_modules is a failure that says what to
run, never a skipped check."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        raise AssertionError(f"{AXE_SCRIPT} is missing: run `make browser` (it runs `npm ci`)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(driver: Any, context: str | None = None, tags: tuple[str, ...] = WCAG_TAGS) -> dict[str, Any]:
    """axe's full result for the page (or the element matching the CSS selector `context`)."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    result: dict[str, Any] = driver.execute_async_script(
        """
        const [context, tags, done] = arguments;
        window.axe
          .run(context || document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
          .then((r) => done({violations: r.violations}), (e) => done({error: String(e)}));
        """,
        context,
        list(tags),
    )
    if "error" in result:
        raise AssertionError(f"axe-core failed to run: {result['error']}")
    return result


def blocking_violations(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The serious and critical violations, each with the rule, its help text and the offending nodes."""
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n.get("target") for n in v.get("nodes", [])][:5],
        }
        for v in result.get("violations", [])
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def assert_accessible(driver: Any, context: str | None = None) -> list[dict[str, Any]]:
    """Fails with the list of serious/critical violations; returns every violation found (minor ones
    included), so a test may print or save them."""
    result = run_axe(driver, context)
    blocking = blocking_violations(result)
    assert not blocking, "axe-core: serious or critical violations:\n" + json.dumps(
        blocking, ensure_ascii=False, indent=1
    )
    violations: list[dict[str, Any]] = result.get("violations", [])
    return violations
