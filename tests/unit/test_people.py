"""Raters' personal data at rest, and who may see what."""

import json

import pytest

from functions.core.domain.errors import Unauthenticated
from functions.core.domain.ratings import RaterInput
from functions.core.domain.scopes import Person, Role, may_see, person
from functions.core.http.auth import Caller
from functions.core.personal_data import RaterProtector

PATHS = (
    "staff#S1",
    "window#W1",
    "department#D1",
    "region#520102000000",
    "region#520100000000",
    "region#520000000000",
)


def test_a_named_rater_is_sealed_hashed_and_masked():
    protector = RaterProtector(b"s" * 32)
    rater = RaterInput(kind="person", phone="13800000000", name="张三", id_number="11010519491231002X")
    protected = protector.protect(rater)
    assert protected.phone_masked == "138****0000"
    assert b"13800000000" not in protected.sealed and "张三".encode() not in protected.sealed
    assert protector.unseal(protected.sealed) == {
        "phone": "13800000000",
        "name": "张三",
        "id_number": "11010519491231002X",
    }
    # The keyed hash matches the same phone across ratings, and depends on the secret.
    assert protected.phone_hash == protector.phone_hash("13800000000")
    assert protected.phone_hash != RaterProtector(b"x" * 32).phone_hash("13800000000")
    assert "13800000000" not in json.dumps(protected.phone_hash)


def test_an_anonymous_rater_stores_nothing_personal():
    assert RaterProtector(b"s" * 32).protect(RaterInput("person", None, None, None)) is None


def test_sealed_data_cannot_be_opened_with_another_secret():
    sealed = RaterProtector(b"s" * 32).protect(RaterInput("person", "13800000000", None, None)).sealed
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        RaterProtector(b"x" * 32).unseal(sealed)


def test_departments_see_their_own_reviewers_their_region_admins_all():
    assert may_see(Caller(role=Role.DEPARTMENT, scope="D1"), PATHS)
    assert not may_see(Caller(role=Role.DEPARTMENT, scope="D2"), PATHS)
    assert may_see(Caller(role=Role.REVIEWER, scope="520100000000"), PATHS)
    assert may_see(Caller(role=Role.REVIEWER, scope="520102000000"), PATHS)
    assert not may_see(Caller(role=Role.REVIEWER, scope="520300000000"), PATHS)
    assert not may_see(Caller(role=Role.REVIEWER, scope="520102016000"), PATHS)  # below the rating's region
    assert may_see(Caller(role=Role.ADMIN), PATHS)
    assert not may_see(Caller(channel_label="key1"), PATHS)


def test_a_person_is_known_by_a_valid_role_and_scope():
    assert person("reviewer", "520100") == Person(Role.REVIEWER, "520100000000")
    assert person("department", "D1", "u1") == Person(Role.DEPARTMENT, "D1", "u1")
    assert person("admin", "anything") == Person(Role.ADMIN, None)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("superuser", "x"),
        ("reviewer", "not-a-region"),
        ("reviewer", None),
        ("department", ""),
        ("department", "D 1"),
    ],
)
def test_an_unknown_role_or_a_wrong_scope_is_no_person(role, scope):
    with pytest.raises(Unauthenticated):
        person(role, scope)
