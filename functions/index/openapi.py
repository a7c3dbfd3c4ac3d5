"""The index function's part of the OpenAPI document (API.md "Indices" and "Public"; profiles and early
warnings are this project's): figures, rankings, hot words, profiles, warnings, the public summary and
the public page.

Enumerations, patterns and field lists are the index code's own constants (figures.ORDERS, Polarity,
PROFILE_KINDS, warnings.RULES, public.ROW_FIELDS ...); error responses come from the one error mapping.
functions.core.http.openapi assembles the document."""

from __future__ import annotations

from typing import Any

from functions.core.domain import directory
from functions.core.domain.directory import SubjectKind
from functions.core.domain.regions import REGION_CODE
from functions.core.http.openapi import PERSON_TOKEN, errors, json_content, pattern, ref
from functions.index.analysis_api import HOT_WORDS_LIMIT
from functions.index.contribution import LEVELS
from functions.index.figures import DATE, END_OF_TIME, EPOCH, ORDERS
from functions.index.hotwords import Polarity
from functions.index.profiles import PROFILE_KINDS, TREND_MONTHS
from functions.index.public import CACHE_SECONDS, CITY_WORDS, PUBLIC_WORDS, ROW_FIELDS
from functions.index.warnings import PENDING_RULES, RULES

INTEGER = {"type": "integer", "minimum": 0}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "null when undefined"}
INDEX = {"type": ["number", "null"], "description": "the province's index formula; null without ratings"}
DAY = {"type": "string", "format": "date", "pattern": pattern(DATE)}
DAY_OR_NULL = {"type": ["string", "null"], "format": "date"}
SUBJECT_CODE = {
    "type": "string",
    "pattern": pattern(directory.CODE),
    "description": "a subject's code; a region's is 6, 9 or 12 digits",
}
NAMED = {
    "type": "object",
    "required": ["code", "name"],
    "properties": {
        "kind": {"type": "string", "enum": [k.value for k in SubjectKind]},
        "code": {"type": "string"},
        "name": {"type": "string"},
    },
}

# Every field of functions.index.figures.figures_view, by name.
FIGURE_FIELDS: dict[str, Any] = {
    "kind": {"type": "string", "enum": [k.value for k in SubjectKind]},
    "code": {"type": "string"},
    "from": DAY_OR_NULL,
    "to": DAY_OR_NULL,
    "total": INTEGER,
    "valid": INTEGER,
    "invalid": INTEGER,
    "counts": {
        "type": "object",
        "description": "valid ratings by satisfaction level",
        "required": [str(level) for level in LEVELS],
        "properties": {str(level): INTEGER for level in LEVELS},
    },
    "good": INTEGER,
    "bad": INTEGER,
    "index": INDEX,
    "good_rate": RATE,
    "bad_rate": RATE,
    "rectified": INTEGER,
    "rectification_rate": RATE,
    "on_time_rate": RATE,
    "named_reply_rate": RATE,
    "completed_cases": INTEGER,
    "rated_cases": INTEGER,
    "active_rating_rate": RATE,
    "tags": {"type": "object", "additionalProperties": INTEGER, "description": "ticks per tag"},
    "defaults": {**INTEGER, "description": "default ratings (系统默认评价), counted at their level or not"},
    "sub_scores": {
        "type": "object",
        "description": "per dimension of the province (二级指标): the valid ratings' scores and their mean",
        "additionalProperties": {
            "type": "object",
            "required": ["mean", "counts"],
            "properties": {
                "mean": {"type": ["number", "null"]},
                "counts": {"type": "object", "properties": {str(level): INTEGER for level in LEVELS}},
            },
        },
    },
}
RANK = {"type": ["integer", "null"], "minimum": 1, "description": "null: too few valid ratings to rank"}
WORD = {
    "type": "object",
    "required": ["word", "count"],
    "properties": {"word": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
}
PUBLIC_ROW = {
    "type": "object",
    "required": ["kind", "code", "name", *ROW_FIELDS],
    "properties": {
        "kind": FIGURE_FIELDS["kind"],
        "code": {"type": "string"},
        "name": {"type": "string"},
        **{name: FIGURE_FIELDS[name] for name in ROW_FIELDS},
        "rank": RANK,
        "ranked": {"type": "boolean"},
    },
}


def _words_by_polarity(limit: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [p.value for p in Polarity],
        "properties": {p.value: {"type": "array", "maxItems": limit, "items": WORD} for p in Polarity},
    }


SCHEMAS: dict[str, Any] = {
    "Figures": {
        "type": "object",
        "required": [*FIGURE_FIELDS, "name"],
        "properties": {**FIGURE_FIELDS, "name": {"type": "string"}},
    },
    "Ranking": {
        "type": "object",
        "required": ["kind", "parent", "from", "to", "order", "min_ratings", "entries"],
        "properties": {
            "kind": FIGURE_FIELDS["kind"],
            "parent": NAMED,
            "from": DAY_OR_NULL,
            "to": DAY_OR_NULL,
            "order": {"type": "string", "enum": list(ORDERS)},
            "min_ratings": INTEGER,
            "entries": {
                "type": "array",
                "description": "ranked first; then, by code, those that cannot be ranked (rank null)",
                "items": {
                    "type": "object",
                    "required": [*FIGURE_FIELDS, "name", "rank"],
                    "properties": {**FIGURE_FIELDS, "name": {"type": "string"}, "rank": RANK},
                },
            },
        },
    },
    "HotWords": {
        "type": "array",
        "maxItems": HOT_WORDS_LIMIT,
        "description": "most frequent first, ties by the word",
        "items": WORD,
    },
    "Profile": {
        "type": "object",
        "required": [
            "kind",
            "code",
            "name",
            "department",
            "valid",
            "index",
            "tags",
            "trend",
            "rank",
            "peers",
            "ranked_peers",
            "min_ratings_to_rank",
        ],
        "properties": {
            "kind": {"type": "string", "enum": [k.value for k in PROFILE_KINDS]},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "department": {"oneOf": [NAMED, {"type": "null"}]},
            "valid": INTEGER,
            "index": INDEX,
            "good_rate": RATE,
            "bad_rate": RATE,
            "tags": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["tag", "count", "polarity"],
                    "properties": {
                        "tag": {"type": "string"},
                        "count": INTEGER,
                        "polarity": {"type": "string", "enum": [p.value for p in Polarity]},
                    },
                },
            },
            "trend": {
                "type": "array",
                "minItems": TREND_MONTHS,
                "maxItems": TREND_MONTHS,
                "description": "the index month by month, oldest first, up to this month",
                "items": {
                    "type": "object",
                    "required": ["month", "valid", "index"],
                    "properties": {"month": {"type": "string"}, "valid": INTEGER, "index": INDEX},
                },
            },
            "rank": {**RANK, "description": "among the peers of the same department (all time)"},
            "peers": INTEGER,
            "ranked_peers": INTEGER,
            "min_ratings_to_rank": INTEGER,
        },
    },
    "Warnings": {
        "type": "object",
        "required": ["date", "rules", "pending_rules", "departments_checked", "warnings"],
        "properties": {
            "region": {"type": "string", "description": "the region whose departments were checked"},
            "department": {"type": "string", "description": "a department's own check"},
            "date": {"type": "string", "format": "date"},
            "rules": {"type": "array", "items": {"type": "string", "enum": list(RULES)}},
            "pending_rules": {
                "type": "array",
                "description": "rules not checked yet",
                "items": {"type": "string", "enum": list(PENDING_RULES)}
                if PENDING_RULES
                else {"type": "string"},
                **({} if PENDING_RULES else {"maxItems": 0}),
            },
            "departments_checked": INTEGER,
            "warnings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["rule", "day", "department"],
                    "properties": {
                        "rule": {"type": "string", "enum": list(RULES)},
                        "day": {"type": "string", "format": "date"},
                        "department": NAMED,
                        "ticket_id": {"type": "string", "description": "ticket_due: the ticket"},
                        "stage": {"type": "string", "description": "ticket_due: the stage awaited"},
                        "due": {"type": "string", "format": "date-time", "description": "ticket_due"},
                        "overdue": {"type": "boolean", "description": "ticket_due: past its deadline"},
                        "horizon": {
                            "type": "string",
                            "format": "date-time",
                            "description": "ticket_due: the end of the next working day",
                        },
                    },
                    "description": "and the figures the rule compared (ticket_due: one per ticket due by "
                    "the end of the next working day, or overdue)",
                },
            },
        },
    },
    "PublicSummary": {
        "type": "object",
        "description": f"No personal data. Cacheable for {CACHE_SECONDS} s.",
        "required": ["province", "from", "to", "generated_at", "min_ratings_to_rank", "rows", "hot_words"],
        "properties": {
            "province": NAMED,
            "from": DAY_OR_NULL,
            "to": DAY_OR_NULL,
            "generated_at": {"type": "string", "format": "date-time"},
            "min_ratings_to_rank": INTEGER,
            "rows": {
                "type": "object",
                "required": ["province", "cities", "departments"],
                "properties": {
                    "province": PUBLIC_ROW,
                    "cities": {"type": "array", "items": PUBLIC_ROW},
                    "departments": {"type": "array", "items": PUBLIC_ROW},
                },
            },
            "hot_words": {
                "type": "object",
                "required": ["province", "cities"],
                "properties": {
                    "province": _words_by_polarity(PUBLIC_WORDS),
                    "cities": {"type": "object", "additionalProperties": _words_by_polarity(CITY_WORDS)},
                },
            },
        },
    },
}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


PERIOD = [
    _query("from", DAY, "first local day, inclusive; default: all time"),
    _query("to", DAY, "last local day, inclusive; default: up to today"),
]
KIND = _path("kind", {"type": "string", "enum": [k.value for k in SubjectKind]})
CODE = _path("code", SUBJECT_CODE)

PATHS: dict[str, Any] = {
    "/v1/indices/{kind}/{code}": {
        "get": {
            "operationId": "getFigures",
            "summary": "A subject's figures over a period (people in scope)",
            "security": [PERSON_TOKEN],
            "parameters": [KIND, CODE, *PERIOD],
            "responses": {
                "200": json_content(ref("Figures"), "The figures"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/rankings/{kind}": {
        "get": {
            "operationId": "getRanking",
            "summary": "The children of a kind under a parent, with their figures, ranked",
            "security": [PERSON_TOKEN],
            "parameters": [
                KIND,
                _query("parent", SUBJECT_CODE, "the parent whose children are ranked; default the province"),
                *PERIOD,
                _query("order", {"type": "string", "enum": list(ORDERS)}, f"default {ORDERS[0]}"),
            ],
            "responses": {
                "200": json_content(ref("Ranking"), "The ranking"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/reports/{region}": {
        "get": {
            "operationId": "getRegionReport",
            "summary": "The month's report (通报) of a region over a period: its figures and the rankings "
            "(by index) of its departments and sub-regions, the numbers of /v1/indices and /v1/rankings; "
            "format=xlsx gives the same as a spreadsheet",
            "security": [PERSON_TOKEN],
            "parameters": [
                {
                    "name": "region",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{6}([0-9]{3}){0,2}$"},
                },
                *PERIOD,
                _query("format", {"type": "string", "enum": ["json", "xlsx"]}, "default json"),
            ],
            "responses": {
                "200": {
                    "description": "The report",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/hotwords/{kind}/{code}": {
        "get": {
            "operationId": "getHotWords",
            "summary": "The most frequent words of a subject's good or bad comments over a period",
            "security": [PERSON_TOKEN],
            "parameters": [
                KIND,
                CODE,
                _query("polarity", {"type": "string", "enum": [p.value for p in Polarity]}, "", True),
                *PERIOD,
            ],
            "responses": {
                "200": json_content(ref("HotWords"), "The words"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/profiles/{kind}/{code}": {
        "get": {
            "operationId": "getProfile",
            "summary": "A window's or staff member's profile (画像): tags, trend, rank among peers",
            "security": [PERSON_TOKEN],
            "parameters": [_path("kind", {"type": "string", "enum": [k.value for k in PROFILE_KINDS]}), CODE],
            "responses": {
                "200": json_content(ref("Profile"), "The profile"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/warnings": {
        "get": {
            "operationId": "getWarnings",
            "summary": "Early warnings (预警) of the departments directly under a region on a day",
            "security": [PERSON_TOKEN],
            "parameters": [
                _query(
                    "region",
                    {"type": "string", "pattern": pattern(REGION_CODE)},
                    "default: a department's own; a reviewer's region; the province",
                ),
                _query(
                    "date",
                    DAY,
                    f"from {EPOCH} to {END_OF_TIME}; default: today (local)",
                ),
            ],
            "responses": {
                "200": json_content(ref("Warnings"), "The warnings found"),
                **errors(400, 401, 403, 404, 422),
            },
        }
    },
    "/v1/public/summary": {
        "get": {
            "operationId": "getPublicSummary",
            "summary": "The public disclosure (公示): figures of the province, its cities and departments, "
            "and hot words",
            "security": [],
            "parameters": PERIOD,
            "responses": {
                "200": json_content(ref("PublicSummary"), "The disclosure"),
                **errors(400),
            },
        }
    },
    "/public": {
        "get": {
            "operationId": "getPublicPage",
            "summary": "The public disclosure page, which reads /v1/public/summary",
            "security": [],
            "responses": {
                "200": {
                    "description": "The page",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                **errors(),
            },
        }
    },
}
