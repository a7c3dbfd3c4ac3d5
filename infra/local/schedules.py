"""The local stack's schedules (API.md, "Schedules (local stack)"): `GET /local/schedules` lists the
scheduled jobs, the topology's `schedule` event sources, and `POST /local/schedules/{name}` runs one
now and answers when it has finished, with what its handler returned.

Generic over the topology: a schedule joins by its entry in infra/topology.py (default ratings,
invitations released after quiet hours, early warnings, the export's sender …), nothing here names
one. Locally the pollers also run each schedule every LOCAL_SCHEDULE_SECONDS; a run asked for here is
one more invocation, as EventBridge may deliver one twice: every scheduled handler is idempotent."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalice import Response

from functions.core.domain.errors import NotFound
from functions.core.http.api import json_response
from functions.core.http.app import Access, ProjectApp, create_app
from infra.local.pollers import run_scheduled
from infra.topology import EventSource, load


def schedules_app(
    sources: Iterable[EventSource], handlers: Mapping[str, Callable[[dict, Any], Any]] | None = None
) -> ProjectApp:
    """`handlers` maps a handler reference to a callable standing in for it (as the pollers take)."""
    scheduled = {source.function: source for source in sources if source.kind == "schedule"}
    stand_ins = dict(handlers or {})
    app = create_app("local-schedules")

    @app.route("/local/schedules", methods=["GET"], access=Access.LOCAL)
    def list_schedules() -> Response:
        return json_response(
            {
                "schedules": [
                    {"name": name, "schedule": source.source, "handler": source.handler}
                    for name, source in sorted(scheduled.items())
                ]
            }
        )

    @app.route("/local/schedules/{name}", methods=["POST"], access=Access.LOCAL)
    def run_schedule(name: str) -> Response:
        source = scheduled.get(name)
        if source is None:
            raise NotFound(f"no schedule named {name!r}; GET /local/schedules lists them")
        handler = stand_ins.get(source.handler) or load(source.handler)
        result = run_scheduled(handler, source.function)
        # What a handler returns is a summary (counts); anything not JSON is shown as text.
        return json_response({"name": name, "result": json.loads(json.dumps(result, default=str))})

    return app
