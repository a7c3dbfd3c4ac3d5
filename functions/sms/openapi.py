"""The SMS function's part of the OpenAPI document (POST /v1/cases), merged into the one document the
project serves at GET /v1/openapi.json (functions/rate/openapi.py)."""

from __future__ import annotations

from typing import Any

from functions.core.domain import directory, ratings
from functions.core.domain.regions import REGION_CODE
from functions.core.http.openapi import CHANNEL_KEY, errors, json_content, pattern, ref
from functions.sms.rules import MAX_INBOUND_CHARS

INVITATION_STATES = ["sent", "scheduled", "already_invited", "already_rated", "opted_out"]


_CODE = {"type": "string", "pattern": pattern(directory.CODE)}

SCHEMAS: dict[str, Any] = {
    "CaseCompleted": {
        "type": "object",
        "description": "A completed case (办结): its applicant is texted an invitation to rate it. "
        f"Replies (at most {MAX_INBOUND_CHARS} characters) become ratings on channel sms.",
        "required": ["case_no", "item", "department", "region", "applicant_phone", "completed_at"],
        "additionalProperties": False,
        "properties": {
            "case_no": {"type": "string", "pattern": pattern(ratings.CASE_NO)},
            "item": _CODE,
            "department": _CODE,
            "region": {"type": "string", "pattern": pattern(REGION_CODE)},
            "window": _CODE,
            "staff": _CODE,
            "applicant_phone": {
                "type": "string",
                "description": "A mainland mobile number; stored sealed, never shown",
            },
            "completed_at": {"type": "string", "format": "date-time"},
        },
    },
    "CaseRecorded": {
        "type": "object",
        "required": ["case_no", "invitation"],
        "properties": {
            "case_no": {"type": "string"},
            "invitation": {"type": "string", "enum": INVITATION_STATES},
            "send_after": {
                "type": "string",
                "format": "date-time",
                "description": "When a scheduled invitation goes out (the end of the quiet hours)",
            },
        },
    },
}


PATHS: dict[str, Any] = {
    "/v1/cases": {
        "post": {
            "operationId": "postCase",
            "summary": "Report a completed case (the case system); its applicant is invited to rate it",
            "security": [CHANNEL_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("CaseCompleted")}},
            },
            "responses": {
                "202": json_content(
                    ref("CaseRecorded"),
                    "Recorded (or recorded before with the same content); what became of the invitation",
                ),
                **errors(400, 401, 403, 409, 413, 415, 422, 429),
            },
        }
    }
}
