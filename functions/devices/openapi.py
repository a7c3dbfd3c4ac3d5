"""The devices function's part of the OpenAPI document: rating devices, QR codes and signed links, and
the rating screens (API.md "Devices and QR codes")."""

from __future__ import annotations

from typing import Any

from functions.core.domain import directory, ratings
from functions.core.domain.devices import PAIRING_CODE_LENGTH
from functions.core.http.openapi import CHANNEL_OR_PERSON, PERSON_TOKEN, errors, json_content, pattern, ref

DEVICE_TOKEN = {"deviceToken": []}
_CODE = {"type": "string", "pattern": pattern(directory.CODE)}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "DeviceEnrolment": {
        "type": "object",
        "required": ["window", "channel"],
        "additionalProperties": False,
        "properties": {
            "window": _CODE,
            "channel": {"type": "string", "enum": ["hall_pad", "hall_terminal"]},
            "name": {"type": "string", "minLength": 1, "maxLength": 60},
        },
    },
    "DeviceEnrolled": {
        "type": "object",
        "required": ["device_id", "pairing_code", "expires_at"],
        "properties": {
            "device_id": {"type": "string"},
            "pairing_code": {
                "type": "string",
                "description": f"{PAIRING_CODE_LENGTH} characters, pairs once",
            },
            "expires_at": _TIME,
        },
    },
    "Pairing": {
        "type": "object",
        "required": ["pairing_code"],
        "additionalProperties": False,
        "properties": {"pairing_code": {"type": "string"}},
    },
    "Paired": {
        "type": "object",
        "required": ["device_id", "device_token", "window"],
        "properties": {
            "device_id": {"type": "string"},
            "device_token": {"type": "string", "description": "Authorization: Bearer <device_token>"},
            "window": {"type": "string"},
        },
    },
    "Device": {
        "type": "object",
        "required": ["device_id", "window", "department", "channel", "name", "status"],
        "properties": {
            "device_id": {"type": "string"},
            "window": {"type": "string"},
            "department": {"type": "string"},
            "channel": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "active", "revoked"]},
            "staff": _NULLABLE_TEXT,
            "staff_title": _NULLABLE_TEXT,
            "created_at": _TIME,
            "paired_at": _NULLABLE_TEXT,
            "revoked_at": _NULLABLE_TEXT,
        },
    },
    "Devices": {
        "type": "object",
        "required": ["devices"],
        "properties": {"devices": {"type": "array", "items": ref("Device")}},
    },
    "StaffAtWindow": {
        "type": "object",
        "required": ["staff"],
        "additionalProperties": False,
        "properties": {
            "staff": {"type": ["string", "null"], "pattern": pattern(directory.CODE)},
            "title": {"type": "string", "minLength": 1, "maxLength": 30, "description": "job title shown"},
        },
    },
    "DeviceProfile": {
        "type": "object",
        "description": "What the device's screen shows: window, department, staff, levels, tags, idle time",
        "required": ["device_id", "channel", "window", "department", "levels", "tags", "idle_seconds"],
    },
    "RatingLink": {
        "type": "object",
        "required": ["url", "expires_at"],
        "properties": {"url": {"type": "string"}, "expires_at": _NULLABLE_TEXT},
    },
    "QrRating": {
        "type": "object",
        "required": ["t", "satisfaction"],
        "additionalProperties": False,
        "properties": {
            "t": {"type": "string", "description": "the signed token of the link"},
            "rating_id": {"type": "string", "pattern": pattern(ratings.RATING_ID)},
            "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "items": {"type": "string"}},
            "comment": {"type": "string", "maxLength": ratings.MAX_COMMENT},
            "phone": {"type": "string"},
            "sub_scores": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
}

_DEVICE_ID = {"name": "device_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _page(summary: str, content_type: str, operation: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation,
            "summary": summary,
            "security": [],
            "responses": {"200": {"description": summary, "content": {content_type: {}}}, **errors()},
        }
    }


PATHS: dict[str, Any] = {
    "/v1/devices": {
        "post": {
            "operationId": "enrolDevice",
            "summary": "Enrol a window tablet or kiosk (admin, or the window's department): its pairing code",
            "security": [PERSON_TOKEN],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("DeviceEnrolment")}},
            },
            "responses": {
                "201": json_content(ref("DeviceEnrolled"), "Enrolled"),
                **errors(400, 401, 403, 413, 415, 422),
            },
        },
        "get": {
            "operationId": "listDevices",
            "summary": "A department's devices (people in scope)",
            "security": [PERSON_TOKEN],
            "parameters": [{"name": "department", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": json_content(ref("Devices"), "The devices"), **errors(400, 401, 403)},
        },
    },
    "/v1/devices/pair": {
        "post": {
            "operationId": "pairDevice",
            "summary": "Pair a device with its code (once): its credential",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Pairing")}}},
            "responses": {"200": json_content(ref("Paired"), "Paired"), **errors(400, 413, 415)},
        }
    },
    "/v1/devices/me": {
        "get": {
            "operationId": "deviceProfile",
            "summary": "The calling device's profile (what its screen shows)",
            "security": [DEVICE_TOKEN],
            "responses": {"200": json_content(ref("DeviceProfile"), "The profile"), **errors(401, 403)},
        }
    },
    "/v1/devices/{device_id}/staff": {
        "put": {
            "operationId": "setDeviceStaff",
            "summary": "Who serves at the device's window (or null)",
            "security": [PERSON_TOKEN],
            "parameters": [_DEVICE_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("StaffAtWindow")}},
            },
            "responses": {
                "200": json_content(ref("Device"), "Set"),
                **errors(400, 401, 403, 404, 413, 415, 422),
            },
        }
    },
    "/v1/devices/{device_id}": {
        "delete": {
            "operationId": "revokeDevice",
            "summary": "Revoke a device: its credential is refused from its next request on",
            "security": [PERSON_TOKEN],
            "parameters": [_DEVICE_ID],
            "responses": {"204": {"description": "Revoked"}, **errors(401, 403, 404)},
        }
    },
    "/v1/qrcodes/{kind}/{code}": {
        "get": {
            "operationId": "qrCode",
            "summary": "A window's or case's QR code (people in scope; the case system's key for a case)",
            "security": CHANNEL_OR_PERSON,
            "parameters": [
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["window", "case"]},
                },
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["svg", "png", "json"]},
                },
                {
                    "name": "channel",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["qrcode", "pc", "mobile"]},
                },
            ],
            "responses": {
                "200": {
                    "description": "The image, or the link for json",
                    "content": {
                        "image/svg+xml": {},
                        "image/png": {},
                        "application/json": {"schema": ref("RatingLink")},
                    },
                },
                **errors(400, 401, 403, 404),
            },
        }
    },
    "/v1/qr-ratings": {
        "post": {
            "operationId": "postQrRating",
            "summary": "A rating from a QR code's or signed link's form",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("QrRating")}}},
            "responses": {
                "201": json_content(ref("RatingAccepted"), "Stored"),
                "200": json_content(ref("RatingAccepted"), "The same rating again"),
                **errors(400, 409, 413, 415, 422, 429),
            },
        }
    },
    "/rate": {
        "get": {
            "operationId": "ratePage",
            "summary": "The phone's rating form for a signed link (HTML); a bad link is 400 invalid_link "
            "(a refusal page in Chinese for a browser asking for text/html)",
            "security": [],
            "parameters": [{"name": "t", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The form", "content": {"text/html": {}}}, **errors(400)},
        }
    },
    "/terminal": _page("The window tablet's and kiosk's rating screen (HTML)", "text/html", "terminalPage"),
    "/terminal/app.js": _page("The terminal's script", "text/javascript", "terminalScript"),
    "/terminal/screen.js": _page(
        "The rating form's script (terminal and phone)", "text/javascript", "screenScript"
    ),
    "/terminal/style.css": _page("The rating screens' stylesheet", "text/css", "screenStyle"),
    "/terminal/sw.js": _page("The terminal's service worker", "text/javascript", "terminalWorker"),
    "/terminal/manifest.webmanifest": _page(
        "The terminal's web app manifest", "application/manifest+json", "terminalManifest"
    ),
    "/rate/app.js": _page("The phone form's script", "text/javascript", "rateScript"),
}
