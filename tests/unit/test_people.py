"""Raters' personal data at rest, and who may see what."""

import base64
import json

import pytest

from functions.core.domain.errors import Unauthenticated
from functions.core.domain.ratings import RaterInput
from functions.core.http.auth import Caller, Role, authenticate, issue_token, may_see
from functions.core.personal_data import RaterProtector
from functions.core.settings import Settings
from infra.provinces import GUIZHOU

SETTINGS = Settings.from_env(
    {
        "PROVINCE_CONFIG": GUIZHOU.to_json(),
        "TOKEN_SECRET": base64.b64encode(b"t" * 32).decode(),
        "PERSONAL_DATA_SECRET": base64.b64encode(b"p" * 32).decode(),
        "LOCAL_API_KEYS": "key-one,key-two",
    }
)
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


def test_channel_keys_and_tokens_authenticate():
    assert authenticate({"X-Api-Key": "key-two"}, SETTINGS).is_channel
    token = issue_token(SETTINGS, "department", "D1")
    caller = authenticate({"Authorization": f"Bearer {token}"}, SETTINGS)
    assert caller.role is Role.DEPARTMENT and caller.scope == "D1"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-api-key": "nope"},
        {"authorization": "Basic abc"},
        {"authorization": "Bearer not.a.jwt"},
        {"authorization": "Bearer " + issue_token(SETTINGS, "admin", None, hours=-1)},
        {"authorization": "Bearer " + issue_token(SETTINGS, "superuser", "x")},
        {"authorization": "Bearer " + issue_token(SETTINGS, "reviewer", "not-a-region")},
    ],
)
def test_missing_or_wrong_credentials_are_unauthenticated(headers):
    with pytest.raises(Unauthenticated):
        authenticate(headers, SETTINGS)


def test_a_token_signed_with_another_key_is_refused():
    other = Settings(**{**SETTINGS.__dict__, "token_secret": b"o" * 32})
    with pytest.raises(Unauthenticated):
        authenticate({"authorization": "Bearer " + issue_token(other, "admin", None)}, SETTINGS)


def test_departments_see_their_own_reviewers_their_region_admins_all():
    assert may_see(Caller(role=Role.DEPARTMENT, scope="D1"), PATHS)
    assert not may_see(Caller(role=Role.DEPARTMENT, scope="D2"), PATHS)
    assert may_see(Caller(role=Role.REVIEWER, scope="520100000000"), PATHS)
    assert may_see(Caller(role=Role.REVIEWER, scope="520102000000"), PATHS)
    assert not may_see(Caller(role=Role.REVIEWER, scope="520300000000"), PATHS)
    assert not may_see(Caller(role=Role.REVIEWER, scope="520102016000"), PATHS)  # below the rating's region
    assert may_see(Caller(role=Role.ADMIN), PATHS)
    assert not may_see(Caller(channel_key="key1"), PATHS)
