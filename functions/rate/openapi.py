"""The rate function's part of the OpenAPI document (API.md): ratings, the directory and its jobs.

Patterns, limits and enumerations are the domain's own constants; error responses come from the one
error mapping (functions.core.http.openapi.errors). functions.core.http.openapi assembles the document."""

from __future__ import annotations

from typing import Any

from functions.core.domain import directory, directory_jobs, ratings
from functions.core.domain.channels import Channel
from functions.core.domain.directory import SubjectKind
from functions.core.domain.levels import Satisfaction
from functions.core.domain.regions import REGION_CODE, RegionLevel
from functions.core.http.openapi import (
    CHANNEL_KEY,
    CHANNEL_OR_PERSON,
    PERSON_TOKEN,
    errors,
    json_content,
    pattern,
    ref,
)

SUBJECT_CODE = {"type": "string", "pattern": pattern(directory.CODE)}
REGION = {"type": "string", "pattern": pattern(REGION_CODE), "description": "6, 9 or 12 digits"}
KIND = {"type": "string", "enum": [k.value for k in SubjectKind]}
NULLABLE_STRING = {"type": ["string", "null"]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field that may also be sent as null (the same as leaving it out)."""
    return {**schema, "type": [schema["type"], "null"]}


SCHEMAS: dict[str, Any] = {
    "Subjects": {
        "type": "object",
        "additionalProperties": False,
        "description": "At least a department or a region.",
        "properties": {
            kind.value: REGION if kind is SubjectKind.REGION else SUBJECT_CODE for kind in SubjectKind
        },
    },
    "Rater": {
        "type": "object",
        "additionalProperties": False,
        "description": "Personal data: stored encrypted, shown masked, never logged.",
        "properties": {
            "phone": {"type": "string", "description": "a mainland mobile number"},
            "name": _nullable({"type": "string", "minLength": 1, "maxLength": ratings.MAX_NAME}),
            "kind": {"type": "string", "enum": list(ratings.RATER_KINDS)},
            "id_number": _nullable(
                {
                    "type": "string",
                    "description": "an 18-character resident ID number (person) or unified social credit "
                    "code (enterprise), each with its check character",
                }
            ),
        },
    },
    "RatingRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["channel", "satisfaction", "subjects"],
        "properties": {
            "rating_id": _nullable(
                {
                    "type": "string",
                    "pattern": pattern(ratings.RATING_ID),
                    "description": "The client's idempotency key; the rating's id.",
                }
            ),
            "channel": {"type": "string", "enum": [c.value for c in Channel]},
            "satisfaction": {
                "type": "integer",
                "minimum": min(Satisfaction),
                "maximum": max(Satisfaction),
                "description": ", ".join(f"{int(s)} {s.label}" for s in Satisfaction),
            },
            "subjects": ref("Subjects"),
            "case_no": _nullable({"type": "string", "pattern": pattern(ratings.CASE_NO)}),
            "follow_up": _nullable(
                {
                    "type": "boolean",
                    "description": "追评: a second, marked rating of a case already rated, where the province "
                    "allows it (needs case_no; one per case)",
                }
            ),
            "tags": _nullable(
                {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": ratings.MAX_TAGS,
                    "uniqueItems": True,
                    "description": "among the province's tags for the rating's polarity",
                }
            ),
            "comment": _nullable({"type": "string", "maxLength": ratings.MAX_COMMENT}),
            "sub_scores": _nullable(
                {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
                    "description": "the province's dimensions (二级指标) scored 1..5 for the channel's group "
                    "(on site or online); satisfaction stays the overall level that decides good or bad",
                }
            ),
            "rater": {"oneOf": [ref("Rater"), {"type": "null"}]},
            "rated_at": _nullable(
                {"type": "string", "format": "date-time", "description": "RFC 3339; never in the future"}
            ),
        },
    },
    "RatingAccepted": {
        "type": "object",
        "required": ["rating_id", "good", "ticket_id"],
        "properties": {
            "rating_id": {"type": "string"},
            "good": {"type": "boolean"},
            "ticket_id": {**NULLABLE_STRING, "description": "set for every bad rating"},
        },
    },
    "Rating": {
        "type": "object",
        "required": ["rating_id", "channel", "satisfaction", "good", "valid", "subjects", "rated_at"],
        "properties": {
            "rating_id": {"type": "string"},
            "channel": {"type": "string"},
            "channel_code": {"type": "integer", "description": "GB/T 39046-2020 channel code"},
            "channel_key": {
                **NULLABLE_STRING,
                "description": "the label of the channel key that sent it (admins and reviewers only)",
            },
            "satisfaction": {"type": "integer"},
            "satisfaction_label": {"type": "string"},
            "good": {"type": "boolean"},
            "valid": {"type": "boolean"},
            "subjects": {"type": "object", "additionalProperties": {"type": "string"}},
            "department": NULLABLE_STRING,
            "region": {"type": "string"},
            "case_no": NULLABLE_STRING,
            "follow_up": {"type": "boolean"},
            "kind": {"type": "string", "enum": ["rating", "follow_up", "default"]},
            "replaced_by": {**NULLABLE_STRING, "description": "the later rating that replaces it in figures"},
            "sub_scores": {"type": "object", "additionalProperties": {"type": "integer"}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "comment": {
                **NULLABLE_STRING,
                "description": "phone numbers, ID numbers and credit codes in it are masked",
            },
            "rater": {
                "type": "object",
                "properties": {
                    "kind": NULLABLE_STRING,
                    "named": {"type": "boolean"},
                    "phone": {**NULLABLE_STRING, "description": "masked: 138****0000"},
                },
            },
            "rated_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "ticket_id": NULLABLE_STRING,
            "ticket": {"type": ["object", "null"]},
        },
    },
    "PathStep": {
        "type": "object",
        "required": ["kind", "code", "name"],
        "properties": {"kind": KIND, "code": {"type": "string"}, "name": {"type": "string"}},
    },
    "DirectoryEntry": {
        "type": "object",
        "required": ["kind", "code", "name", "parent", "path"],
        "properties": {
            "kind": KIND,
            "code": {"type": "string"},
            "name": {"type": "string"},
            "parent": NULLABLE_STRING,
            "parent_kind": NULLABLE_STRING,
            "level": {"type": "string", "enum": [level.name.lower() for level in RegionLevel]},
            "national_code": {"type": "string", "description": "the code the national platform knows it by"},
            "path": {
                "type": "array",
                "items": ref("PathStep"),
                "description": "this entry, then its ancestors up to the province, with their current names",
            },
            "job_id": {"type": "string", "description": "202 only: the job moving the entry's descendants"},
        },
    },
    "DirectoryEntryBody": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": directory.MAX_NAME},
            "parent": {
                **_nullable(SUBJECT_CODE),
                "description": "required except for the province itself; its kind must be able to hold this "
                "kind (region → region; department → region; item, window → department; staff → window or "
                "department)",
            },
            "national_code": {
                **_nullable({"type": "string", "pattern": pattern(directory.NATIONAL_CODE)}),
                "description": "items, windows and departments: the code the national platform knows the "
                "entry by (事项编码, 统一社会信用代码); the upward export holds back what lacks one",
            },
        },
    },
    "DirectoryList": {
        "type": "object",
        "required": ["kind", "entries"],
        "properties": {
            "kind": {"type": "string"},
            "parent": {"oneOf": [ref("DirectoryEntry"), {"type": "null"}]},
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "code", "name"],
                    "properties": {
                        "kind": {"type": "string"},
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "parent": NULLABLE_STRING,
                    },
                },
            },
        },
    },
    "ImportResult": {
        "type": "object",
        "required": ["created", "updated", "unchanged", "job_id"],
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "job_id": {
                **NULLABLE_STRING,
                "description": "the job moving descendants of entries the file moved",
            },
        },
    },
    "DirectoryJob": {
        "type": "object",
        "required": ["job_id", "status", "processed"],
        "properties": {
            "job_id": {"type": "string"},
            "kind": {"type": "string"},
            "status": {"type": "string", "enum": ["running", "done"]},
            "roots": {"type": "array", "items": {"type": "object"}},
            "processed": {"type": "integer", "description": "descendants whose paths were rewritten so far"},
            "pending_frames": {"type": "integer"},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "finished_at": NULLABLE_STRING,
        },
    },
}

_KIND_PARAM = {"name": "kind", "in": "path", "required": True, "schema": KIND}
_CODE_PARAM = {"name": "code", "in": "path", "required": True, "schema": SUBJECT_CODE}

PATHS: dict[str, Any] = {
    "/v1/ratings": {
        "post": {
            "operationId": "postRating",
            "summary": "Submit a rating (channels; or a rating device, whose channel and window are its own)",
            "security": [CHANNEL_KEY, {"deviceToken": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("RatingRequest")}},
            },
            "responses": {
                "201": json_content(ref("RatingAccepted"), "Accepted; a bad rating names its ticket"),
                "200": json_content(ref("RatingAccepted"), "A retry with the same rating_id and body"),
                **errors(400, 401, 403, 409, 413, 415, 422, 429),
            },
        }
    },
    "/v1/ratings/{rating_id}": {
        "get": {
            "operationId": "getRating",
            "summary": "Read a rating (people, within their scope); personal data masked",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "rating_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": pattern(ratings.RATING_ID)},
                }
            ],
            "responses": {"200": json_content(ref("Rating"), "The rating"), **errors(400, 401, 403, 404)},
        }
    },
    "/v1/directory/{kind}/{code}": {
        "put": {
            "operationId": "putDirectoryEntry",
            "summary": "Create, rename or move a directory entry (admin). A rename touches no other entry; "
            "a move of an entry with descendants answers 202 and moves them in the background.",
            "security": [PERSON_TOKEN],
            "parameters": [_KIND_PARAM, _CODE_PARAM],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("DirectoryEntryBody")}},
            },
            "responses": {
                "200": json_content(
                    ref("DirectoryEntry"), "Replaced (renamed, or moved without descendants)"
                ),
                "201": json_content(ref("DirectoryEntry"), "Created"),
                "202": {
                    **json_content(
                        ref("DirectoryEntry"), "Moved; its descendants follow in the job `job_id`"
                    ),
                    "headers": {"Location": {"schema": {"type": "string"}, "description": "the job's URL"}},
                },
                **errors(400, 401, 403, 409, 413, 415, 422),
            },
        },
        "get": {
            "operationId": "getDirectoryEntry",
            "summary": "An entry with its full path up to the province",
            "security": CHANNEL_OR_PERSON,
            "parameters": [_KIND_PARAM, _CODE_PARAM],
            "responses": {
                "200": json_content(ref("DirectoryEntry"), "The entry"),
                **errors(400, 401, 404, 422),
            },
        },
    },
    "/v1/directory/{kind}": {
        "get": {
            "operationId": "listDirectory",
            "summary": "Entries of a kind directly under a parent; regions with no parent: the province",
            "security": CHANNEL_OR_PERSON,
            "parameters": [
                _KIND_PARAM,
                {"name": "parent", "in": "query", "required": False, "schema": SUBJECT_CODE},
            ],
            "responses": {"200": json_content(ref("DirectoryList"), "The entries"), **errors(400, 401, 422)},
        }
    },
    "/v1/directory/jobs/{job_id}": {
        "get": {
            "operationId": "getDirectoryJob",
            "summary": "Progress of a directory move's background job (admin)",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "job_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": pattern(directory_jobs.JOB_ID)},
                }
            ],
            "responses": {"200": json_content(ref("DirectoryJob"), "The job"), **errors(400, 401, 403, 404)},
        }
    },
    "/v1/directory/import": {
        "post": {
            "operationId": "importDirectory",
            "summary": "Bulk import (admin): CSV with columns kind,code,name,parent; all rows or none",
            "security": [PERSON_TOKEN],
            "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
            "responses": {
                "200": json_content(ref("ImportResult"), "Counts"),
                **errors(400, 401, 403, 409, 413, 415),
            },
        }
    },
    "/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
        }
    },
}
