"""State machines: their ASL files and the one substitution of `${Placeholders}` that both the CDK
app and the local stack use, so the definition that runs locally is the one that deploys."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

STATEMACHINES_DIR = Path(__file__).resolve().parents[1] / "statemachines"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(asl_text(name)))


def asl_text(name: str) -> str:
    return (STATEMACHINES_DIR / f"{name}.asl.json").read_text(encoding="utf-8")


def definition(name: str, values: Mapping[str, str]) -> str:
    """The ASL of `statemachines/<name>.asl.json` with every `${Name}` replaced; a missing or an unused
    value is an error, so a renamed placeholder cannot slip through to a broken deployment."""
    text = asl_text(name)
    wanted = set(_PLACEHOLDER.findall(text))
    missing = wanted - set(values)
    extra = set(values) - wanted
    if missing or extra:
        raise ValueError(f"{name}.asl.json: missing {sorted(missing)}, unused {sorted(extra)}")
    # Values go in as JSON string contents, so a value can never change the document's structure.
    substituted = _PLACEHOLDER.sub(lambda m: json.dumps(str(values[m.group(1)]))[1:-1], text)
    json.loads(substituted)
    return substituted
