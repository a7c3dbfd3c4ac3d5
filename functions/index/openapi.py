"""The index function's part of the OpenAPI document (figures and rankings), merged into the one
document the project serves at GET /v1/openapi.json (functions/core/http/openapi.py). The other index
routes (hot words, profiles, warnings, the public page) add their paths here too."""

from __future__ import annotations

from typing import Any

from functions.core.domain.directory import SubjectKind
from functions.core.http.openapi import PERSON_TOKEN, errors, json_content, ref
from functions.index.figures import ORDERS

_DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "null when undefined"}
_COUNT = {"type": "integer"}
_PERIOD_PARAMETERS = [
    {
        "name": "from",
        "in": "query",
        "required": False,
        "schema": _DATE,
        "description": "First local day (Asia/Shanghai), inclusive; default: since the beginning",
    },
    {
        "name": "to",
        "in": "query",
        "required": False,
        "schema": _DATE,
        "description": "Last local day, inclusive, not before `from`; default: up to now",
    },
]
_KIND = {
    "name": "kind",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": [k.value for k in SubjectKind]},
}

SCHEMAS: dict[str, Any] = {
    "Figures": {
        "type": "object",
        "description": "A subject's figures over a period. Counts, good, bad, tags and the rates count valid "
        "ratings only (a rating found invalid on appeal counts in `total` and `invalid`). index = "
        "(initial × prior_weight + Σ scores of valid ratings) / (prior_weight + valid), with the province's "
        "score table.",
        "required": [
            "kind",
            "code",
            "from",
            "to",
            "total",
            "valid",
            "invalid",
            "counts",
            "good",
            "bad",
            "index",
            "good_rate",
            "bad_rate",
            "rectified",
            "rectification_rate",
            "on_time_rate",
            "named_reply_rate",
            "tags",
        ],
        "properties": {
            "kind": {"type": "string"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "from": {"type": ["string", "null"], "format": "date"},
            "to": {"type": ["string", "null"], "format": "date"},
            "total": _COUNT,
            "valid": _COUNT,
            "invalid": _COUNT,
            "counts": {
                "type": "object",
                "description": "valid ratings per satisfaction level 1..5",
                "additionalProperties": _COUNT,
            },
            "good": _COUNT,
            "bad": _COUNT,
            "index": {"type": ["number", "null"]},
            "good_rate": _RATE,
            "bad_rate": _RATE,
            "rectified": _COUNT,
            "rectification_rate": {**_RATE, "description": "rectified valid bad / valid bad"},
            "on_time_rate": {**_RATE, "description": "tickets finished on time / tickets finished"},
            "named_reply_rate": {**_RATE, "description": "named valid bad replied / named valid bad"},
            "tags": {"type": "object", "additionalProperties": _COUNT},
        },
    },
    "Ranking": {
        "type": "object",
        "required": ["kind", "parent", "from", "to", "order", "min_ratings", "entries"],
        "properties": {
            "kind": {"type": "string"},
            "parent": {"type": "object"},
            "from": {"type": ["string", "null"]},
            "to": {"type": ["string", "null"]},
            "order": {"type": "string", "enum": list(ORDERS)},
            "min_ratings": {
                "type": "integer",
                "description": "Fewer valid ratings than this: listed, not ranked (rank null)",
            },
            "entries": {
                "type": "array",
                "description": "Ranked first (equal figures share a rank), then the unranked by code",
                "items": {
                    "allOf": [ref("Figures")],
                    "properties": {"rank": {"type": ["integer", "null"]}},
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/v1/indices/{kind}/{code}": {
        "get": {
            "operationId": "getFigures",
            "summary": "A subject's figures over a period (a department sees its own subtree, a reviewer "
            "its region's, an admin all)",
            "security": [PERSON_TOKEN],
            "parameters": [
                _KIND,
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                *_PERIOD_PARAMETERS,
            ],
            "responses": {
                "200": json_content(ref("Figures"), "The figures"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/rankings/{kind}": {
        "get": {
            "operationId": "getRanking",
            "summary": "The direct children of that kind of a region or department, ranked",
            "security": [PERSON_TOKEN],
            "parameters": [
                _KIND,
                {
                    "name": "parent",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "A region or department code; default: the province",
                },
                *_PERIOD_PARAMETERS,
                {
                    "name": "order",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(ORDERS), "default": "index"},
                },
            ],
            "responses": {
                "200": json_content(ref("Ranking"), "The ranking"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
}

# The public disclosure, hot words, profiles and early warnings (functions/index/analysis_api.py).
_SUBJECT_PATH = [_KIND, {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
PATHS.update(
    {
        "/v1/hotwords/{kind}/{code}": {
            "get": {
                "operationId": "getHotWords",
                "summary": "The most frequent meaningful words of a subject's good or bad comments over a period",
                "security": [PERSON_TOKEN],
                "parameters": [
                    *_SUBJECT_PATH,
                    *_PERIOD_PARAMETERS,
                    {
                        "name": "polarity",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["good", "bad"]},
                    },
                ],
                "responses": {
                    "200": json_content(
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["word", "count"],
                                "properties": {"word": {"type": "string"}, "count": {"type": "integer"}},
                            },
                        },
                        "Words, most frequent first",
                    ),
                    **errors(400, 401, 403, 404, 422),
                },
            }
        },
        "/v1/profiles/{kind}/{code}": {
            "get": {
                "operationId": "getProfile",
                "summary": "A window's or staff member's profile: the tags and trend that describe them",
                "security": [PERSON_TOKEN],
                "parameters": _SUBJECT_PATH,
                "responses": {
                    "200": json_content({"type": "object"}, "The profile"),
                    **errors(400, 401, 403, 404, 422),
                },
            }
        },
        "/v1/warnings": {
            "get": {
                "operationId": "getWarnings",
                "summary": "Early warnings of the departments in the caller's scope (or under `region`)",
                "security": [PERSON_TOKEN],
                "parameters": [
                    {"name": "region", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "date", "in": "query", "required": False, "schema": _DATE},
                ],
                "responses": {
                    "200": json_content({"type": "object"}, "The warnings"),
                    **errors(400, 401, 403, 404, 422),
                },
            }
        },
        "/v1/public/summary": {
            "get": {
                "operationId": "getPublicSummary",
                "summary": "The disclosure figures (province, cities, departments, hot words); no personal data",
                "security": [],
                "parameters": _PERIOD_PARAMETERS,
                "responses": {
                    "200": json_content({"type": "object"}, "The summary"),
                    **errors(400),
                },
            }
        },
        "/public": {
            "get": {
                "operationId": "getPublicPage",
                "summary": "The public disclosure page that reads the summary",
                "security": [],
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }
)
