"""Ratings and the directory over real HTTP against the local stack (API.md: Ratings, Directory, Errors).

Each test reads Given / When / Then. Client rating ids are unique per test, so the tests share one stack
without seeing each other's data."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import (
    CITY,
    DEPARTMENT,
    DEPARTMENT_ITEM,
    DEPARTMENT_STAFF,
    DEPARTMENT_WINDOW,
    OTHER_CITY,
    OTHER_DEPARTMENT,
    OTHER_DEPARTMENT_WINDOW,
    PROVINCE,
    Answer,
    Api,
    DirectoryRow,
    bearer,
    new_id,
)

pytestmark = pytest.mark.e2e

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOOD_TAGS = ["服务态度好", "一次办结"]
BAD_TAGS = ["服务态度生硬", "多头跑"]
MAX_JSON_BODY = 16 * 1024


# --- helpers -------------------------------------------------------------------------------------


def rating(rating_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid bad rating of 贵阳市政务服务中心's window 1 (all four subjects agree with the directory)."""
    body: dict[str, Any] = {
        "rating_id": rating_id,
        "channel": "hall_pad",
        "satisfaction": 2,
        "subjects": {
            "department": DEPARTMENT,
            "item": DEPARTMENT_ITEM,
            "window": DEPARTMENT_WINDOW,
            "staff": DEPARTMENT_STAFF,
            "region": CITY[:6],
        },
        "tags": BAD_TAGS,
        "comment": "排队一个小时，窗口人员态度生硬",
    }
    body.update(overrides)
    return body


def phone_number() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def resident_id() -> str:
    """A well-formed 18-character resident ID number (GB 11643 check character), born in 1990."""
    first17 = "520102" + "19900101" + "".join(random.choices("0123456789", k=3))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def assert_error(answer: Answer, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The contract's error shape: {"error", "message"}, and for 400 "fields" naming each bad field."""
    assert answer.status == status, f"expected {status} {code}, got {answer}"
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
    body = answer.json()
    assert isinstance(body, dict), body
    assert body.get("error") == code, body
    assert isinstance(body.get("message"), str) and body["message"].strip(), body
    if status == 400:
        assert isinstance(body.get("fields"), dict) and body["fields"], body
        assert all(isinstance(why, str) and why for why in body["fields"].values()), body
        if field is not None:
            assert field in body["fields"], f"fields should name {field!r}: {body['fields']}"
    return body


def assert_not_stored(api: Api, rating_id: str, admin_headers: dict[str, str]) -> None:
    answer = api.get(f"/v1/ratings/{rating_id}", admin_headers)
    assert_error(answer, 404, "not_found")


def accepted(api: Api, body: dict[str, Any], channel_headers: dict[str, str]) -> dict[str, Any]:
    answer = api.post_rating(body, channel_headers)
    assert answer.status == 201, answer
    return answer.json()


def read_rating(api: Api, rating_id: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = api.get(f"/v1/ratings/{rating_id}", headers)
    assert answer.status == 200, answer
    return answer.json()


# --- accepting ratings ---------------------------------------------------------------------------


def test_a_good_rating_is_accepted_without_a_ticket(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a channel and a 满意 (4) rating of a window with good tags
    rating_id = new_id("good")
    body = rating(rating_id, satisfaction=4, tags=GOOD_TAGS, comment="办事很快")

    # When the channel submits it
    answer = api.post_rating(body, channel_headers)

    # Then it is created as a good rating with no ticket
    assert answer.status == 201, answer
    assert answer.json() == {"rating_id": rating_id, "good": True, "ticket_id": None}
    # and people see it as sent, its region normalised to 12 digits
    view = read_rating(api, rating_id, admin_headers)
    assert view["rating_id"] == rating_id
    assert (view["satisfaction"], view["good"], view["valid"]) == (4, True, True)
    assert view["channel"] == "hall_pad"
    assert view["subjects"] == {**body["subjects"], "region": CITY}
    assert view["department"] == DEPARTMENT
    assert view["tags"] == GOOD_TAGS
    assert view["comment"] == "办事很快"
    assert view["ticket_id"] is None
    assert view["rater"]["named"] is False and view["rater"]["phone"] is None
    rated_at = datetime.fromisoformat(view["rated_at"])
    assert rated_at.utcoffset() == timedelta(hours=8), "times are given with the province's offset"
    assert abs(datetime.now(SHANGHAI) - rated_at) < timedelta(minutes=5), "rated_at defaults to now"


def test_a_bad_rating_names_its_ticket(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a 不满意 (2) rating
    rating_id = new_id("bad")

    # When the channel submits it
    answer = api.post_rating(rating(rating_id), channel_headers)

    # Then it is created as a bad rating that names the ticket it will get
    assert answer.status == 201, answer
    created = answer.json()
    assert created["rating_id"] == rating_id
    assert created["good"] is False
    assert isinstance(created["ticket_id"], str) and created["ticket_id"]
    # and reading it names the same ticket
    view = read_rating(api, rating_id, admin_headers)
    assert view["good"] is False and view["satisfaction"] == 2
    assert view["ticket_id"] == created["ticket_id"]


def test_a_rating_without_a_client_id_gets_one(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a rating sent without a rating_id
    body = rating("unused")
    del body["rating_id"]

    # When the channel submits it
    created = accepted(api, body, channel_headers)

    # Then the answer carries the id the system gave it, under which it can be read
    assert isinstance(created["rating_id"], str) and created["rating_id"]
    assert read_rating(api, created["rating_id"], admin_headers)["rating_id"] == created["rating_id"]


def test_a_named_rater_is_shown_masked_and_never_in_full(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a bad rating from a named rater: phone, name and ID number
    rating_id = new_id("named")
    phone, name, id_number = phone_number(), "测试评价人王小明", resident_id()
    rater = {"phone": phone, "name": name, "kind": "person", "id_number": id_number}

    # When the channel submits it and an admin reads it
    answer = api.post_rating(rating(rating_id, rater=rater), channel_headers)
    view = api.get(f"/v1/ratings/{rating_id}", admin_headers)

    # Then the phone is shown masked (138****0000 style) and the full phone, name and ID never appear
    assert answer.status == 201, answer
    assert view.status == 200, view
    assert view.json()["rater"] == {"kind": "person", "named": True, "phone": f"{phone[:3]}****{phone[-4:]}"}
    for text in (answer.text, view.text):
        for secret in (phone, name, id_number, id_number[-6:]):
            assert secret not in text, f"{secret!r} appears in {text}"


def test_a_comment_of_500_characters_is_accepted(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a comment of exactly 500 characters (the limit)
    rating_id = new_id("c500")
    comment = ("窗口办事" * 125)[:500]
    assert len(comment) == 500

    # When the channel submits it
    accepted(api, rating(rating_id, comment=comment), channel_headers)

    # Then it is kept in full
    assert read_rating(api, rating_id, admin_headers)["comment"] == comment


# --- idempotency and one rating per case ---------------------------------------------------------


def test_a_retry_with_the_same_body_is_answered_as_before(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given an accepted rating
    rating_id = new_id("retry")
    body = rating(rating_id)
    first = accepted(api, body, channel_headers)
    before = read_rating(api, rating_id, admin_headers)

    # When the channel sends the same rating_id and body again (also with its keys in another order)
    again = api.post_rating(body, channel_headers)
    reordered = api.post_rating(dict(reversed(list(body.items()))), channel_headers)

    # Then each answer is 200 with the same answer, and the rating is unchanged
    assert again.status == 200, again
    assert again.json() == first
    assert reordered.status == 200, reordered
    assert reordered.json() == first
    assert read_rating(api, rating_id, admin_headers) == before


def test_a_rating_id_reused_with_another_body_is_a_conflict(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given an accepted bad rating
    rating_id = new_id("conflict")
    accepted(api, rating(rating_id), channel_headers)
    before = read_rating(api, rating_id, admin_headers)

    # When the same rating_id comes with another body (a good rating this time)
    answer = api.post_rating(rating(rating_id, satisfaction=5, tags=GOOD_TAGS), channel_headers)

    # Then it is a 409 conflict and the accepted rating is unchanged
    assert_error(answer, 409, "conflict")
    assert read_rating(api, rating_id, admin_headers) == before


def test_a_case_can_be_rated_once(
    api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a case whose rating was accepted
    case_no = "GZ" + new_id("case").replace("-", "")[:30]
    first_id, second_id = new_id("case1"), new_id("case2")
    first_body = rating(first_id, channel="pc", case_no=case_no)
    created = accepted(api, first_body, channel_headers)
    before = read_rating(api, first_id, admin_headers)
    assert before["case_no"] == case_no

    # When the channel retries that rating, and then a second rating of the same case arrives
    retry = api.post_rating(first_body, channel_headers)
    second = api.post_rating(
        rating(second_id, channel="pc", case_no=case_no, satisfaction=5, tags=[]), channel_headers
    )

    # Then the retry is answered as before, the second rating is a 409 case_already_rated and not stored,
    # and the first rating is unchanged
    assert retry.status == 200, retry
    assert retry.json() == created
    assert_error(second, 409, "case_already_rated")
    assert_not_stored(api, second_id, admin_headers)
    assert read_rating(api, first_id, admin_headers) == before


# --- bad input: the right 4xx, the contract's shape, nothing stored ------------------------------


def _json_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _future() -> str:
    return (datetime.now(SHANGHAI) + timedelta(days=1)).isoformat(timespec="seconds")


def _without(name: str) -> Callable[[str], dict[str, Any]]:
    def build(rating_id: str) -> dict[str, Any]:
        body = rating(rating_id)
        del body[name]
        return body

    return build


def _too_large(rating_id: str) -> bytes:
    """A valid rating padded with whitespace past 16 KB: only its size is wrong."""
    raw = _json_body(rating(rating_id))
    return raw[:-1] + b" " * (MAX_JSON_BODY + 1 - len(raw)) + b"}"


# (id, body builder: rating_id → dict (sent as JSON) or bytes, content type, status, error, field)
BAD_INPUTS: list[tuple[str, Callable[[str], Any], str, int, str, str | None]] = [
    (
        "invalid-json",
        lambda rid: f'{{"rating_id": "{rid}", "channel": "hall_pad", "satisfaction": 2,'.encode(),
        "application/json",
        400,
        "validation",
        "body",
    ),
    (
        "json-array",
        lambda rid: json.dumps([rating(rid)]).encode(),
        "application/json",
        400,
        "validation",
        "body",
    ),
    (
        "wrong-content-type",
        lambda rid: _json_body(rating(rid)),
        "text/plain",
        415,
        "unsupported_media_type",
        None,
    ),
    (
        "form-content-type",
        lambda rid: _json_body(rating(rid)),
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
        None,
    ),
    ("over-16-kb", _too_large, "application/json", 413, "too_large", None),
    ("missing-channel", _without("channel"), "application/json", 400, "validation", "channel"),
    ("missing-satisfaction", _without("satisfaction"), "application/json", 400, "validation", "satisfaction"),
    ("missing-subjects", _without("subjects"), "application/json", 400, "validation", "subjects"),
    (
        "no-department-or-region",
        lambda rid: rating(rid, subjects={"item": DEPARTMENT_ITEM}),
        "application/json",
        400,
        "validation",
        "subjects",
    ),
    (
        "satisfaction-0",
        lambda rid: rating(rid, satisfaction=0),
        "application/json",
        400,
        "validation",
        "satisfaction",
    ),
    (
        "satisfaction-6",
        lambda rid: rating(rid, satisfaction=6),
        "application/json",
        400,
        "validation",
        "satisfaction",
    ),
    (
        "satisfaction-string",
        lambda rid: rating(rid, satisfaction="5"),
        "application/json",
        400,
        "validation",
        "satisfaction",
    ),
    (
        "satisfaction-float",
        lambda rid: rating(rid, satisfaction=2.5),
        "application/json",
        400,
        "validation",
        "satisfaction",
    ),
    (
        "unknown-channel",
        lambda rid: rating(rid, channel="fax"),
        "application/json",
        400,
        "validation",
        "channel",
    ),
    (
        "comment-501",
        lambda rid: rating(rid, comment="评" * 501),
        "application/json",
        400,
        "validation",
        "comment",
    ),
    (
        "unknown-tag",
        lambda rid: rating(rid, tags=["服务态度生硬", "收红包"]),
        "application/json",
        400,
        "validation",
        "tags",
    ),
    (
        "good-tag-on-bad-rating",
        lambda rid: rating(rid, tags=["服务态度好"]),
        "application/json",
        400,
        "validation",
        "tags",
    ),
    (
        "bad-tag-on-good-rating",
        lambda rid: rating(rid, satisfaction=5, tags=["排队时间长"]),
        "application/json",
        400,
        "validation",
        "tags",
    ),
    (
        "rated-at-future",
        lambda rid: rating(rid, rated_at=_future()),
        "application/json",
        400,
        "validation",
        "rated_at",
    ),
    (
        "phone-not-mobile",
        lambda rid: rating(rid, rater={"phone": "12345678901", "name": "测试评价人甲"}),
        "application/json",
        400,
        "validation",
        "rater.phone",
    ),
    (
        "phone-landline",
        lambda rid: rating(rid, rater={"phone": "0851-85551234"}),
        "application/json",
        400,
        "validation",
        "rater.phone",
    ),
    (
        "phone-too-short",
        lambda rid: rating(rid, rater={"phone": "1381234567"}),
        "application/json",
        400,
        "validation",
        "rater.phone",
    ),
    (
        "unknown-department",
        lambda rid: rating(rid, subjects={"department": "D99999999"}),
        "application/json",
        422,
        "unknown_subject",
        None,
    ),
    (
        "unknown-window",
        lambda rid: rating(rid, subjects={"department": DEPARTMENT, "window": "W9999999999"}),
        "application/json",
        422,
        "unknown_subject",
        None,
    ),
    (
        "region-outside-province",
        lambda rid: rating(rid, subjects={"region": "110101"}),
        "application/json",
        422,
        "unknown_subject",
        None,
    ),
    (
        "window-of-another-department",
        lambda rid: rating(rid, subjects={"department": DEPARTMENT, "window": OTHER_DEPARTMENT_WINDOW}),
        "application/json",
        422,
        "unknown_subject",
        None,
    ),
]


@pytest.mark.parametrize(
    ("build", "content_type", "status", "code", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    api: Api,
    channel_headers: dict[str, str],
    admin_headers: dict[str, str],
    build: Callable[[str], Any],
    content_type: str,
    status: int,
    code: str,
    field: str | None,
) -> None:
    # Given a rating with a client rating_id that is wrong in exactly one way
    rating_id = new_id("bad-input")
    body = build(rating_id)
    if isinstance(body, dict):
        api.remember(body.get("rater"))
        raw = _json_body(body)
    else:
        raw = body

    # When a channel submits it
    answer = api.request(
        "POST", "/v1/ratings", headers={**channel_headers, "Content-Type": content_type}, body=raw
    )

    # Then it gets the right 4xx in the contract's shape, and nothing was stored under its id
    error = assert_error(answer, status, code, field)
    if status == 422:
        subjects = body["subjects"]
        named = [c for k, c in subjects.items() if k in ("department", "window", "region")]
        assert any(c in answer.text for c in named), f"the 422 should name the subject: {error}"
    assert_not_stored(api, rating_id, admin_headers)


@pytest.mark.parametrize(
    ("credential", "status", "code"),
    [
        pytest.param("none", 401, "unauthenticated", id="missing-key"),
        pytest.param("wrong-key", 401, "unauthenticated", id="wrong-key"),
        pytest.param("empty-key", 401, "unauthenticated", id="empty-key"),
        pytest.param("garbage-token", 401, "unauthenticated", id="wrong-token"),
        pytest.param("tampered-token", 401, "unauthenticated", id="tampered-token"),
        pytest.param("basic-auth", 401, "unauthenticated", id="not-bearer"),
        # A rating route takes a channel key: a person's token is no credential there (as API Gateway
        # answers a method that requires an API key).
        pytest.param("department", 401, "unauthenticated", id="department-token-posts"),
        pytest.param("admin", 401, "unauthenticated", id="admin-token-posts"),
    ],
)
def test_only_a_channel_with_a_known_key_may_submit(
    api: Api,
    request: pytest.FixtureRequest,
    admin_token: str,
    admin_headers: dict[str, str],
    credential: str,
    status: int,
    code: str,
) -> None:
    # Given a valid rating and a caller that is not a channel with a known key
    signature_changed = admin_token[:-4] + ("BBBB" if admin_token.endswith("AAAA") else "AAAA")
    literal: dict[str, dict[str, str]] = {
        "none": {},
        "wrong-key": {"x-api-key": "not-a-known-key"},
        "empty-key": {"x-api-key": ""},
        "garbage-token": {"Authorization": "Bearer not.a.token"},
        "tampered-token": bearer(signature_changed),
        "basic-auth": {"Authorization": "Basic bG9jYWw6bG9jYWw="},
    }
    headers = (
        literal[credential] if credential in literal else request.getfixturevalue(f"{credential}_headers")
    )
    rating_id = new_id("auth")

    # When it submits the rating
    answer = api.post_rating(rating(rating_id), headers)

    # Then it is refused in the contract's shape (a 401 says how to authenticate), and nothing is stored
    assert_error(answer, status, code)
    if status == 401:
        assert "bearer" in answer.headers.get("www-authenticate", "").lower(), answer.headers
    assert_not_stored(api, rating_id, admin_headers)


# --- who may read a rating -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ratings_of_two_departments(api: Api, channel_headers: dict[str, str]) -> dict[str, str]:
    """A bad rating of 贵阳市政务服务中心 (the department token's own) and one of 贵阳市人社局."""
    own, other = new_id("own"), new_id("other")
    accepted(api, rating(own), channel_headers)
    accepted(api, rating(other, subjects={"department": OTHER_DEPARTMENT}), channel_headers)
    return {"own": own, "other": other}


def test_a_department_reads_its_own_ratings_only(
    api: Api, department_headers: dict[str, str], ratings_of_two_departments: dict[str, str]
) -> None:
    # Given ratings of the token's department and of another department
    own, other = ratings_of_two_departments["own"], ratings_of_two_departments["other"]

    # When the department reads each
    own_answer = api.get(f"/v1/ratings/{own}", department_headers)
    other_answer = api.get(f"/v1/ratings/{other}", department_headers)

    # Then its own is 200 (phone-free, as sent) and the other department's is answered as a missing one
    assert own_answer.status == 200, own_answer
    assert own_answer.json()["department"] == DEPARTMENT
    body = assert_error(other_answer, 404, "not_found")
    assert not {"satisfaction", "comment", "rater", "subjects"} & body.keys(), (
        "a refusal must not show the rating"
    )
    assert body == api.get("/v1/ratings/never-rated-0000", department_headers).json()


def test_a_reviewer_reads_ratings_of_their_region_only(
    api: Api,
    reviewer_headers: dict[str, str],
    other_city_reviewer_headers: dict[str, str],
    ratings_of_two_departments: dict[str, str],
) -> None:
    # Given a rating of a department in 贵阳市
    rating_id = ratings_of_two_departments["own"]

    # When a reviewer of 贵阳市 and a reviewer of 六盘水市 read it
    same_city = api.get(f"/v1/ratings/{rating_id}", reviewer_headers)
    other_city = api.get(f"/v1/ratings/{rating_id}", other_city_reviewer_headers)

    # Then the city's reviewer sees it and the other city's reviewer gets the answer of a missing one
    assert same_city.status == 200, same_city
    assert same_city.json()["region"] == CITY
    assert_error(other_city, 404, "not_found")


def test_a_channel_key_cannot_read_a_rating(
    api: Api, channel_headers: dict[str, str], ratings_of_two_departments: dict[str, str]
) -> None:
    # Given an accepted rating
    rating_id = ratings_of_two_departments["own"]

    # When a channel reads it with its key
    answer = api.get(f"/v1/ratings/{rating_id}", channel_headers)

    # Then it is 401: reading ratings is for people, and the gateway asks for a bearer token
    assert_error(answer, 401, "unauthenticated")


def test_reading_a_rating_needs_a_valid_credential(
    api: Api, ratings_of_two_departments: dict[str, str]
) -> None:
    # Given an accepted rating
    rating_id = ratings_of_two_departments["own"]

    # When it is read with no credential, and with a token that is not one
    anonymous = api.get(f"/v1/ratings/{rating_id}")
    garbage = api.get(f"/v1/ratings/{rating_id}", {"Authorization": "Bearer x.y.z"})

    # Then both are 401
    assert_error(anonymous, 401, "unauthenticated")
    assert_error(garbage, 401, "unauthenticated")


def test_an_unknown_rating_is_not_found(api: Api, admin_headers: dict[str, str]) -> None:
    # Given a rating id never used / When an admin reads it / Then 404 not_found
    assert_error(api.get(f"/v1/ratings/{new_id('never')}", admin_headers), 404, "not_found")


# --- the directory -------------------------------------------------------------------------------


def _path_in_csv(rows: list[DirectoryRow], code: str) -> list[dict[str, str]]:
    by_code = {row.code: row for row in rows}
    path = []
    while code:
        row = by_code[code]
        path.append({"kind": row.kind, "code": row.code, "name": row.name})
        code = row.parent
    return path


def test_the_region_list_without_parent_is_the_province(api: Api, channel_headers: dict[str, str]) -> None:
    # Given the demo province / When a channel lists regions with no parent
    answer = api.get("/v1/directory/region", channel_headers)

    # Then the one entry is 贵州省 520000000000
    assert answer.status == 200, answer
    body = answer.json()
    assert body["kind"] == "region"
    assert body["parent"] is None
    assert body["entries"] == [{"kind": "region", "code": PROVINCE, "name": "贵州省", "parent": None}]


def test_the_cities_are_listed_under_the_province(
    api: Api, admin_headers: dict[str, str], demo_directory: list[DirectoryRow]
) -> None:
    # Given the demo directory's cities
    cities = sorted((r.code, r.name) for r in demo_directory if r.kind == "region" and r.parent == PROVINCE)
    assert (CITY, "贵阳市") in cities and (OTHER_CITY, "六盘水市") in cities

    # When a person lists the regions under the province
    answer = api.get(f"/v1/directory/region?parent={PROVINCE}", admin_headers)

    # Then exactly the cities are listed, in code order, each naming the province as its parent
    assert answer.status == 200, answer
    body = answer.json()
    assert body["parent"]["code"] == PROVINCE
    assert [(e["code"], e["name"]) for e in body["entries"]] == cities
    assert {(e["kind"], e["parent"]) for e in body["entries"]} == {("region", PROVINCE)}


def test_a_staff_member_is_answered_with_the_path_to_the_province(
    api: Api, channel_headers: dict[str, str], demo_directory: list[DirectoryRow]
) -> None:
    # Given a staff member of the demo directory
    expected_path = _path_in_csv(demo_directory, DEPARTMENT_STAFF)

    # When a channel reads it
    answer = api.get(f"/v1/directory/staff/{DEPARTMENT_STAFF}", channel_headers)

    # Then it comes with its path: staff → window → department → city → province
    assert answer.status == 200, answer
    entry = answer.json()
    assert (entry["kind"], entry["code"], entry["parent"]) == ("staff", DEPARTMENT_STAFF, DEPARTMENT_WINDOW)
    assert entry["path"] == expected_path
    assert [step["kind"] for step in entry["path"]] == ["staff", "window", "department", "region", "region"]
    assert entry["path"][-1] == {"kind": "region", "code": PROVINCE, "name": "贵州省"}


@pytest.mark.parametrize(
    ("given", "normalised", "name"),
    [("520102", "520102000000", "南明区"), ("520102016", "520102016000", "新华路街道")],
)
def test_a_short_region_code_is_answered_normalised(
    api: Api, channel_headers: dict[str, str], given: str, normalised: str, name: str
) -> None:
    # Given a 6- or 9-digit region code / When a channel reads the region and lists under it
    entry = api.get(f"/v1/directory/region/{given}", channel_headers)
    listing = api.get(f"/v1/directory/region?parent={given}", channel_headers)

    # Then the answers carry the 12-digit code
    assert entry.status == 200, entry
    assert (entry.json()["code"], entry.json()["name"]) == (normalised, name)
    assert entry.json()["path"][0]["code"] == normalised
    assert listing.status == 200, listing
    assert listing.json()["parent"]["code"] == normalised
    assert all(len(e["code"]) == 12 and e["parent"] == normalised for e in listing.json()["entries"])


def test_an_admin_creates_then_replaces_an_entry(
    api: Api, admin_headers: dict[str, str], channel_headers: dict[str, str]
) -> None:
    # Given a window code not in the directory
    code = new_id("W")

    # When an admin puts it under a department, then puts it again with another name
    created = api.put_entry("window", code, {"name": "E2E 综合窗口", "parent": DEPARTMENT}, admin_headers)
    replaced = api.put_entry(
        "window", code, {"name": "E2E 综合窗口（改）", "parent": DEPARTMENT}, admin_headers
    )

    # Then the first is 201, the second 200, and a read shows the new name with the full path
    assert created.status == 201, created
    assert created.json()["name"] == "E2E 综合窗口"
    assert replaced.status == 200, replaced
    entry = api.get(f"/v1/directory/window/{code}", channel_headers)
    assert entry.status == 200, entry
    assert entry.json()["name"] == "E2E 综合窗口（改）"
    assert entry.json()["parent"] == DEPARTMENT
    assert [s["code"] for s in entry.json()["path"]] == [code, DEPARTMENT, CITY, PROVINCE]


@pytest.mark.parametrize(
    ("who", "status", "error"), [("channel", 401, "unauthenticated"), ("department", 403, "forbidden")]
)
def test_only_an_admin_may_change_the_directory(
    api: Api, request: pytest.FixtureRequest, admin_headers: dict[str, str], who: str, status: int, error: str
) -> None:
    # Given a window code not in the directory, and a caller that is not an admin
    code = new_id("W")
    headers = request.getfixturevalue(f"{who}_headers")

    # When it tries to put the window
    answer = api.put_entry("window", code, {"name": "不该存在的窗口", "parent": DEPARTMENT}, headers)

    # Then it is refused (a channel key is no person's credential; a department is no admin) and the
    # window does not exist
    assert_error(answer, status, error)
    assert_error(api.get(f"/v1/directory/window/{code}", admin_headers), 404, "not_found")


def test_a_region_outside_the_province_cannot_be_put(api: Api, admin_headers: dict[str, str]) -> None:
    # Given 北京市东城区 (110101), outside 贵州省
    # When an admin puts it, under its own city and under the province
    own_city = api.put_entry("region", "110101", {"name": "东城区", "parent": "110100"}, admin_headers)
    under_guizhou = api.put_entry("region", "110101", {"name": "东城区", "parent": PROVINCE}, admin_headers)

    # Then both are 422 unknown_subject, and a listing under 北京 is 422 too
    assert_error(own_city, 422, "unknown_subject")
    assert_error(under_guizhou, 422, "unknown_subject")
    assert_error(api.get("/v1/directory/region?parent=110000", admin_headers), 422, "unknown_subject")


def test_reading_a_region_outside_the_province_is_422(api: Api, channel_headers: dict[str, str]) -> None:
    # Given 北京市东城区 (110101), outside 贵州省
    # When a channel reads it
    answer = api.get("/v1/directory/region/110101", channel_headers)

    # Then it is 422 (API.md: "A stack serves one province: codes outside it are 422")
    assert_error(answer, 422, "unknown_subject")


def _import(api: Api, csv_text: str, headers: dict[str, str]) -> Answer:
    return api.request(
        "POST",
        "/v1/directory/import",
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
        body=csv_text.encode("utf-8"),
    )


def test_a_csv_import_answers_counts(api: Api, admin_headers: dict[str, str]) -> None:
    # Given a CSV with a new department (under a 6-digit region code) and its window
    department, window = new_id("D"), new_id("W")
    csv_text = (
        "kind,code,name,parent\n"
        f"department,{department},E2E 南明区测试局,520102\n"
        f"window,{window},E2E 测试窗口,{department}\n"
    )

    # When an admin imports it twice
    first = _import(api, csv_text, admin_headers)
    second = _import(api, csv_text, admin_headers)

    # Then the first creates both, the second changes nothing, and the window has its path
    assert first.status == 200, first
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "job_id": None}
    assert second.status == 200, second
    assert second.json() == {"created": 0, "updated": 0, "unchanged": 2, "job_id": None}
    entry = api.get(f"/v1/directory/window/{window}", admin_headers)
    assert entry.status == 200, entry
    assert [s["code"] for s in entry.json()["path"]] == [window, department, "520102000000", CITY, PROVINCE]


def test_a_csv_import_with_one_bad_row_stores_nothing(api: Api, admin_headers: dict[str, str]) -> None:
    # Given a CSV whose second row names a parent that does not exist
    department, window = new_id("D"), new_id("W")
    csv_text = (
        "kind,code,name,parent\n"
        f"department,{department},E2E 好的一行,520102\n"
        f"window,{window},E2E 坏的一行,D-NO-SUCH-DEPARTMENT\n"
    )

    # When an admin imports it
    answer = _import(api, csv_text, admin_headers)

    # Then it is a 400 naming the bad line, and not even the good row was stored
    assert_error(answer, 400, "validation", "line 3")
    assert "line 2" not in answer.json()["fields"]
    assert_error(api.get(f"/v1/directory/department/{department}", admin_headers), 404, "not_found")
    assert_error(api.get(f"/v1/directory/window/{window}", admin_headers), 404, "not_found")


def test_a_csv_import_needs_csv_and_an_admin(
    api: Api, admin_headers: dict[str, str], channel_headers: dict[str, str]
) -> None:
    csv_text = f"kind,code,name,parent\ndepartment,{new_id('D')},E2E,520102\n"
    # Given a valid CSV / When it is sent as JSON by an admin, and as CSV by a channel
    as_json = api.request(
        "POST",
        "/v1/directory/import",
        headers={**admin_headers, "Content-Type": "application/json"},
        body=json.dumps({"csv": csv_text}).encode(),
    )
    by_channel = _import(api, csv_text, channel_headers)

    # Then 415, and 401 (a channel key is no credential on a person route)
    assert_error(as_json, 415, "unsupported_media_type")
    assert_error(by_channel, 401, "unauthenticated")
