"""GET /v1/reports/{region}?from=&to=&format=json|xlsx: the month's report (通报) of a region — its
figures and the rankings of its departments and sub-regions — for people whose scope covers it. The
numbers are those of GET /v1/indices and GET /v1/rankings (the same functions make them)."""

from __future__ import annotations

from typing import Any

from chalice import Response

from functions.core.domain.errors import ValidationFailed
from functions.core.http.api import json_response, query_param
from functions.core.http.app import Access, ProjectApp
from functions.index.report import XLSX, to_xlsx

FORMATS = ("json", "xlsx")


def register(app: ProjectApp) -> None:
    from functions.index import app as index_app

    if XLSX not in app.api.binary_types:
        app.api.binary_types.append(XLSX)

    @app.route("/v1/reports/{region}", methods=["GET"], access=Access.PERSON)
    def region_report(region: str) -> Response:
        from functions.index.figures import figures_view, parse_period

        caller = index_app._person()
        request = app.current_request
        chosen = query_param(request, "format") or "json"
        if chosen not in FORMATS:
            raise ValidationFailed({"format": "json or xlsx"})
        period = parse_period(query_param(request, "from"), query_param(request, "to"))
        entry = index_app._entry("region", region)
        index_app._check_scope(caller, entry)
        runtime = index_app.wiring.runtime()
        counts = runtime.figures.counts(entry.ref.key, period)
        figures = figures_view("region", entry.code, period, counts, runtime.settings.province.index)
        rankings = {
            kind: index_app.ranking(caller, kind, entry.code, period, "index")
            for kind in ("department", "region")
        }
        start, end = period.as_strings
        report: dict[str, Any] = {
            "region": {"code": entry.code, "name": entry.name},
            "from": start,
            "to": end,
            "figures": figures,
            "min_ratings": rankings["department"]["min_ratings"],
            "rankings": rankings,
        }
        if chosen == "json":
            return json_response(report)
        name = f"report-{entry.code}-{start or 'all'}-{end or 'now'}.xlsx"
        return Response(
            body=to_xlsx(report),
            status_code=200,
            headers={
                "Content-Type": XLSX,
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
