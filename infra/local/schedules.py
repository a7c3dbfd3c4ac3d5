"""The local stack's view of the scheduled jobs (API.md, Schedules): `GET /local/schedules` lists every
"schedule" event source of the topology (the export sender, its reconciliation, SMS releases, early
warnings, ...), and `POST /local/schedules/{name}` runs one now and answers when it has finished, with
what its handler returned. Generic over the topology: a new scheduled job appears here by its entry.

Served by the local gateway only (Access.LOCAL), beside the functions' apps."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from chalice import Response

from functions.core.domain.errors import NotFound
from functions.core.http.api import json_response
from functions.core.http.app import Access, create_app
from infra import topology

NAME = "local-schedules"
app = create_app(NAME)


def scheduled() -> dict[str, topology.EventSource]:
    return {s.function: s for s in topology.EVENT_SOURCES if s.kind == "schedule"}


@app.route("/local/schedules", methods=["GET"], access=Access.LOCAL)
def list_schedules() -> Response:
    return json_response(
        {
            "schedules": [
                {"name": name, "handler": source.handler, "expression": source.source}
                for name, source in sorted(scheduled().items())
            ]
        }
    )


@app.route("/local/schedules/{name}", methods=["POST"], access=Access.LOCAL)
def run_schedule(name: str) -> Response:
    from infra.local.gateway import LambdaContext, default_region

    source = scheduled().get(name)
    if source is None:
        raise NotFound("no scheduled job of that name")
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [],
        "detail": {},
    }
    result = topology.load(source.handler)(event, LambdaContext(name, region=default_region()))
    # What the handler answered, as JSON can carry it (a job's own figures, never personal data).
    return json_response({"name": name, "result": json.loads(json.dumps(result, default=str))})
