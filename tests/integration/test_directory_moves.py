"""Directory changes on moto: a rename is one write, a move of a subtree is a background job carried
by the directory-jobs queue and its consumer, and ratings keep being accepted while it runs."""

from __future__ import annotations

import json
from typing import Any

import boto3

from functions.rate import jobs
from tests.integration.conftest import CHANNEL, post_rating

COUNTY = "520181000000"  # 清镇市, a county-level city of 贵阳市
COUNTY_STAFF = "S520181010101"


def admin(rate_stack: Any, content_type: str = "application/json") -> dict[str, str]:
    return {**rate_stack.token("admin"), "content-type": content_type}


def stored_ancestors(rate_stack: Any, kind: str, code: str) -> list[str]:
    item = rate_stack.dynamodb.get_item(
        TableName=rate_stack.settings.directory_table, Key={"kind": {"S": kind}, "code": {"S": code}}
    )["Item"]
    return [step["S"] for step in item["ancestors"]["L"]]


class LambdaContext:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def deliver_queued_chunks(rate_stack: Any, limit: int = 100) -> int:
    """Receive what the directory-jobs queue holds and hand it to the consumer, as the event source
    mapping does, until it is empty; answers how many messages were delivered."""
    sqs = boto3.client("sqs")
    url = rate_stack.settings.directory_jobs_queue_url
    for delivered in range(limit):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return delivered
        record = {"messageId": messages[0]["MessageId"], "body": messages[0]["Body"]}
        assert jobs.handler({"Records": [record]}, LambdaContext()) == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    raise AssertionError("the job did not finish")


def paths_of_a_new_rating(api: Any, rate_stack: Any, rating_id: str) -> set[str]:
    """Rate the county's staff member; answers the paths the stored rating counts for."""
    subjects = {"staff": COUNTY_STAFF, "department": "D52018101"}
    status, _ = post_rating(
        api, {"channel": "pc", "satisfaction": 5, "subjects": subjects, "rating_id": rating_id}
    )
    assert status == 201
    return {p["S"] for p in rate_stack.raw_rating(rating_id)["paths"]["L"]}


def test_renaming_the_province_writes_one_item_and_shows_at_once(api, rate_stack):
    # Given a staff member's stored path
    before = stored_ancestors(rate_stack, "staff", COUNTY_STAFF)

    # When the province is renamed
    answer = api.http.put(
        "/v1/directory/region/520000", headers=admin(rate_stack), body=json.dumps({"name": "贵州省（新）"})
    )

    # Then it answers at once, no descendant changed, and every path shows the new name
    assert answer.status_code == 200
    assert stored_ancestors(rate_stack, "staff", COUNTY_STAFF) == before
    shown = json.loads(api.http.get(f"/v1/directory/staff/{COUNTY_STAFF}", headers=CHANNEL).body)
    assert shown["path"][-1] == {"kind": "region", "code": "520000000000", "name": "贵州省（新）"}


def test_moving_a_county_is_a_job_whose_progress_can_be_read(api, rate_stack, monkeypatch):
    monkeypatch.setattr("functions.core.domain.directory_jobs.CHUNK_SIZE", 10)
    # When 清镇市 is put directly under the province (省直管)
    moved = api.http.put(
        "/v1/directory/region/520181",
        headers=admin(rate_stack),
        body=json.dumps({"name": "清镇市", "parent": "520000"}),
    )

    # Then the move is accepted with a job, the county itself has moved, its descendants not yet
    assert moved.status_code == 202, moved.body
    body = json.loads(moved.body)
    job_url = f"/v1/directory/jobs/{body['job_id']}"
    assert moved.headers["Location"] == job_url and body["parent"] == "520000000000"
    assert "region#520100000000" in stored_ancestors(rate_stack, "staff", COUNTY_STAFF)
    job = json.loads(api.http.get(job_url, headers=admin(rate_stack)).body)
    assert job["status"] == "running" and job["processed"] == 0

    # and another move waits for this one
    second = api.http.put(
        "/v1/directory/window/W5201020101",
        headers=admin(rate_stack),
        body=json.dumps({"name": "窗", "parent": "D52010202"}),
    )
    assert (second.status_code, json.loads(second.body)["error"]) == (409, "conflict")

    # and ratings are accepted meanwhile, counted under the paths in force
    during = paths_of_a_new_rating(api, rate_stack, "during-move-1")
    assert "region#520100000000" in during

    # When the queue's consumer has run the job's chunks
    chunks = deliver_queued_chunks(rate_stack)

    # Then every descendant's path runs through the county straight to the province, and the job says so
    assert chunks > 1
    assert stored_ancestors(rate_stack, "staff", COUNTY_STAFF)[-2:] == [
        "region#520181000000",
        "region#520000000000",
    ]
    job = json.loads(api.http.get(job_url, headers=admin(rate_stack)).body)
    assert job["status"] == "done" and job["processed"] > 10 and job["finished_at"]
    after = paths_of_a_new_rating(api, rate_stack, "after-move-1")
    assert "region#520100000000" not in after and "region#520181000000" in after
    # and the next move may start
    assert (
        api.http.put(
            "/v1/directory/window/W5201020101",
            headers=admin(rate_stack),
            body=json.dumps({"name": "窗", "parent": "D52010202"}),
        ).status_code
        == 202
    )


def test_a_job_is_read_by_admins_only_and_by_a_well_formed_id(api, rate_stack):
    assert (
        api.http.get(
            "/v1/directory/jobs/00000000-0000-0000-0000-000000000000", headers=admin(rate_stack)
        ).status_code
        == 404
    )
    bad = api.http.get("/v1/directory/jobs/not%20a%20job", headers=admin(rate_stack))
    assert (bad.status_code, json.loads(bad.body)["error"]) == (400, "validation")
    # a channel key is no person: the gateway refuses it before the function, as API Gateway would
    assert (
        api.http.get("/v1/directory/jobs/00000000-0000-0000-0000-000000000000", headers=CHANNEL).status_code
        == 401
    )


def test_directory_refusals_say_what_is_wrong(api, rate_stack):
    wrong_kind = api.http.put(
        "/v1/directory/item/I-new",
        headers=admin(rate_stack),
        body=json.dumps({"name": "事项", "parent": "W5201020101"}),
    )
    assert wrong_kind.status_code == 400
    assert json.loads(wrong_kind.body)["fields"]["parent"].startswith("W5201020101 is a window")
    surrogate = api.http.put(
        "/v1/directory/region/520000", headers=admin(rate_stack), body=b'{"name": "\\ud800"}'
    )
    assert surrogate.status_code == 400
    for csv_text, line in [
        ("kind,code,name,parent\nregion,520000," + "x" * 200_000 + ",\n", "line 2"),
        ('kind,code,name,parent\nregion,520000,贵州省,\nregion,520100,"贵阳市,520000\n', "line 3"),
    ]:
        answer = api.http.post(
            "/v1/directory/import", headers=admin(rate_stack, "text/csv"), body=csv_text.encode()
        )
        assert answer.status_code == 400 and line in json.loads(answer.body)["fields"], answer.body
    old_mac = "kind,code,name,parent\rregion,520000,贵州省,\rregion,520100,贵阳市,520000\r"
    answer = api.http.post(
        "/v1/directory/import", headers=admin(rate_stack, "text/csv"), body=old_mac.encode()
    )
    assert answer.status_code == 200 and json.loads(answer.body)["unchanged"] == 2
