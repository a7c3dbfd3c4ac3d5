"""The OpenAPI paths of the public disclosure, hot words, profiles and early warnings (API.md "Public"
and `GET /v1/hotwords`; profiles and warnings are this project's). functions/index/openapi.py adds them
to the index function's part of the document."""

from __future__ import annotations

from typing import Any

from functions.core.domain.directory import SubjectKind
from functions.core.http.openapi import PERSON_TOKEN, errors, json_content, ref
from functions.index.hotwords import Polarity
from functions.index.warnings import PENDING_RULES, RULES

DATE = {"type": "string", "format": "date", "description": "a local date YYYY-MM-DD (Asia/Shanghai)"}
RATE = {"type": ["number", "null"], "description": "0..1; null when undefined (nothing to divide by)"}
_FROM = {"name": "from", "in": "query", "required": False, "schema": DATE, "description": "inclusive"}
_TO = {"name": "to", "in": "query", "required": False, "schema": DATE, "description": "inclusive"}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
_WORDS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["word", "count"],
        "properties": {"word": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
    },
}
_ROW = {
    "type": "object",
    "required": ["kind", "code", "name", "valid", "counts", "good", "bad", "index"],
    "properties": {
        "kind": {"type": "string"},
        "code": {"type": "string"},
        "name": {"type": "string"},
        "valid": {"type": "integer"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "good": {"type": "integer"},
        "bad": {"type": "integer"},
        "index": {"type": ["number", "null"]},
        "good_rate": RATE,
        "bad_rate": RATE,
        "rectification_rate": RATE,
        "on_time_rate": RATE,
        "rank": {"type": ["integer", "null"], "description": "null: too few valid ratings to rank"},
        "ranked": {"type": "boolean"},
    },
}

SCHEMAS: dict[str, Any] = {
    "PublicRow": _ROW,
    "HotWords": _WORDS,
    "PublicSummary": {
        "type": "object",
        "required": ["province", "from", "to", "generated_at", "min_ratings_to_rank", "rows", "hot_words"],
        "properties": {
            "province": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
            "from": {"type": ["string", "null"]},
            "to": {"type": ["string", "null"]},
            "generated_at": {"type": "string", "format": "date-time"},
            "min_ratings_to_rank": {"type": "integer"},
            "rows": {
                "type": "object",
                "properties": {
                    "province": ref("PublicRow"),
                    "cities": {"type": "array", "items": ref("PublicRow")},
                    "departments": {"type": "array", "items": ref("PublicRow")},
                },
            },
            "hot_words": {
                "type": "object",
                "description": "good and bad words of the province and of each city (by code)",
            },
        },
    },
    "Profile": {
        "type": "object",
        "required": ["kind", "code", "name", "tags", "trend", "rank", "peers"],
        "properties": {
            "kind": {"type": "string", "enum": ["window", "staff"]},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "department": {"type": ["object", "null"]},
            "valid": {"type": "integer"},
            "index": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "object"}},
            "trend": {
                "type": "array",
                "items": {"type": "object", "required": ["month", "valid", "index"]},
                "description": "the last twelve months, oldest first",
            },
            "rank": {"type": ["integer", "null"], "description": "among the peers of the same department"},
            "peers": {"type": "integer"},
        },
    },
    "Warnings": {
        "type": "object",
        "required": ["date", "rules", "pending_rules", "departments_checked", "warnings"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "rules": {"type": "array", "items": {"type": "string", "enum": list(RULES)}},
            "pending_rules": {"type": "array", "items": {"type": "string", "enum": list(PENDING_RULES)}},
            "departments_checked": {"type": "integer"},
            "warnings": {
                "type": "array",
                "items": {"type": "object", "required": ["rule", "day", "department"]},
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/v1/public/summary": {
        "get": {
            "operationId": "publicSummary",
            "summary": "The public disclosure: the province, its cities and provincial departments, hot words",
            "security": [],
            "parameters": [_FROM, _TO],
            "responses": {
                "200": json_content(ref("PublicSummary"), "Figures over the period (cacheable)"),
                **errors(400),
            },
        }
    },
    "/public": {
        "get": {
            "operationId": "publicPage",
            "summary": "The disclosure page (HTML, no framework, works offline) that reads the summary",
            "security": [],
            "responses": {
                "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
            },
        }
    },
    "/v1/hotwords/{kind}/{code}": {
        "get": {
            "operationId": "hotWords",
            "summary": "The most frequent words of good or bad comments of a subject over a period",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": [k.value for k in SubjectKind]},
                },
                _CODE,
                {
                    "name": "polarity",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": [p.value for p in Polarity]},
                },
                _FROM,
                _TO,
            ],
            "responses": {
                "200": json_content(ref("HotWords"), "Words, most frequent first"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/profiles/{kind}/{code}": {
        "get": {
            "operationId": "profile",
            "summary": "A window's or staff member's tags, index by month and rank among its department's peers",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["window", "staff"]},
                },
                _CODE,
            ],
            "responses": {
                "200": json_content(ref("Profile"), "The profile"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/warnings": {
        "get": {
            "operationId": "warnings",
            "summary": "Early warnings of the departments directly under a region (default: the caller's scope)",
            "security": [PERSON_TOKEN],
            "parameters": [
                {"name": "region", "in": "query", "required": False, "schema": {"type": "string"}},
                {"name": "date", "in": "query", "required": False, "schema": DATE},
            ],
            "responses": {
                "200": json_content(ref("Warnings"), "Warnings of that day"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
}
