"""The SMS function's part of the OpenAPI document (POST /v1/cases); functions/core/http/openapi.py
assembles it with the others. The local stack's /local/sms/* routes are never deployed or documented."""

from __future__ import annotations

from typing import Any

from functions.core.domain.ratings import CASE_NO
from functions.core.domain.regions import REGION_CODE
from functions.core.http.openapi import CHANNEL_KEY, errors, json_content, pattern, ref
from functions.sms.rules import MAX_INBOUND_CHARS

INVITATION_STATES = ["sent", "scheduled", "already_invited", "already_rated", "opted_out"]
_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}$"}

SCHEMAS: dict[str, Any] = {
    "CaseCompleted": {
        "type": "object",
        "description": "A completed case (办结): its applicant is texted an invitation to rate it. Replies "
        f"(at most {MAX_INBOUND_CHARS} characters) become ratings of the case on channel sms.",
        "required": ["case_no", "item", "department", "region", "applicant_phone", "completed_at"],
        "additionalProperties": False,
        "properties": {
            "case_no": {"type": "string", "pattern": pattern(CASE_NO)},
            "item": _CODE,
            "department": _CODE,
            "region": {"type": "string", "pattern": pattern(REGION_CODE)},
            "window": _CODE,
            "staff": _CODE,
            "applicant_phone": {
                "type": "string",
                "description": "a mainland mobile number; stored sealed, never shown or logged",
            },
            "completed_at": {"type": "string", "format": "date-time", "description": "never in the future"},
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
                "description": "when a scheduled invitation goes out (the end of the province's quiet hours)",
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/v1/cases": {
        "post": {
            "operationId": "postCase",
            "summary": "Report a completed case (the case system); its applicant is invited to rate it by SMS",
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
