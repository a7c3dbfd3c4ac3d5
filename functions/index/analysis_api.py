"""The index function's routes for the public disclosure, hot words, profiles and early warnings
(API.md: Public, `GET /v1/hotwords/...`; profiles and warnings are this project's, in the OpenAPI
document). `register(app)` adds them to the index app; each view parses, calls a service and shapes
the answer."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalice import Response

from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import Forbidden, NotFound, ValidationFailed
from functions.core.domain.regions import InvalidRegionCode, normalise_region_code
from functions.core.http.api import json_response, query_param
from functions.core.http.app import Access, ProjectApp
from functions.core.http.auth import Caller, Role, caller_from_context, may_see, require_person
from functions.core.http.headers import asset_response, page_response
from functions.core.runtime import Lazy
from functions.index import analysis_wiring
from functions.index.hotwords import parse_polarity, top_words
from functions.index.profiles import Profiles, parse_profile_kind
from functions.index.public import CACHE_SECONDS, HOT_WORDS_FAMILY, PublicSummary
from functions.index.warnings import PENDING_RULES, RULES, EarlyWarnings

PAGES = Path(__file__).with_name("page")
PAGE = PAGES / "public.html"
# The page's own files, served by the stack (the page's CSP allows no inline script or style).
ASSETS = ("public.js", "public.css")
HOT_WORDS_LIMIT = 50

_summary: Lazy[PublicSummary] = Lazy(
    lambda: PublicSummary(
        analysis_wiring.analysis().figures,
        analysis_wiring.analysis().store,
        analysis_wiring.analysis().settings.province,
    )
)


def summary_service() -> PublicSummary:
    """One per process (it caches answers), rebuilt when another index runtime is installed."""
    service = _summary.get()
    if service.figures is not analysis_wiring.analysis().figures:
        _summary.use(None)
        service = _summary.get()
    return service


@cache
def page_bytes() -> bytes:
    return PAGE.read_bytes()


@cache
def asset_text(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def register(app: ProjectApp) -> None:
    def caller() -> Caller:
        return caller_from_context(app.current_request.context)

    def period() -> Any:
        from functions.index.figures import parse_period

        request = app.current_request
        return parse_period(query_param(request, "from"), query_param(request, "to"))

    def now() -> datetime:
        return datetime.now(ZoneInfo(analysis_wiring.analysis().settings.province.timezone))

    def today() -> date:
        return now().date()

    def entry_in_scope(person: Caller, kind: str, code: str) -> Any:
        entry = analysis_wiring.analysis().directory.get(kind, code)  # 404 unknown, 422 outside
        if not may_see(person, tuple(step.key for step in entry.path)):
            raise Forbidden(f"{entry.kind.value} {entry.code} is outside your scope")
        return entry

    @app.route("/public", methods=["GET"], access=Access.PUBLIC)
    def public_page() -> Response:
        # Framed by nobody, or by the province's own portal where it embeds the page.
        portal = analysis_wiring.analysis().settings.province.portal_origins
        return page_response(page_bytes().decode("utf-8"), frame_ancestors=portal)

    # One route for the page's files (each route is API Gateway resources, and the stack is near 500).
    @app.route("/public/{asset}", methods=["GET"], access=Access.PUBLIC)
    def public_asset(asset: str) -> Response:
        if asset not in ASSETS:
            raise NotFound("no such file of the public page")
        return asset_response(asset, asset_text(asset))

    @app.route("/v1/public/summary", methods=["GET"], access=Access.PUBLIC)
    def public_summary() -> Response:
        body = summary_service().summary(period())
        return json_response(body, headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})

    @app.route("/v1/hotwords/{kind}/{code}", methods=["GET"], access=Access.PERSON)
    def hot_words(kind: str, code: str) -> Response:
        person = caller()
        require_person(person)
        request = app.current_request
        polarity = parse_polarity(query_param(request, "polarity"))
        chosen = period()
        entry = entry_in_scope(person, kind, code)
        fields = analysis_wiring.analysis().figures.counts(entry.ref.key, chosen, HOT_WORDS_FAMILY)
        return json_response(top_words(fields, polarity, HOT_WORDS_LIMIT))

    @app.route("/v1/profiles/{kind}/{code}", methods=["GET"], access=Access.PERSON)
    def profile(kind: str, code: str) -> Response:
        person = caller()
        require_person(person)
        profile_kind = parse_profile_kind(kind)
        entry = entry_in_scope(person, profile_kind.value, code)
        wired = analysis_wiring.analysis()
        profiles = Profiles(wired.figures, wired.store, wired.settings.province)
        return json_response(profiles.profile(entry, today()))

    @app.route("/v1/warnings", methods=["GET"], access=Access.PERSON)
    def warnings() -> Response:
        person = caller()
        require_person(person)
        request = app.current_request
        wired = analysis_wiring.analysis()
        day = _parse_day(query_param(request, "date")) or today()
        service = EarlyWarnings(wired.figures, wired.store, wired.settings.province, wired.tickets)
        raw_region = query_param(request, "region")
        if person.role is Role.DEPARTMENT and raw_region is None:
            departments = [wired.directory.get(SubjectKind.DEPARTMENT.value, person.scope or "")]
            scope = {"department": person.scope}
        else:
            region = (
                _parse_region(raw_region) if raw_region else (person.scope or wired.settings.province.code)
            )
            entry = entry_in_scope(person, SubjectKind.REGION.value, region)
            departments = [
                d
                for d in service.departments_under(entry.code)
                if may_see(person, tuple(s.key for s in d.path))
            ]
            scope = {"region": entry.code}
        return json_response(
            {
                **scope,
                "date": day.isoformat(),
                "rules": list(RULES),
                "pending_rules": list(PENDING_RULES),
                "departments_checked": len(departments),
                # rule 3 looks from now on today, from the day's start on another day
                "warnings": service.evaluate(departments, day, now() if day == today() else None),
            }
        )


def _parse_day(raw: str | None) -> date | None:
    if raw is None:
        return None
    from functions.core.domain.params import parse_date
    from functions.index.figures import END_OF_TIME, EPOCH

    # the rules look back from the day: 0001-01-01 would overflow
    return parse_date(raw, "date", EPOCH, END_OF_TIME)


def _parse_region(raw: str) -> str:
    try:
        return normalise_region_code(raw)
    except InvalidRegionCode:
        raise ValidationFailed({"region": "a region code of 6, 9 or 12 digits"}) from None


_checked_days: set[date] = set()


def scheduled(event: Any, context: Any) -> dict[str, int]:
    """Daily schedule: evaluate every department of the province for yesterday (a whole day; rule 3
    from now: the tickets due by the end of the next working day) and emit the warning counts as
    metrics. A day already checked in this process is not checked again (the local stack fires
    schedules every few seconds)."""
    from datetime import timedelta

    from functions.core.observability import end_request
    from functions.index.warnings import check_province

    wired = analysis_wiring.analysis()
    province = wired.settings.province
    now = datetime.now(ZoneInfo(province.timezone))
    day = now.date() - timedelta(days=1)
    if day in _checked_days:
        return {}
    try:
        totals = check_province(
            EarlyWarnings(wired.figures, wired.store, province, wired.tickets),
            wired.store,
            province.code,
            day,
            now,
        )
        _checked_days.add(day)
        return totals
    finally:
        end_request()
