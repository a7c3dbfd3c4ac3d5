"""The console's paths in the served OpenAPI document: the page, its bundle and its configuration."""

from __future__ import annotations

from typing import Any

from functions.core.http.openapi import errors, json_content

PATHS: dict[str, Any] = {
    "/console": {
        "get": {
            "operationId": "getConsolePage",
            "summary": "The workbench of departments, reviewers and admins (HTML); it signs in by OpenID "
            "Connect (authorization code with PKCE) and calls this API with the person's token",
            "security": [],
            "responses": {
                "200": {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}},
                **errors(),
            },
        }
    },
    "/console/config": {
        "get": {
            "operationId": "getConsoleConfig",
            "summary": "Where the console signs in (issuer, endpoints, client id) and where evidence goes",
            "security": [],
            "responses": {
                "200": json_content(
                    {
                        "type": "object",
                        "required": ["province", "oidc", "upload_origins", "evidence"],
                        "properties": {
                            "province": {"type": "object"},
                            "oidc": {
                                "type": "object",
                                "required": [
                                    "issuer",
                                    "authorization_endpoint",
                                    "token_endpoint",
                                    "client_id",
                                ],
                            },
                            "upload_origins": {"type": "array", "items": {"type": "string"}},
                            "evidence": {"type": "object"},
                        },
                    },
                    "The console's configuration (nothing secret: a public client with PKCE)",
                ),
                **errors(),
            },
        }
    },
    "/console/assets/{name}": {
        "get": {
            "operationId": "getConsoleAsset",
            "summary": "The console's script (console.js) or style sheet (console.css)",
            "security": [],
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "The file",
                    "content": {
                        "application/javascript": {"schema": {"type": "string"}},
                        "text/css": {"schema": {"type": "string"}},
                    },
                },
                **errors(404),
            },
        }
    },
}
