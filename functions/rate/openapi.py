"""The OpenAPI 3.1 document of the rate function's part of the contract (API.md), served at
GET /v1/openapi.json. Built on request, not at import."""

from __future__ import annotations

from typing import Any

from functions.core.domain.channels import Channel
from functions.core.domain.directory import SubjectKind
from functions.core.domain.ratings import MAX_COMMENT

ERROR_CODES = {
    "400": ("validation", "The request is malformed; `fields` names each bad field and why."),
    "401": ("unauthenticated", "No credential, or a wrong key or token."),
    "403": ("forbidden", "Authenticated, but not allowed (role or scope)."),
    "404": ("not_found", "No such resource."),
    "409": ("conflict", "`conflict` (idempotency key reused with another body) or `case_already_rated`."),
    "413": ("too_large", "The body is over the limit (16 KB for JSON)."),
    "415": ("unsupported_media_type", "The body is not in the content type the endpoint takes."),
    "422": ("unknown_subject", "A subject code the directory does not know, or that contradicts it."),
    "429": ("throttled", "The store is busy: retry after Retry-After seconds with the same rating_id."),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: str) -> dict[str, Any]:
    return {
        status: {
            "description": ERROR_CODES[status][1],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for status in statuses
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SUBJECT_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}$"}
REGION_CODE = {"type": "string", "pattern": "^[0-9]{6}$|^[0-9]{9}$|^[0-9]{12}$"}
KIND = {"type": "string", "enum": [k.value for k in SubjectKind]}
CREDENTIALS = [{"channelKey": []}, {"personToken": []}]


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "Subjects": {
            "type": "object",
            "additionalProperties": False,
            "description": "At least a department or a region. Region codes: 6, 9 or 12 digits.",
            "properties": {
                "region": REGION_CODE,
                "department": SUBJECT_CODE,
                "item": SUBJECT_CODE,
                "window": SUBJECT_CODE,
                "staff": SUBJECT_CODE,
            },
        },
        "Rater": {
            "type": "object",
            "additionalProperties": False,
            "description": "Personal data: stored encrypted, shown masked, never logged.",
            "properties": {
                "phone": {"type": "string", "description": "a mainland mobile number"},
                "name": {"type": "string", "maxLength": 50},
                "kind": {"type": "string", "enum": ["person", "enterprise"]},
                "id_number": {"type": "string", "description": "resident ID or unified social credit code"},
            },
        },
        "RatingRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["channel", "satisfaction", "subjects"],
            "properties": {
                "rating_id": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_-]{8,64}$",
                    "description": "The client's idempotency key; the rating's id.",
                },
                "channel": {"type": "string", "enum": [c.value for c in Channel]},
                "satisfaction": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 5,
                    "description": "5 非常满意, 4 满意, 3 基本满意 (good); 2 不满意, 1 非常不满意 (bad)",
                },
                "subjects": _ref("Subjects"),
                "case_no": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_./-]{0,49}$"},
                "follow_up": {
                    "type": "boolean",
                    "description": "追评: a second, marked rating of a case already rated, where the province "
                    "allows it (needs case_no; one per case)",
                },
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10, "uniqueItems": True},
                "comment": {"type": "string", "maxLength": MAX_COMMENT},
                "rater": _ref("Rater"),
                "rated_at": {"type": "string", "format": "date-time", "description": "never in the future"},
            },
        },
        "RatingAccepted": {
            "type": "object",
            "required": ["rating_id", "good", "ticket_id"],
            "properties": {
                "rating_id": {"type": "string"},
                "good": {"type": "boolean"},
                "ticket_id": {"type": ["string", "null"], "description": "set for every bad rating"},
            },
        },
        "Rating": {
            "type": "object",
            "required": ["rating_id", "channel", "satisfaction", "good", "valid", "subjects", "rated_at"],
            "properties": {
                "rating_id": {"type": "string"},
                "channel": {"type": "string"},
                "channel_code": {"type": "integer", "description": "GB/T 39046-2020 channel code"},
                "satisfaction": {"type": "integer"},
                "satisfaction_label": {"type": "string"},
                "good": {"type": "boolean"},
                "valid": {"type": "boolean"},
                "subjects": {"type": "object", "additionalProperties": {"type": "string"}},
                "department": {"type": ["string", "null"]},
                "region": {"type": "string"},
                "case_no": {"type": ["string", "null"]},
                "follow_up": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "comment": {"type": ["string", "null"]},
                "rater": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": ["string", "null"]},
                        "named": {"type": "boolean"},
                        "phone": {"type": ["string", "null"], "description": "masked: 138****0000"},
                    },
                },
                "rated_at": {"type": "string", "format": "date-time"},
                "received_at": {"type": "string", "format": "date-time"},
                "ticket_id": {"type": ["string", "null"]},
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
                "parent": {"type": ["string", "null"]},
                "parent_kind": {"type": ["string", "null"]},
                "level": {"type": "string", "enum": ["province", "city", "county", "township", "village"]},
                "path": {
                    "type": "array",
                    "items": _ref("PathStep"),
                    "description": "this entry, then its ancestors up to the province",
                },
            },
        },
        "DirectoryEntryBody": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "parent": {"type": "string", "description": "required except for the province itself"},
            },
        },
        "DirectoryList": {
            "type": "object",
            "required": ["kind", "entries"],
            "properties": {
                "kind": {"type": "string"},
                "parent": {"oneOf": [_ref("DirectoryEntry"), {"type": "null"}]},
                "entries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "code", "name"],
                        "properties": {
                            "kind": {"type": "string"},
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "parent": {"type": ["string", "null"]},
                        },
                    },
                },
            },
        },
        "ImportResult": {
            "type": "object",
            "required": ["created", "updated", "unchanged"],
            "properties": {
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "unchanged": {"type": "integer"},
            },
        },
    }
    kind_param = {"name": "kind", "in": "path", "required": True, "schema": KIND}
    code_param = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    paths: dict[str, Any] = {
        "/v1/ratings": {
            "post": {
                "operationId": "postRating",
                "summary": "Submit a rating (channels)",
                "security": [{"channelKey": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("RatingRequest")}},
                },
                "responses": {
                    "201": _json(_ref("RatingAccepted"), "Accepted; a bad rating names its ticket"),
                    "200": _json(_ref("RatingAccepted"), "A retry with the same rating_id and body"),
                    **_errors("400", "401", "403", "409", "413", "415", "422", "429"),
                },
            }
        },
        "/v1/ratings/{rating_id}": {
            "get": {
                "operationId": "getRating",
                "summary": "Read a rating (people, within their scope); the phone is masked",
                "security": [{"personToken": []}],
                "parameters": [
                    {"name": "rating_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json(_ref("Rating"), "The rating"), **_errors("401", "403", "404")},
            }
        },
        "/v1/directory/{kind}/{code}": {
            "put": {
                "operationId": "putDirectoryEntry",
                "summary": "Create or replace a directory entry (admin)",
                "security": [{"personToken": []}],
                "parameters": [kind_param, code_param],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("DirectoryEntryBody")}},
                },
                "responses": {
                    "200": _json(_ref("DirectoryEntry"), "Replaced"),
                    "201": _json(_ref("DirectoryEntry"), "Created"),
                    **_errors("400", "401", "403", "413", "415", "422"),
                },
            },
            "get": {
                "operationId": "getDirectoryEntry",
                "summary": "An entry with its full path up to the province",
                "security": CREDENTIALS,
                "parameters": [kind_param, code_param],
                "responses": {
                    "200": _json(_ref("DirectoryEntry"), "The entry"),
                    **_errors("400", "401", "404"),
                },
            },
        },
        "/v1/directory/{kind}": {
            "get": {
                "operationId": "listDirectory",
                "summary": "Entries of a kind directly under a parent; regions with no parent: the province",
                "security": CREDENTIALS,
                "parameters": [
                    kind_param,
                    {"name": "parent", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _json(_ref("DirectoryList"), "The entries"),
                    **_errors("400", "401", "422"),
                },
            }
        },
        "/v1/directory/import": {
            "post": {
                "operationId": "importDirectory",
                "summary": "Bulk import (admin): CSV with columns kind,code,name,parent; all rows or none",
                "security": [{"personToken": []}],
                "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": _json(_ref("ImportResult"), "Counts"),
                    **_errors("400", "401", "403", "413", "415"),
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
    from functions.sms import openapi as sms_openapi

    schemas.update(sms_openapi.schemas())
    paths.update(sms_openapi.paths(_errors, _json, _ref))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "haochaping: 政务服务“好差评”",
            "version": "1",
            "description": "Ratings of government services. Every error is "
            '{"error": code, "message": text}; validation errors add "fields".',
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "channelKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "personToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": CREDENTIALS,
        "paths": paths,
    }
