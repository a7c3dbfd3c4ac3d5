"""Every Chalice app of the project is made here, so that none can forget the contract.

`create_app` gives an app whose every route answers domain errors in the contract's shape and any
other fault as `500 internal` without detail, logs each request with its correlation id, and records
who may call each route (`Access`), from which the local gateway and the CDK app derive what they
serve and deploy."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from chalice import Chalice, Response

from functions.core.http.api import handles_errors

# Content types are checked by the views' body readers, so that a wrong one gets the contract's error
# shape instead of Chalice's own.
ALL_CONTENT_TYPES = ["*/*"]


class Access(StrEnum):
    """Who may call a route, enforced in front of the function (API Gateway, or the local gateway)."""

    PUBLIC = "public"  # no credentials (the public page and its JSON)
    CHANNEL = "channel"  # a channel's x-api-key
    PERSON = "person"  # a person's bearer token
    CHANNEL_OR_PERSON = "channel_or_person"  # either (directory reads)
    CHANNEL_OR_DEVICE = "channel_or_device"  # a channel key, or a rating device's bearer credential
    DEVICE = "device"  # a rating device's bearer credential only (its own profile)
    LOCAL = "local"  # served by the local stack only, never deployed (/local/sms/*)


class ProjectApp(Chalice):
    def __init__(self, app_name: str) -> None:
        super().__init__(app_name=app_name)
        self.access: dict[tuple[str, str], Access] = {}

    def route(self, path: str, *, access: Access, **kwargs: Any) -> Callable[..., Any]:  # type: ignore[override]
        kwargs.setdefault("content_types", ALL_CONTENT_TYPES)
        methods = kwargs.get("methods", ["GET"])
        register = super().route(path, **kwargs)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            for method in methods:
                self.access[(path, method.upper())] = access
            register(handles_errors(view))
            return view

        return decorator


def create_app(name: str) -> ProjectApp:
    """A Chalice app named `haochaping-<name>` with the project's error mapping and request logging."""
    from functions.core.observability import end_request, start_request

    app = ProjectApp(f"haochaping-{name}")

    @app.middleware("http")
    def request_scope(event: Any, get_response: Any) -> Response:
        start_request(name, event.context)
        try:
            return get_response(event)
        finally:
            end_request()

    return app
