"""The layers' import contracts, read from the source (an import-linter equivalent without its pins):
no function imports another function, `functions/core` imports no function, and boto3/botocore appear
only in the storage adapters (`functions/core/storage/`).

What breaks a contract today is listed below, each with the seam that will remove it. The lists only
shrink: a new breach fails, and so does an entry that no longer breaks anything (remove it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"

# (importing module, imported module): a function importing another function's code.
CROSS_FUNCTION_ALLOWED: dict[tuple[str, str], str] = {
    ("functions.devices.app", "functions.rate"): "the devices app wires the rate function's intake",
    (
        "functions.console.settings",
        "functions.tickets",
    ): "the console names the tickets' evidence rules (to move to core)",
    ("functions.index.ticket_deadlines", "functions.tickets.rules"): "ticket type to move to core",
    ("functions.index.ticket_deadlines", "functions.tickets.store"): "ticket codec to move to core",
}

# Modules outside functions/core/storage that import boto3 or botocore.
BOTO_OUTSIDE_ADAPTERS_ALLOWED: dict[str, str] = {
    "functions.core.http.authorizer": "a raw secret read beside the cached one",
    "functions.index.ticket_deadlines": "DynamoDB typed JSON to move behind the ticket reader in core",
    "functions.sms.wiring": "a second, uncached SNS client",
    "functions.tickets.store": "the tickets' adapter, to move under functions/core/storage",
}


def _modules() -> dict[str, set[str]]:
    """module name → the absolute modules it imports (at any depth: lazy imports count too)."""
    found: dict[str, set[str]] = {}
    for path in sorted(FUNCTIONS.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[module] = names
    return found


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[0] == "functions") else None


def test_no_function_imports_another_and_core_imports_none():
    breaches = set()
    for module, imported in _modules().items():
        own = _package(module)
        for name in imported:
            if not name.startswith("functions.") or own is None:
                continue
            other = name.split(".")[1]
            if other not in (own, "core"):
                breaches.add((module, name))
    core = {b for b in breaches if _package(b[0]) == "core"}
    assert core == set(), "functions/core imports a function"
    assert breaches == set(CROSS_FUNCTION_ALLOWED), (
        f"new: {sorted(breaches - set(CROSS_FUNCTION_ALLOWED))}; "
        f"fixed (remove from the list): {sorted(set(CROSS_FUNCTION_ALLOWED) - breaches)}"
    )


def test_boto3_only_in_the_storage_adapters():
    outside = {
        module
        for module, imported in _modules().items()
        if not module.startswith("functions.core.storage")
        and any(name.split(".")[0] in ("boto3", "botocore") for name in imported)
    }
    assert outside == set(BOTO_OUTSIDE_ADAPTERS_ALLOWED), (
        f"new: {sorted(outside - set(BOTO_OUTSIDE_ADAPTERS_ALLOWED))}; "
        f"fixed (remove from the list): {sorted(set(BOTO_OUTSIDE_ADAPTERS_ALLOWED) - outside)}"
    )


def test_the_nag_module_needs_the_stack_for_its_types_only():
    """infra/stack.py calls infra/nag.py; nag names ProvinceStack in annotations alone (no cycle)."""
    tree = ast.parse((ROOT / "infra" / "nag.py").read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    runtime = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "infra.stack" and id(node) not in typing_only
    ]
    assert runtime == []
