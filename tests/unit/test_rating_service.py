"""The rating service over in-memory fakes of its ports: the rules of accepting and reading a rating,
without AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.core.domain.errors import (
    CaseAlreadyRated,
    Conflict,
    NotFound,
    UnknownSubject,
    ValidationFailed,
)
from functions.core.domain.scopes import Person, Role
from functions.core.services.ratings import RatingService
from infra.provinces import GUIZHOU
from tests.fakes import MemoryRatings, PlainProtector, demo_directory

NOW = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
BAD = {
    "rating_id": "svc-0001",
    "channel": "hall_pad",
    "satisfaction": 2,
    "subjects": {"department": "D52010201", "window": "W5201020101"},
    "tags": ["服务态度生硬"],  # the demo province requires a bad rating's reason
    "rater": {"phone": "13912345678"},
}


@pytest.fixture
def store() -> MemoryRatings:
    return MemoryRatings()


@pytest.fixture
def service(store: MemoryRatings) -> RatingService:
    return RatingService(demo_directory(), store, PlainProtector(), GUIZHOU, clock=lambda: NOW)


def test_a_bad_rating_is_stored_with_every_subject_it_counts_for_and_names_its_ticket(service, store):
    accepted = service.accept(BAD)

    assert accepted.created and store.ratings["svc-0001"] is accepted.rating
    rating = accepted.rating
    assert not rating.good and rating.ticket_id is not None
    assert {"department#D52010201", "window#W5201020101", "region#520000000000"} <= set(rating.paths)
    assert rating.rater is not None and rating.rater.phone_masked == "139****5678"
    assert rating.received_at == NOW and rating.day == "2026-09-30"


def test_the_same_body_again_is_the_same_rating_and_another_body_a_conflict(service, store):
    first = service.accept(BAD)
    again = service.accept(dict(BAD))

    assert not again.created and again.rating == first.rating
    with pytest.raises(Conflict):
        service.accept({**BAD, "satisfaction": 1})
    assert len(store.ratings) == 1


def test_a_case_is_rated_once(service):
    service.accept({**BAD, "case_no": "GZ-1"})
    with pytest.raises(CaseAlreadyRated):
        service.accept({**BAD, "rating_id": "svc-0002", "case_no": "GZ-1"})


def test_a_rating_without_an_id_gets_one(service):
    accepted = service.accept({k: v for k, v in BAD.items() if k != "rating_id"})
    assert accepted.rating.rating_id.startswith("r") and len(accepted.rating.rating_id) == 27


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"subjects": {"department": "D-NOPE"}}, UnknownSubject),
        (
            {"subjects": {"department": "D52010202", "window": "W5201020101"}},
            UnknownSubject,
        ),  # another's window
        ({"satisfaction": 9}, ValidationFailed),
    ],
)
def test_a_rating_that_contradicts_the_directory_or_the_rules_is_refused_and_not_stored(
    service, store, change, error
):
    with pytest.raises(error):
        service.accept({**BAD, **change})
    assert store.ratings == {}


def test_people_read_ratings_within_their_scope_only(service):
    service.accept(BAD)

    assert service.get("svc-0001", Person(Role.DEPARTMENT, "D52010201")).rating_id == "svc-0001"
    assert service.get("svc-0001", Person(Role.REVIEWER, "520100000000")).rating_id == "svc-0001"
    with pytest.raises(NotFound):
        service.get("svc-0001", Person(Role.DEPARTMENT, "D52010202"))
    with pytest.raises(NotFound):
        service.get("svc-0001", Person(Role.REVIEWER, "520200000000"))
    with pytest.raises(NotFound):
        service.get("svc-9999", Person(Role.ADMIN, None))


@pytest.mark.parametrize(
    ("rated_at", "day"),
    [
        ("2026-09-30T23:59:00+08:00", "2026-09-30"),
        ("2026-10-01T00:01:00+08:00", "2026-10-01"),
        ("2026-09-30T15:59:00Z", "2026-09-30"),  # 23:59 in Beijing
        ("2026-09-30T16:01:00Z", "2026-10-01"),  # 00:01 in Beijing: the next local day
        ("2026-09-30T16:00:00+00:00", "2026-10-01"),  # midnight itself belongs to the new day
    ],
)
def test_a_rating_counts_for_its_local_day_in_asia_shanghai_across_midnight(store, rated_at, day):
    # Given a service whose clock is past the rating's time
    later = datetime(2026, 10, 2, 12, 0, tzinfo=UTC)
    service = RatingService(demo_directory(), store, PlainProtector(), GUIZHOU, clock=lambda: later)

    # When a rating made at `rated_at` arrives
    rating = service.accept({**BAD, "rated_at": rated_at}).rating

    # Then it counts for the local (Asia/Shanghai) day, whatever offset it was sent with
    assert rating.day == day
    assert rating.rated_at.utcoffset().total_seconds() == 8 * 3600
