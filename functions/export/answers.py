"""The export function's answer bodies (API.md, Export)."""

from __future__ import annotations

from typing import Any

STATUS_FIELDS = ("date", "target", "sent", "acknowledged", "pending", "rejected", "held", "digest")


def status(figures: dict[str, Any]) -> dict[str, Any]:
    """API.md's fields first, then the project's own: duplicates, unknown, counts by region × channel ×
    level (the target's codes) of acknowledged records, the acknowledged records' digest, and the last
    reconciliation of the day."""
    return {
        **{name: figures[name] for name in STATUS_FIELDS},
        **{k: v for k, v in figures.items() if k not in STATUS_FIELDS},
    }
