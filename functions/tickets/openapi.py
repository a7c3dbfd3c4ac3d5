"""The tickets function's part of the OpenAPI document (API.md "Tickets" and "Calendar").

Enumerations are the rules' own constants; error responses come from the one error mapping."""

from __future__ import annotations

from typing import Any

from functions.core.http.openapi import PERSON_TOKEN, errors, json_content, ref
from functions.tickets.evidence import MAX_BYTES, MAX_PER_TICKET, TYPES
from functions.tickets.rules import CATEGORIES, FINDINGS, MAX_EVIDENCE, MAX_NOTE, Status

TEXT = {"type": "string", "maxLength": MAX_NOTE}
EVIDENCE = {
    "type": "array",
    "maxItems": MAX_EVIDENCE,
    "items": {"type": "string"},
    "description": "keys issued by POST /v1/tickets/{ticket_id}/evidence for this ticket",
}
DATE_LIST = {"type": "array", "items": {"type": "string", "format": "date"}}

SCHEMAS: dict[str, Any] = {
    "Ticket": {
        "type": "object",
        "required": ["ticket_id", "rating_id", "department", "status", "received_at", "contact_due"],
        "properties": {
            "ticket_id": {"type": "string"},
            "rating_id": {"type": "string"},
            "department": {"type": "string"},
            "supervisor": {"type": ["string", "null"], "description": "the region above the department"},
            "status": {"type": "string", "enum": [s.value for s in Status]},
            "stage": {"type": ["string", "null"], "description": "what the workflow waits for"},
            "finding": {"type": ["string", "null"], "enum": [*FINDINGS, None]},
            "category": {"type": ["string", "null"], "enum": [*CATEGORIES, None]},
            "received_at": {"type": "string", "format": "date-time"},
            "contact_due": {"type": "string", "format": "date-time"},
            "rectify_due": {"type": ["string", "null"], "format": "date-time"},
            "rectify_dues": {"type": "object", "additionalProperties": {"type": "string"}},
            "provisional": {"type": "boolean", "description": "a deadline counts days of a provisional year"},
            "overdue": {"type": "array", "items": {"type": "string"}},
            "late": {"type": "array", "items": {"type": "string"}},
            "on_time": {"type": "boolean"},
            "stalled": {
                "type": ["object", "null"],
                "description": "set when the ticket's workflow stopped on a failing service call "
                "(python -m functions.tickets.resume restarts it)",
                "properties": {
                    "error": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                    "execution": {"type": "string"},
                },
            },
            "trail": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["at", "by", "action"],
                    "properties": {
                        "at": {"type": "string", "format": "date-time"},
                        "by": {"type": "string", "description": "role:scope; never a person's name"},
                        "action": {"type": "string"},
                        "note": {"type": ["string", "null"]},
                        "evidence": {"type": "array", "items": {"type": "string"}},
                        "late": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "TicketList": {
        "type": "object",
        "required": ["tickets"],
        "properties": {"tickets": {"type": "array", "items": {"type": "object"}}},
    },
    "EvidenceRequest": {
        "type": "object",
        "required": ["content_type", "size"],
        "additionalProperties": False,
        "properties": {
            "content_type": {"type": "string", "enum": list(TYPES)},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_BYTES, "description": "bytes"},
        },
    },
    "EvidenceUpload": {
        "type": "object",
        "required": ["key", "upload", "expires_in"],
        "properties": {
            "key": {"type": "string", "description": "what an action cites once the file is uploaded"},
            "upload": {
                "type": "object",
                "required": ["url", "fields"],
                "description": "a pre-signed S3 POST: send every field, then the file as the form's "
                "last field `file`; S3 refuses another key, content type or size",
                "properties": {"url": {"type": "string"}, "fields": {"type": "object"}},
            },
            "expires_in": {"type": "integer"},
        },
    },
    "EvidenceDownload": {
        "type": "object",
        "required": ["key", "url", "content_type", "expires_in"],
        "properties": {
            "key": {"type": "string"},
            "url": {"type": "string", "description": "pre-signed GET of the cited version, as an attachment"},
            "content_type": {"type": "string", "enum": list(TYPES)},
            "expires_in": {"type": "integer"},
        },
    },
    "Due": {
        "type": "object",
        "required": ["due", "provisional"],
        "properties": {"due": {"type": "string", "format": "date-time"}, "provisional": {"type": "boolean"}},
    },
    "CalendarYear": {
        "type": "object",
        "required": ["year", "status", "holidays", "workdays"],
        "properties": {
            "year": {"type": "integer"},
            "status": {"type": "string", "enum": ["official", "provisional"]},
            "holidays": DATE_LIST,
            "workdays": DATE_LIST,
            "rescheduled": {"type": "integer", "description": "open tickets whose deadlines moved"},
        },
    },
    "CalendarUpload": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"holidays": DATE_LIST, "workdays": DATE_LIST},
    },
}

_TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}
_YEAR = {
    "name": "year",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]{4}$"},
}
_ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "contact": (
        "The department has contacted the rater (or verified an anonymous rating internally)",
        {"type": "object", "additionalProperties": False, "properties": {"note": TEXT}},
    ),
    "verify": (
        "The finding: valid with its category, or misrating/malicious with reason and evidence (opens the "
        "appeal)",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["finding"],
            "properties": {
                "finding": {"type": "string", "enum": list(FINDINGS)},
                "category": {"type": "string", "enum": list(CATEGORIES)},
                "reason": TEXT,
                "evidence": EVIDENCE,
                "note": TEXT,
            },
        },
    ),
    "decide-appeal": (
        "A reviewer of the department's region decides the appeal: approve (the rating becomes invalid) "
        "or reject (back to rectifying with the original deadline of `category`, default general)",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["approve"],
            "properties": {
                "approve": {"type": "boolean"},
                "reason": TEXT,
                "category": {"type": "string", "enum": list(CATEGORIES)},
            },
        },
    ),
    "reply": (
        "The rectification report, replied to the rater",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["report"],
            "properties": {"report": TEXT, "evidence": EVIDENCE, "note": TEXT},
        },
    ),
    "revisit": (
        "The rater's answer on revisit; the ticket closes",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["satisfied"],
            "properties": {"satisfied": {"type": "boolean"}, "note": TEXT},
        },
    ),
}

PATHS: dict[str, Any] = {
    "/v1/tickets": {
        "get": {
            "operationId": "listTickets",
            "summary": "Tickets in the caller's scope (a department: its own)",
            "security": [PERSON_TOKEN],
            "parameters": [
                {"name": "department", "in": "query", "required": False, "schema": {"type": "string"}},
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": [s.value for s in Status]},
                },
                {
                    "name": "overdue",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["true", "false"]},
                },
            ],
            "responses": {"200": json_content(ref("TicketList"), "The tickets"), **errors(400, 401, 403)},
        }
    },
    "/v1/tickets/{ticket_id}": {
        "get": {
            "operationId": "getTicket",
            "summary": "A ticket with its trail",
            "security": [PERSON_TOKEN],
            "parameters": [_TICKET_ID],
            "responses": {"200": json_content(ref("Ticket"), "The ticket"), **errors(401, 403, 404)},
        }
    },
    "/v1/tickets/{ticket_id}/evidence": {
        "post": {
            "operationId": "issueEvidenceUpload",
            "summary": "A pre-signed POST form for one evidence file (JPEG, PNG or PDF, at most "
            f"{MAX_BYTES // (1024 * 1024)} MB, at most {MAX_PER_TICKET} per ticket, while the ticket is "
            "open, contacted or rectifying), and the key to cite",
            "security": [PERSON_TOKEN],
            "parameters": [_TICKET_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("EvidenceRequest")}},
            },
            "responses": {
                "201": json_content(ref("EvidenceUpload"), "Issued"),
                **errors(400, 401, 403, 404, 409, 413, 415),
            },
        }
    },
    "/v1/tickets/{ticket_id}/evidence/{file_name}": {
        "get": {
            "operationId": "downloadEvidence",
            "summary": "A download link of a file the ticket's trail cites (people who may read the ticket)",
            "security": [PERSON_TOKEN],
            "parameters": [
                _TICKET_ID,
                {"name": "file_name", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {"200": json_content(ref("EvidenceDownload"), "The link"), **errors(401, 403, 404)},
        }
    },
    **{
        f"/v1/tickets/{{ticket_id}}/{action}": {
            "post": {
                "operationId": "ticket" + "".join(part.title() for part in action.split("-")),
                "summary": summary,
                "security": [PERSON_TOKEN],
                "parameters": [_TICKET_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                "responses": {
                    "200": json_content(ref("Ticket"), "The ticket after the action"),
                    **errors(400, 401, 403, 404, 409, 413, 415),
                },
            }
        }
        for action, (summary, schema) in _ACTIONS.items()
    },
    "/v1/calendar/due": {
        "get": {
            "operationId": "calendarDue",
            "summary": "When N working days from a time end (Civil Code counting)",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "from",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "format": "date-time"},
                },
                {
                    "name": "working_days",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 366},
                },
            ],
            "responses": {"200": json_content(ref("Due"), "The deadline"), **errors(400, 401)},
        }
    },
    "/v1/calendar/{year}": {
        "get": {
            "operationId": "getCalendarYear",
            "summary": "A year's holidays and make-up working days, official or provisional",
            "security": [PERSON_TOKEN],
            "parameters": [_YEAR],
            "responses": {"200": json_content(ref("CalendarYear"), "The year"), **errors(400, 401)},
        },
        "put": {
            "operationId": "putCalendarYear",
            "summary": "Load a year's official schedule (admin); open tickets' deadlines are recomputed",
            "security": [PERSON_TOKEN],
            "parameters": [_YEAR],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("CalendarUpload")}},
            },
            "responses": {
                "200": json_content(ref("CalendarYear"), "Loaded; `rescheduled` open tickets moved"),
                **errors(400, 401, 403, 413, 415),
            },
        },
    },
}
