"""Issue 6 over real HTTP against the local stack: bad input is a 400 and stores nothing, personal data
in comments is masked when shown, directory moves run as background jobs, and a burst is served.

Each test reads Given / When / Then; rating ids are unique per test."""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Api, new_id
from tests.e2e.test_ratings_http import assert_error, assert_not_stored, rating

pytestmark = pytest.mark.e2e

JOB_TIMEOUT = 30.0


def raw_rating(rating_id: str) -> str:
    """A valid rating as JSON text, for the bad bodies built by editing the text."""
    return json.dumps(rating(rating_id), ensure_ascii=False)


# Each a body other parsers would read differently, or Python's json would choke on: 400 validation.
BAD_BODIES = {
    "nested 1,000 levels": lambda rid: "[" * 1000 + "]" * 1000,
    "nested inside a field": lambda rid: (
        raw_rating(rid)[:-1] + ', "comment": ' + "[" * 5000 + "]" * 5000 + "}"
    ),
    "lone surrogate in the comment": lambda rid: raw_rating(rid)[:-1] + ', "comment": "\\ud800"}',
    "lone surrogate in a key": lambda rid: raw_rating(rid)[:-1] + ', "\\udfff": 1}',
    "duplicate key": lambda rid: raw_rating(rid)[:-1] + ', "satisfaction": 5}',
    "top level an array": lambda rid: "[" + raw_rating(rid) + "]",
    "boolean satisfaction": lambda rid: raw_rating(rid).replace('"satisfaction": 2', '"satisfaction": true'),
    "float satisfaction 5.0": lambda rid: raw_rating(rid).replace('"satisfaction": 2', '"satisfaction": 5.0'),
    "NaN": lambda rid: raw_rating(rid).replace('"satisfaction": 2', '"satisfaction": NaN'),
    "Infinity": lambda rid: raw_rating(rid).replace('"satisfaction": 2', '"satisfaction": Infinity'),
    "1e400": lambda rid: raw_rating(rid).replace('"satisfaction": 2', '"satisfaction": 1e400'),
    "rated_at not RFC 3339": lambda rid: raw_rating(rid)[:-1] + ', "rated_at": "2026-09-30 09:00:00+08:00"}',
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_json_is_a_400_and_stores_nothing(
    case: str, api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # Given a rating body that is bad in one way
    rating_id = new_id("bad")
    body = BAD_BODIES[case](rating_id).encode("utf-8")

    # When a channel posts it
    answer = api.request(
        "POST", "/v1/ratings", headers={**channel_headers, "Content-Type": "application/json"}, body=body
    )

    # Then it is a 400 in the contract's shape, and nothing was stored
    assert_error(answer, 400, "validation")
    assert_not_stored(api, rating_id, admin_headers)


@pytest.mark.parametrize(
    "body",
    ['{"name": ' + "[" * 2000 + "]" * 2000 + "}", '{"name": "\\ud800"}', '{"name": "贵州", "name": "贵州"}'],
)
def test_bad_json_on_an_admin_directory_write_is_a_400(
    body: str, api: Api, admin_headers: dict[str, str]
) -> None:
    answer = api.request(
        "PUT",
        "/v1/directory/region/520000",
        headers={**admin_headers, "Content-Type": "application/json"},
        body=body.encode(),
    )
    assert_error(answer, 400, "validation")


def test_follow_up_null_is_accepted(api: Api, channel_headers: dict[str, str]) -> None:
    answer = api.post_rating(rating(new_id("fu-null"), follow_up=None), channel_headers)
    assert answer.status == 201, answer


def test_refusals_name_the_field_and_never_echo_personal_values(
    api: Api, channel_headers: dict[str, str]
) -> None:
    # Given a rating with a phone number as a rater key and as a tag
    body = rating(new_id("echo"), tags=["电话13912345678"])
    body["rater"] = {"phone": "13800000000", "13912345678": "王小明"}

    # When it is posted
    answer = api.post_rating(body, channel_headers)

    # Then the refusal names the fields, not the values
    refusal = assert_error(answer, 400, "validation")
    assert {"rater", "tags"} <= refusal["fields"].keys()
    assert "13912345678" not in answer.text and "王小明" not in answer.text


def test_comments_are_shown_masked_and_the_channel_key_to_auditors_only(
    api: Api,
    channel_headers: dict[str, str],
    admin_headers: dict[str, str],
    department_headers: dict[str, str],
) -> None:
    # Given a rating whose comment holds a phone, an ID number and a credit code
    rating_id = new_id("masked")
    comment = "工作人员让我打13912345678，身份证11010519491231002X，公司91350100M000100Y43"
    assert api.post_rating(rating(rating_id, comment=comment), channel_headers).status == 201

    # When an admin and the department read it
    as_admin = api.get(f"/v1/ratings/{rating_id}", admin_headers).json()
    as_department = api.get(f"/v1/ratings/{rating_id}", department_headers).json()

    # Then both see the comment masked; the admin sees which channel key sent it, the department not
    for view in (as_admin, as_department):
        assert (
            view["comment"] == "工作人员让我打139****5678，身份证11**************2X，公司91**************43"
        )
    assert as_admin["channel_key"] and as_admin["channel_key"] != channel_headers["x-api-key"]  # a label
    assert "channel_key" not in as_department


def test_an_enterprise_number_is_checked_as_a_credit_code(api: Api, channel_headers: dict[str, str]) -> None:
    body = rating(new_id("uscc"))
    body["rater"] = {"phone": "13800000000", "kind": "enterprise", "id_number": "91350100M000100Y44"}
    assert_error(api.post_rating(body, channel_headers), 400, "validation", "rater.id_number")
    body = {
        **body,
        "rating_id": new_id("uscc"),
        "rater": {**body["rater"], "id_number": "91350100M000100Y43"},
    }
    assert api.post_rating(body, channel_headers).status == 201


# --- the directory -------------------------------------------------------------------------------


def put(api: Api, headers: dict[str, str], kind: str, code: str, body: dict[str, Any]) -> Any:
    return api.put_entry(kind, code, body, headers)


def wait_for_job(api: Api, admin_headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        job = api.get(f"/v1/directory/jobs/{job_id}", admin_headers).json()
        if job["status"] == "done":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not done within {JOB_TIMEOUT} s: {job}")


def test_a_rename_answers_at_once_and_a_move_runs_as_a_job(
    api: Api, admin_headers: dict[str, str], channel_headers: dict[str, str]
) -> None:
    staff = "S520181010101"  # a staff member of 清镇市 (520181), a county-level city of 贵阳市
    try:
        # When the province is renamed, the new name shows on every path at once
        renamed = put(api, admin_headers, "region", "520000", {"name": "贵州省（测试更名）"})
        assert renamed.status == 200, renamed
        shown = api.get(f"/v1/directory/staff/{staff}", channel_headers).json()
        assert shown["path"][-1]["name"] == "贵州省（测试更名）"

        # When 清镇市 is put directly under the province
        moved = put(api, admin_headers, "region", "520181", {"name": "清镇市", "parent": "520000"})

        # Then it is accepted with a job, which the stack's queue consumer carries to its end
        assert moved.status == 202, moved
        assert moved.headers["location"] == f"/v1/directory/jobs/{moved.json()['job_id']}"
        # and ratings keep being accepted meanwhile
        during = rating(new_id("during"), subjects={"staff": staff, "department": "D52018101"}, tags=[])
        assert api.post_rating(during, channel_headers).status == 201
        job = wait_for_job(api, admin_headers, moved.json()["job_id"])
        assert job["processed"] > 0
        codes = [
            step["code"] for step in api.get(f"/v1/directory/staff/{staff}", channel_headers).json()["path"]
        ]
        assert codes[-2:] == ["520181000000", "520000000000"]
    finally:
        back = put(api, admin_headers, "region", "520181", {"name": "清镇市", "parent": "520100"})
        if back.status == 202:
            wait_for_job(api, admin_headers, back.json()["job_id"])
        put(api, admin_headers, "region", "520000", {"name": "贵州省"})


def test_a_parent_of_the_wrong_kind_says_so(api: Api, admin_headers: dict[str, str]) -> None:
    answer = put(api, admin_headers, "item", "I-e2e-wrong-parent", {"name": "事项", "parent": "W5201000101"})
    refusal = assert_error(answer, 400, "validation", "parent")
    assert refusal["fields"]["parent"].startswith("W5201000101 is a window")


@pytest.mark.parametrize(
    "csv_text, status, line",
    [
        ("kind,code,name,parent\nregion,520000," + "x" * 200_000 + ",\n", 400, "line 2"),
        ('kind,code,name,parent\nregion,520000,贵州省,\nregion,520100,"贵阳市,520000\n', 400, "line 3"),
        ("kind,code,name,parent\rregion,520000,贵州省,\rregion,520100,贵阳市,520000\r", 200, None),
    ],
)
def test_csv_imports_answer_which_line_is_wrong(
    csv_text: str, status: int, line: str | None, api: Api, admin_headers: dict[str, str]
) -> None:
    answer = api.request(
        "POST",
        "/v1/directory/import",
        headers={**admin_headers, "Content-Type": "text/csv"},
        body=csv_text.encode(),
    )
    if status == 400:
        assert_error(answer, 400, "validation", line)
    else:
        assert answer.status == 200, answer


def test_a_job_is_read_by_admins_only(api: Api, department_headers: dict[str, str]) -> None:
    assert_error(
        api.get("/v1/directory/jobs/00000000-0000-0000-0000-000000000000", department_headers),
        403,
        "forbidden",
    )


def test_a_directory_read_outside_the_province_is_a_documented_422(
    api: Api, channel_headers: dict[str, str]
) -> None:
    document = api.get("/v1/openapi.json", channel_headers).json()
    assert "422" in document["paths"]["/v1/directory/{kind}/{code}"]["get"]["responses"]
    assert_error(api.get("/v1/directory/region/110101", channel_headers), 422, "unknown_subject")


# --- the gateway ---------------------------------------------------------------------------------


def test_a_burst_of_50_concurrent_ratings_is_served_without_a_connection_error(
    api: Api, channel_headers: dict[str, str]
) -> None:
    # Given 50 channels that submit at the same moment, each on its own connection
    start = threading.Barrier(50)

    def submit(i: int) -> int:
        start.wait()
        return api.post_rating(rating(new_id(f"burst{i}")), channel_headers).status

    # When they all post
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(submit, range(50)))

    # Then every one is accepted (a reset or refused connection would have raised)
    assert statuses == [201] * 50


def test_a_malformed_request_line_gets_json(api: Api) -> None:
    with socket.create_connection((api.host, api.port), timeout=5) as connection:
        connection.sendall(b"GET /v1/ratings/x?phone=13800000000 HTTP/9.9 extra\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"] == "validation"
