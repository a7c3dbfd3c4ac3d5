"""The OpenAPI 3.1 document served at GET /v1/openapi.json, assembled from every function's part.

Each function that serves routes contributes a module `functions/<function>/openapi.py` with `PATHS`
(the OpenAPI paths of its routes) and optionally `SCHEMAS` (component schemas); this module finds them
and adds what all share: the error shape, the error responses derived from the one error mapping
(`functions.core.http.api.STATUS`), and the credentials. Patterns and limits in the parts come from the
domain's own constants, so the document cannot drift from what is enforced."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

from functions.core.http.api import INTERNAL, STATUS

CHANNEL_KEY = {"channelKey": []}
PERSON_TOKEN = {"personToken": []}
CHANNEL_OR_PERSON = [CHANNEL_KEY, PERSON_TOKEN]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def pattern(regex: re.Pattern[str]) -> str:
    """A domain regex (used with fullmatch) as an anchored OpenAPI pattern."""
    return f"^(?:{regex.pattern})$"


def json_content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_codes(status: int) -> list[str]:
    return sorted({cls.code for cls, mapped in STATUS.items() if mapped == status})


def errors(*statuses: int) -> dict[str, Any]:
    """The error responses of a route, each naming the codes the error mapping answers with it. Every
    route may also fail unexpectedly: 500 `internal`, always documented."""
    answers = {}
    for status in (*statuses, 500):
        classes = [cls for cls, mapped in STATUS.items() if mapped == status]
        if classes:
            description = " ".join(
                f"`{cls.code}`: {(cls.__doc__ or '').strip().splitlines()[0]}" for cls in classes
            )
        else:
            description = f"`{INTERNAL}`: an unexpected fault, without detail."
        answers[str(status)] = json_content(ref("Error"), description)
    return answers


def _shared_schemas() -> dict[str, Any]:
    codes = sorted({cls.code for cls in STATUS} | {INTERNAL})
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "one of: " + ", ".join(codes)},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "validation: each bad field (or `line N` of an import) and why",
                },
            },
        }
    }


def contributions() -> list[Any]:
    """Every `functions.<function>.openapi` module, found by looking, so a new function adds its paths
    by adding the module."""
    import functions

    found = []
    for package in sorted(m.name for m in pkgutil.iter_modules(functions.__path__) if m.ispkg):
        try:
            found.append(importlib.import_module(f"functions.{package}.openapi"))
        except ModuleNotFoundError as e:
            if e.name != f"functions.{package}.openapi":
                raise
    return [module for module in found if hasattr(module, "PATHS")]


def document() -> dict[str, Any]:
    schemas = _shared_schemas()
    paths: dict[str, Any] = {}
    for module in contributions():
        schemas.update(getattr(module, "SCHEMAS", {}))
        for path, operations in module.PATHS.items():
            paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "haochaping: 政务服务“好差评”",
            "version": "1",
            "description": 'Ratings of government services. Every error is {"error": code, "message": text}; '
            'validation errors add "fields". No error message echoes a submitted value that may be personal.',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "channelKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "personToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "deviceToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a rating device's credential",
                },
            },
        },
        "security": CHANNEL_OR_PERSON,
        "paths": dict(sorted(paths.items())),
    }
