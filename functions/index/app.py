"""The index function's HTTP side: figures of a subject over a period, and rankings, as in API.md.

Figures are read from the counters that the stream side keeps (functions/index/figures.py says which
items a period needs); the index formula, score table and ranking minimum are the province's."""

from __future__ import annotations

from typing import Any

from chalice import Response

from functions.core.domain.directory import DirectoryEntry, SubjectKind
from functions.core.domain.errors import Forbidden, NotFound, ValidationFailed
from functions.core.domain.scopes import may_see
from functions.core.http.api import json_response, query_param
from functions.core.http.app import Access, create_app
from functions.core.http.auth import Caller, caller_from_context, require_person
from functions.index import wiring
from functions.index.figures import ORDERS, figures_view, parse_period, rank

app = create_app("index")


def _person() -> Caller:
    caller = caller_from_context(app.current_request.context)
    require_person(caller)
    return caller


def _entry(kind: str, code: str) -> DirectoryEntry:
    if kind not in {k.value for k in SubjectKind}:
        raise NotFound(
            f"no such kind of subject: figures are kept for {', '.join(k.value for k in SubjectKind)}"
        )
    return wiring.runtime().directory.get(kind, code)


def _check_scope(caller: Caller, entry: DirectoryEntry) -> None:
    if not may_see(caller, tuple(step.key for step in entry.path)):
        raise Forbidden(f"{entry.kind.value} {entry.code} is outside your scope")


@app.route("/v1/indices/{kind}/{code}", methods=["GET"], access=Access.PERSON)
def get_figures(kind: str, code: str) -> Response:
    caller = _person()
    request = app.current_request
    period = parse_period(query_param(request, "from"), query_param(request, "to"))
    entry = _entry(kind, code)
    _check_scope(caller, entry)
    runtime = wiring.runtime()
    counts = runtime.figures.counts(entry.ref.key, period)
    body = figures_view(entry.kind.value, entry.code, period, counts, runtime.settings.province.index)
    body["name"] = entry.name
    return json_response(body)


@app.route("/v1/rankings/{kind}", methods=["GET"], access=Access.PERSON)
def get_ranking(kind: str) -> Response:
    caller = _person()
    request = app.current_request
    period = parse_period(query_param(request, "from"), query_param(request, "to"))
    order = query_param(request, "order") or "index"
    return json_response(ranking(caller, kind, query_param(request, "parent"), period, order))


def ranking(caller: Caller, kind: str, parent_code: str | None, period: Any, order: str) -> dict[str, Any]:
    """The children of `parent_code` (default: the province) of that kind with their figures, ranked:
    GET /v1/rankings and the month's report (report_api.py) answer the same numbers."""
    if order not in ORDERS:
        raise ValidationFailed({"order": f"one of {', '.join(ORDERS)}"})
    if kind not in {k.value for k in SubjectKind}:
        raise NotFound(f"no such kind of subject: {', '.join(k.value for k in SubjectKind)}")
    runtime = wiring.runtime()
    parent, children = runtime.directory.children(kind, parent_code or runtime.settings.province.code)
    assert parent is not None
    _check_scope(caller, parent)
    rule = runtime.settings.province.index
    counts = runtime.figures.counts_many([child.ref.key for child in children], period)
    entries: list[dict[str, Any]] = []
    for child in children:
        figures = figures_view(child.kind.value, child.code, period, counts[child.ref.key], rule)
        entries.append({**figures, "name": child.name})
    start, end = period.as_strings
    return {
        "kind": kind,
        "parent": {"kind": parent.kind.value, "code": parent.code, "name": parent.name},
        "from": start,
        "to": end,
        "order": order,
        "min_ratings": rule.min_ratings_to_rank,
        "entries": rank(entries, order, rule.min_ratings_to_rank),
    }


# The public disclosure, hot words, profiles and early warnings (functions/index/analysis_api.py).
from functions.index import analysis_api  # noqa: E402

analysis_api.register(app)

# The month's report (通报) of a region, as JSON or a spreadsheet (functions/index/report_api.py).
from functions.index import report_api  # noqa: E402

report_api.register(app)
