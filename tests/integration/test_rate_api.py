"""The rate function against moto's DynamoDB: what is stored, how many requests it takes, and every
refusal in the contract's shape."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
import pytest

from functions.rate import wiring
from tests.gateway import GatewayClient
from tests.integration.conftest import CHANNEL, post_rating

WINDOW_RATING = {
    "channel": "hall_pad",
    "satisfaction": 2,
    "subjects": {"department": "D52010201", "window": "W5201020101", "staff": "S520102010101"},
    "tags": ["服务态度生硬", "排队时间长"],
    "comment": "等了很久",
    "rater": {"phone": "13912345678", "name": "王五", "id_number": "11010519491231002X"},
}


def test_a_bad_rating_is_stored_once_with_its_paths_and_names_its_ticket(api, rate_stack):
    status, answer = post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0001"})
    assert status == 201
    assert answer == {"rating_id": "tablet-0001", "good": False, "ticket_id": "tk-tablet-0001"}
    item = rate_stack.raw_rating("tablet-0001")
    assert {p["S"] for p in item["paths"]["L"]} == {
        "staff#S520102010101",
        "window#W5201020101",
        "department#D52010201",
        "region#520102000000",
        "region#520100000000",
        "region#520000000000",
    }
    assert item["department"]["S"] == "D52010201" and item["valid"]["BOOL"] is True
    assert len(item["day"]["S"]) == 10


def test_personal_data_is_never_stored_in_clear(api, rate_stack):
    post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0002"})
    stored = json.dumps(rate_stack.raw_rating("tablet-0002"), default=lambda b: b.hex(), ensure_ascii=False)
    for secret in ("13912345678", "王五", "11010519491231002X"):
        assert secret not in stored
    assert "139****5678" in stored


def test_people_read_a_rating_with_the_phone_masked(api, rate_stack):
    post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0003"})
    answer = api.http.get("/v1/ratings/tablet-0003", headers=rate_stack.token("department", "D52010201"))
    assert answer.status_code == 200
    rating = json.loads(answer.body)
    assert rating["rater"] == {"kind": "person", "named": True, "phone": "139****5678"}
    assert rating["valid"] is True and rating["ticket_id"] == "tk-tablet-0003" and rating["channel_code"] == 4
    assert "王五" not in answer.body.decode() and "13912345678" not in answer.body.decode()


@pytest.mark.parametrize(
    "role, scope, status",
    [
        ("department", "D52010202", 404),  # another scope's rating is answered as a missing one
        ("reviewer", "520300000000", 404),
        ("reviewer", "520100", 200),
        ("admin", None, 200),
    ],
)
def test_scope_decides_who_reads_a_rating(api, rate_stack, role, scope, status):
    post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0004"})
    answer = api.http.get("/v1/ratings/tablet-0004", headers=rate_stack.token(role, scope))
    assert answer.status_code == status
    if status == 404:  # the same answer as for a rating that does not exist
        missing = api.http.get("/v1/ratings/tablet-none-0004", headers=rate_stack.token(role, scope))
        assert (missing.status_code, missing.body) == (404, answer.body)


def test_a_retry_is_answered_as_before_and_a_reused_key_is_a_conflict(api, rate_stack):
    body = {**WINDOW_RATING, "rating_id": "tablet-0005"}
    first = post_rating(api, body)
    assert post_rating(api, body) == (200, first[1])
    status, error = post_rating(api, {**body, "satisfaction": 1})
    assert status == 409 and error["error"] == "conflict"
    assert rate_stack.raw_rating("tablet-0005")["satisfaction"]["N"] == "2"
    assert rate_stack.count(rate_stack.settings.ratings_table) == 1


def test_a_case_is_rated_once_and_retries_of_that_rating_still_succeed(api, rate_stack):
    body = {**WINDOW_RATING, "rating_id": "online-0001", "channel": "pc", "case_no": "GZ2026-000123"}
    assert post_rating(api, body)[0] == 201
    assert post_rating(api, body)[0] == 200
    status, error = post_rating(api, {**body, "rating_id": "online-0002"})
    assert status == 409 and error["error"] == "case_already_rated"
    status, error = post_rating(api, {**body, "rating_id": "online-0003", "satisfaction": 5, "tags": []})
    assert status == 409 and error["error"] == "case_already_rated"
    assert rate_stack.raw_rating("online-0002") is None and rate_stack.raw_rating("online-0003") is None
    case = rate_stack.dynamodb.get_item(
        TableName=rate_stack.settings.cases_table, Key={"case_no": {"S": "GZ2026-000123"}}
    )["Item"]
    assert case["rating_id"]["S"] == "online-0001"


def test_an_accepted_rating_takes_one_dynamodb_request_once_the_directory_is_warm(api, rate_stack):
    calls: list[str] = []
    rate_stack.dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    post_rating(api, {**WINDOW_RATING, "rating_id": "warm-up-01"})  # fills the directory cache
    calls.clear()
    assert post_rating(api, {**WINDOW_RATING, "rating_id": "counted-01"})[0] == 201
    assert calls == ["PutItem"]
    calls.clear()
    assert post_rating(api, {**WINDOW_RATING, "rating_id": "counted-02", "case_no": "C-9"})[0] == 201
    assert calls == ["TransactWriteItems"]


def test_the_stream_carries_everything_the_indices_need(api, rate_stack):
    post_rating(api, {**WINDOW_RATING, "rating_id": "stream-0001"})
    streams = boto3.client("dynamodbstreams")
    arn = rate_stack.dynamodb.describe_table(TableName=rate_stack.settings.ratings_table)["Table"][
        "LatestStreamArn"
    ]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    inserted = [r for r in records if r["dynamodb"]["Keys"]["rating_id"]["S"] == "stream-0001"]
    assert [r["eventName"] for r in inserted] == ["INSERT"]
    image = inserted[0]["dynamodb"]["NewImage"]
    assert {"paths", "day", "satisfaction", "valid", "channel", "tags"} <= image.keys()


@pytest.mark.parametrize(
    "body, headers, status, code",
    [
        ("{not json", CHANNEL, 400, "validation"),
        (json.dumps(WINDOW_RATING), {**CHANNEL, "content-type": "text/plain"}, 415, "unsupported_media_type"),
        (json.dumps({**WINDOW_RATING, "comment": "长" * 6000}), CHANNEL, 413, "too_large"),
        (json.dumps({**WINDOW_RATING, "satisfaction": "5"}), CHANNEL, 400, "validation"),
        (
            json.dumps({**WINDOW_RATING, "subjects": {"department": "D-none"}}),
            CHANNEL,
            422,
            "unknown_subject",
        ),
        (
            json.dumps({**WINDOW_RATING, "subjects": {"department": "D52010202", "window": "W5201020101"}}),
            CHANNEL,
            422,
            "unknown_subject",
        ),
        (json.dumps(WINDOW_RATING), {"content-type": "application/json"}, 401, "unauthenticated"),
        (json.dumps(WINDOW_RATING), {**CHANNEL, "x-api-key": "stolen"}, 401, "unauthenticated"),
    ],
)
def test_bad_input_is_refused_in_the_contract_shape_and_stores_nothing(
    api, rate_stack, body, headers, status, code
):
    got, error = post_rating(api, body, headers)
    assert (got, error["error"]) == (status, code)
    assert isinstance(error["message"], str) and error["message"]
    if code == "validation":
        assert isinstance(error["fields"], dict) and error["fields"]
    assert rate_stack.count(rate_stack.settings.ratings_table) == 0


def test_people_do_not_submit_ratings_and_channels_do_not_read_them(api, rate_stack):
    # A channel route takes a channel key (or a rating device's credential), whatever else is sent; a
    # person route a bearer token.
    person = {"content-type": "application/json", **rate_stack.token("department", "D52010201")}
    status, error = post_rating(api, WINDOW_RATING, person)
    assert (status, error["error"]) == (401, "unauthenticated")
    post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0009"})
    answer = api.http.get("/v1/ratings/tablet-0009", headers=CHANNEL)
    assert (answer.status_code, answer.json_body["error"]) == (401, "unauthenticated")
    assert "bearer" in answer.headers["www-authenticate"].lower()
    assert api.http.get("/v1/ratings/nobody-000", headers=rate_stack.token("admin")).status_code == 404


def test_logs_and_metrics_carry_no_personal_data(api, rate_stack, capsys, caplog):
    caplog.set_level("INFO")
    post_rating(api, {**WINDOW_RATING, "rating_id": "tablet-0010"})
    metrics = capsys.readouterr().out
    records = [r for r in caplog.records if r.name.startswith("haochaping")]
    assert any(r.getMessage() == "rating accepted" and r.rating_id == "tablet-0010" for r in records)
    assert '"RatingAccepted"' in metrics and '"polarity":"bad"' in metrics
    logged = metrics + json.dumps([r.__dict__ for r in records], default=str, ensure_ascii=False)
    for secret in ("13912345678", "王五", "11010519491231002X", "139****5678"):
        assert secret not in logged


def test_the_directory_over_http(api, rate_stack):
    admin = {**rate_stack.token("admin"), "content-type": "application/json"}
    created = api.http.put(
        "/v1/directory/window/W-new-01",
        headers=admin,
        body=json.dumps({"name": "新窗口", "parent": "D52010201"}),
    )
    assert created.status_code == 201
    assert [s["code"] for s in json.loads(created.body)["path"]][-1] == "520000000000"
    replaced = api.http.put(
        "/v1/directory/window/W-new-01",
        headers=admin,
        body=json.dumps({"name": "新窗口2", "parent": "D52010201"}),
    )
    assert replaced.status_code == 200
    entry = json.dumps({"name": "x", "parent": "D52010201"})
    # A channel key does not open a person route; a person who is not an admin is forbidden.
    assert api.http.put("/v1/directory/window/W-x", headers=CHANNEL, body=entry).status_code == 401
    department = {**rate_stack.token("department", "D52010201"), "content-type": "application/json"}
    assert api.http.put("/v1/directory/window/W-x", headers=department, body=entry).status_code == 403
    outside = api.http.put(
        "/v1/directory/region/110101", headers=admin, body=json.dumps({"name": "东城区", "parent": "110100"})
    )
    assert (outside.status_code, json.loads(outside.body)["error"]) == (422, "unknown_subject")
    county = json.loads(api.http.get("/v1/directory/region/520102", headers=CHANNEL).body)
    assert county["code"] == "520102000000" and county["level"] == "county"
    listed = json.loads(api.http.get("/v1/directory/window?parent=D52010201", headers=CHANNEL).body)
    assert "W-new-01" in [e["code"] for e in listed["entries"]]
    imported = api.http.post(
        "/v1/directory/import",
        headers={**rate_stack.token("admin"), "content-type": "text/csv"},
        body="kind,code,name,parent\nstaff,S-new-01,工号 9001,W-new-01\n".encode(),
    )
    assert json.loads(imported.body) == {"created": 1, "updated": 0, "unchanged": 0, "job_id": None}


def test_the_openapi_document_describes_every_route(api):
    # Given every route every HTTP function serves through the gateway (local-only routes aside)
    from infra import topology

    served = {(route.path, route.method) for route in topology.routes()}

    # When the document is read
    document = json.loads(api.http.get("/v1/openapi.json").body)
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}

    # Then it describes exactly those: a new function's undocumented route fails here
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_a_follow_up_rating_is_taken_once_after_the_first_where_the_province_allows_it(api, rate_stack):
    # Given a province that takes follow-up ratings (追评)
    allowing = replace(
        rate_stack.settings, province=replace(rate_stack.settings.province, allow_follow_up=True)
    )
    wiring.use(wiring.build(allowing, rate_stack.dynamodb))
    first = {**WINDOW_RATING, "channel": "pc", "case_no": "GZ2026-777", "rating_id": "first-0001"}
    follow_up = {**first, "rating_id": "follow-0001", "satisfaction": 1, "follow_up": True}

    # When the follow-up comes before the first rating, it is refused and nothing is stored
    status, error = post_rating(api, follow_up)
    assert (status, error["error"]) == (409, "conflict")
    assert rate_stack.raw_rating("follow-0001") is None

    # Then after the first rating it is taken, marked, and retries of it are answered as before
    assert post_rating(api, first)[0] == 201
    assert post_rating(api, follow_up) == (
        201,
        {"rating_id": "follow-0001", "good": False, "ticket_id": "tk-follow-0001"},
    )
    assert post_rating(api, follow_up)[0] == 200
    assert rate_stack.raw_rating("follow-0001")["follow_up"] == {"BOOL": True}
    status, error = post_rating(api, {**follow_up, "rating_id": "follow-0002"})
    assert (status, error["error"]) == (409, "case_already_rated")
    case = rate_stack.dynamodb.get_item(
        TableName=rate_stack.settings.cases_table, Key={"case_no": {"S": "GZ2026-777"}}
    )["Item"]
    assert (case["rating_id"]["S"], case["follow_up_id"]["S"]) == ("first-0001", "follow-0001")


def test_a_province_without_follow_ups_refuses_them(api, rate_stack):
    refusing = replace(
        rate_stack.settings, province=replace(rate_stack.settings.province, allow_follow_up=False)
    )
    wiring.use(wiring.build(refusing, rate_stack.dynamodb))
    status, error = post_rating(api, {**WINDOW_RATING, "case_no": "GZ2026-778", "follow_up": True})
    assert (status, error["error"]) == (400, "validation") and "follow_up" in error["fields"]


@pytest.mark.parametrize("disabled", ["true", "false"])
def test_no_metric_or_dimension_outlives_its_request(api, rate_stack, monkeypatch, disabled):
    from functions.core.observability import metrics

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", disabled)
    post_rating(api, {**WINDOW_RATING, "rating_id": "metrics-01"})
    post_rating(api, {**WINDOW_RATING, "rating_id": "metrics-02", "channel": "pc"})
    assert metrics.metric_set == {} and metrics.dimension_set == {}


class _Answer:
    status_code = 400
    headers: dict[str, str] = {}


def _fail_writes_with(rate_stack, code):
    """Every write answers with DynamoDB error `code`; answers the function that stops it."""

    def fail(**_):
        return _Answer(), {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    events = [f"before-call.dynamodb.{operation}" for operation in ("PutItem", "TransactWriteItems")]
    for event in events:
        rate_stack.dynamodb.meta.events.register(event, fail)
    return lambda: [rate_stack.dynamodb.meta.events.unregister(event, fail) for event in events]


@pytest.mark.parametrize("case_no", [None, "GZ2026-BUSY"])
def test_a_throttled_store_answers_429_and_the_retry_succeeds(api, rate_stack, case_no):
    # Given DynamoDB throttling every write, even after the client's own retries
    recover = _fail_writes_with(rate_stack, "ProvisionedThroughputExceededException")
    body = {**WINDOW_RATING, "rating_id": "busy-0001", **({"case_no": case_no} if case_no else {})}
    answer = api.http.post("/v1/ratings", headers=CHANNEL, body=json.dumps(body))
    # Then the channel is told to retry, and nothing is stored
    assert answer.status_code == 429 and json.loads(answer.body)["error"] == "throttled"
    assert answer.headers["Retry-After"] == "1"
    assert rate_stack.raw_rating("busy-0001") is None
    # When the store recovers, the same request is accepted once
    recover()
    assert post_rating(api, body)[0] == 201


def test_an_unexpected_failure_is_a_500_in_the_contract_shape_without_personal_data(api, rate_stack, caplog):
    _fail_writes_with(rate_stack, "InternalServerError")
    status, error = post_rating(api, {**WINDOW_RATING, "rating_id": "broken-0001"})
    assert status == 500 and error["error"] == "internal" and error["message"]
    logged = json.dumps([r.__dict__ for r in caplog.records], default=str, ensure_ascii=False)
    assert "13912345678" not in logged and "王五" not in logged


def test_a_transaction_conflict_on_the_case_is_a_429_to_retry(api, rate_stack):
    def conflict(**_):
        reasons = [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "injected"}]
        error = {"Code": "TransactionCanceledException", "Message": "injected"}
        return _Answer(), {
            "Error": error,
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    rate_stack.dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", conflict)
    status, error = post_rating(api, {**WINDOW_RATING, "rating_id": "race-0001", "case_no": "GZ2026-RACE"})
    assert (status, error["error"]) == (429, "throttled")


def test_a_person_token_beside_a_channel_key_changes_nothing_for_that_key(rate_stack):
    from functions.core.http.app import Access, ProjectApp
    from functions.core.http.auth import caller_from_context
    from infra.local.gateway import LocalApiGateway
    from tests.gateway import TEST_API_KEYS

    # Given a CHANNEL route behind the channel authorizer, cached per x-api-key for 5 minutes (as API
    # Gateway caches it; the local gateway runs the same handler and cache)
    app = ProjectApp("channel-only")

    @app.route("/v1/channel-only", methods=["GET"], access=Access.CHANNEL)
    def who() -> dict:
        caller = caller_from_context(app.current_request.context)
        return {"channel": caller.channel_label, "role": caller.role and caller.role.value}

    gateway = GatewayClient(LocalApiGateway([app], api_keys=TEST_API_KEYS))
    key = {"x-api-key": CHANNEL["x-api-key"]}
    # When one request sends the channel's key and a valid person token, and another a broken token
    for token in (rate_stack.token("admin", None), {"authorization": "Bearer not-a-token"}):
        answer = gateway.http.get("/v1/channel-only", headers={**key, **token})
        # Then it is decided on what it carries (the channel authorizer caches nothing) ...
        assert answer.status_code in (200, 401), answer.body
        # ... and the channel's next requests, with its key alone, are the channel's too within the cache
        alone = gateway.http.get("/v1/channel-only", headers=key)
        assert alone.status_code == 200 and json.loads(alone.body)["channel"] is not None
