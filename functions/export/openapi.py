"""The export function's part of the OpenAPI document (API.md "Export")."""

from __future__ import annotations

from typing import Any

from functions.core.http.openapi import PERSON_TOKEN, errors, json_content, ref

_REASONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["rating_id", "reason"],
        "properties": {
            "rating_id": {"type": "string"},
            "part": {"type": "string"},
            "reason": {"type": "string"},
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "ExportStatus": {
        "type": "object",
        "required": ["date", "target", "sent", "acknowledged", "pending", "rejected", "held", "digest"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "target": {"type": "string"},
            "sent": {"type": "integer", "description": "handed to the target, no answer yet (incl. unknown)"},
            "acknowledged": {"type": "integer", "description": "acknowledged, incl. already received"},
            "pending": {"type": "integer"},
            "rejected": {**_REASONS, "description": "with the target's own text"},
            "held": {**_REASONS, "description": "not sent: what the record lacks"},
            "digest": {"type": "string", "description": "XOR of SHA-256 of the day's natural keys"},
            "acknowledged_digest": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "reconciliation": {"type": ["object", "null"]},
        },
    },
    "ExportReconcile": {
        "type": "object",
        "additionalProperties": False,
        "required": ["date"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "target": {"type": "string", "description": "optional when the stack has one target"},
        },
    },
}

_DATE = {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}}
_TARGET = {"name": "target", "in": "query", "required": False, "schema": {"type": "string"}}

PATHS: dict[str, Any] = {
    "/v1/export/status": {
        "get": {
            "summary": "A day's upward export for a target: sent, acknowledged, pending, rejected, held, digest (admin)",
            "security": [PERSON_TOKEN],
            "parameters": [_DATE, _TARGET],
            "responses": {"200": json_content(ref("ExportStatus"), "the day"), **errors(400, 401, 403)},
        }
    },
    "/v1/export/reconcile": {
        "post": {
            "summary": "Reconcile a day with the target now and re-send what is missing (admin)",
            "security": [PERSON_TOKEN],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ExportReconcile")}},
            },
            "responses": {
                "202": json_content({"type": "object"}, "queued"),
                **errors(400, 401, 403, 413, 415),
            },
        }
    },
}
