"""The upward export on moto, with the stand-in receivers of both shipped mappings in process: ratings,
follow-ups, invalidated ratings and rectified tickets go up from the ratings stream; a receiver down for
a day, answering "already received", rejecting, losing records, with its clock behind; the day's status
and reconciliation; and the records received equal an independent recount of the stored ratings."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.export import stream, wire
from functions.export import wiring as export_wiring
from functions.export.receiver import ReceiverTimeout, StandInReceiver
from functions.export.settings import ExportSettings
from functions.export.sync import State
from functions.export.targets import national_gbt39046, provincial_interface, targets_to_json
from functions.rate import wiring as rate_wiring
from infra.local.gateway import LocalApiGateway
from tests.gateway import TEST_API_KEYS, GatewayClient
from tests.integration.conftest import post_rating
from tests.integration.stream_pump import StreamPump, batches

KEY = base64.b64encode(b"k" * 32).decode()
DEPT = "D52010001"  # 贵阳市政务服务中心 (its national code is in the demo directory)
ITEM = "I5201000101"  # has a national code
ITEM_WITHOUT_CODE = "I5201000102"
WINDOW = "W5201000101"


class Clock:
    """Our side's clock, which the tests move (the receivers read it too, with their own skew)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class ExportStack:
    rating_stack: Any
    api: Any
    runtime: export_wiring.Runtime
    receivers: dict[str, StandInReceiver]
    clock: Clock
    pump: StreamPump
    counted: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)

    @property
    def service(self) -> Any:
        return self.runtime.service

    def deliver(self, replays: int = 1) -> int:
        """The ratings stream's new records to the export's stream handler (`replays` times each)."""
        records = self.pump.take()
        for _ in range(replays):
            for event in batches(records, 100):
                assert stream.handler(event, None) == {"batchItemFailures": []}
        return len(records)

    def send(self, target: str, runs: int = 1, step: float = 0.0) -> list[dict[str, int]]:
        tallies = []
        for _ in range(runs):
            tallies.append(self.service.send_due(target))
            self.clock.advance(step)
        return tallies

    def settle(self, seconds: float = 301) -> None:
        """Time passes beyond the targets' skew margin, then the senders run until nothing is due."""
        self.clock.advance(seconds)
        for target in self.service.targets:
            for _ in range(10):
                if self.service.send_due(target)["sent"] == 0:
                    break

    def rate(self, rating_id: str, **fields: Any) -> None:
        body = {
            "rating_id": rating_id,
            "channel": "hall_pad",
            "satisfaction": 5,
            "subjects": {"department": DEPT, "item": ITEM, "window": WINDOW},
            **fields,
        }
        status, answer = post_rating(self.api, body)
        assert status == 201, answer

    def ledger(self, target: str) -> dict[str, Any]:
        return {f"{r.rating_id}#{r.part}": r for r in self.runtime.ledger.of_day(target, self.today)}

    @property
    def today(self) -> str:
        return _today()

    def set_rating(self, rating_id: str, expression: str, values: dict[str, Any]) -> None:
        """What the tickets function writes onto the rating (its outcome, an appeal's validity)."""
        self.rating_stack.dynamodb.update_item(
            TableName=self.rating_stack.settings.ratings_table,
            Key={"rating_id": {"S": rating_id}},
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )


def _today() -> str:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


@pytest.fixture
def export(rate_stack: Any, api: Any) -> Iterator[ExportStack]:
    allowing = replace(
        rate_stack.settings, province=replace(rate_stack.settings.province, allow_follow_up=True)
    )
    rate_wiring.use(rate_wiring.build(allowing, rate_stack.dynamodb))
    secret = boto3.client("secretsmanager").create_secret(Name="it/export-target-key", SecretString=KEY)
    queue = boto3.client("sqs").create_queue(QueueName="it-export-reconcile")["QueueUrl"]
    targets = (
        national_gbt39046(
            "national",
            "http://127.0.0.1/national/records",
            "152",
            statistics_endpoint="http://127.0.0.1/national/statistics",
            batch_size=2,
            max_records_per_run=5,
        ),
        provincial_interface("hub", "http://127.0.0.1/hub/records", "152", signing="sm3-sm4", app_mark="gz"),
    )
    env = {
        **rate_stack.env,
        "EXPORT_TARGETS": targets_to_json(targets),
        "EXPORT_TARGET_KEY_SECRET_ARN": secret["ARN"],
        "EXPORT_RECONCILE_QUEUE_URL": queue,
        "DIRECTORY_CACHE_SECONDS": "0",  # a fixed code is seen at once (deployed: within five minutes)
    }
    settings = ExportSettings.from_env(env)
    clock = Clock()
    key = base64.b64decode(KEY)
    receivers = {t.name: StandInReceiver(t, key, clock=clock) for t in targets}

    def post(url: str, body: bytes, headers: Any, timeout: float) -> wire.Exchange:
        try:
            return receivers[url.split("/")[3]].receive(body, dict(headers))
        except ReceiverTimeout:
            raise TimeoutError("timed out") from None

    def get(url: str, timeout: float) -> wire.Exchange:
        name, day = url.split("/")[3], url.rsplit("date=", 1)[1]
        return wire.Exchange(200, {}, json.dumps(receivers[name].statistics(day)).encode())

    stack = ExportStack(
        rate_stack,
        api,
        None,
        receivers,
        clock,
        StreamPump(rate_stack.dynamodb, rate_stack.settings.ratings_table),
    )  # type: ignore[arg-type]
    stack.runtime = export_wiring.build(
        settings,
        rate_stack.dynamodb,
        post=post,
        get=get,
        count=lambda name, value=1, **dims: stack.counted.append((name, value, dims)),
        clock=clock,
    )
    export_wiring.use(stack.runtime)
    try:
        yield stack
    finally:
        export_wiring.use(None)


def test_ratings_follow_ups_invalidations_and_rectifications_reach_both_targets_once(export):
    # Given a good rating, a bad one with words, its follow-up, and one of an item without a national code
    export.rate("good-0001", case_no="GY-0001")
    export.rate("bad-0001", satisfaction=1, case_no="GY-0002", comment="等了两小时", tags=["排队时间长"])
    export.rate("bad-0001-f", satisfaction=2, case_no="GY-0002", follow_up=True, comment="还是慢")
    export.rate("held-0001", subjects={"department": DEPT, "item": ITEM_WITHOUT_CODE})

    # When the stream delivers them (twice: a replay changes nothing) and time passes the skew margin
    # (five records: the follow-up also marks the rating it replaces, which changes nothing upward)
    assert export.deliver(replays=2) == 5
    export.settle()

    # Then the national platform holds each rating once, and the hub each service and evaluation once
    national = {r["natural_key"]: r for r in export.receivers["national"].records()}
    assert sorted(national) == ["GY-0001#1", "GY-0002#1", "GY-0002#2"]
    assert {r["version"] for r in national.values()} == {1}
    hub = {r["natural_key"] for r in export.receivers["hub"].records()}
    assert hub == {"GY-0001#s1", "GY-0001#1", "GY-0002#s1", "GY-0002#1", "GY-0002#2"}
    # and the rating of an item without a national code is held back, with the reason, not sent wrong
    status = export.service.status("national", export.today)
    assert status["held"] == [
        {
            "rating_id": "held-0001",
            "part": "record",
            "reason": f"item {ITEM_WITHOUT_CODE} has no national code",
        }
    ]
    assert (status["acknowledged"], status["pending"], status["sent"]) == (3, 0, 0)

    # When the bad rating's ticket is rectified and the good one turns invalid on appeal
    export.set_rating(
        "bad-0001",
        "SET ticket = :t",
        {":t": {"M": {"status": {"S": "closed"}, "rectified": {"BOOL": True}, "replied": {"BOOL": True}}}},
    )
    export.set_rating("good-0001", "SET valid = :f", {":f": {"BOOL": False}})
    export.deliver()
    export.settle()

    # Then they go up as updates of the same records: same identity, next version, op U
    national = {r["natural_key"]: r for r in export.receivers["national"].records()}
    assert (
        national["GY-0002#1"]["version"] == 2 and national["GY-0002#1"]["record"]["整改"]["rectified"] == "1"
    )
    assert national["GY-0001#1"]["record"]["有效"] == "0" and national["GY-0001#1"]["record"]["op"] == "U"
    assert len(national) == 3
    evaluation = next(r for r in export.receivers["hub"].records() if r["natural_key"] == "GY-0002#1")
    assert (evaluation["version"], evaluation["record"]["zgjg"]) == (2, "1")


def test_the_records_received_equal_an_independent_recount_of_the_stored_ratings(export):
    # Given ratings on several channels and levels
    for n, (channel, level) in enumerate(
        [("hall_pad", 5), ("pc", 4), ("mobile", 5), ("sms", 3), ("qrcode", 2), ("pc", 5)]
    ):
        export.rate(f"mix-{n:04d}", channel=channel, satisfaction=level, comment="说明")
    export.deliver()
    export.settle()

    # When the stored ratings are recounted by the national target's codes, without the mapping code
    names = {
        "pc": "PC端",
        "mobile": "移动服务端",
        "qrcode": "二维码",
        "hall_pad": "政务大厅平板电脑",
        "sms": "短信",
    }
    recount: dict[str, int] = {}
    for item in export.rating_stack.dynamodb.scan(TableName=export.rating_stack.settings.ratings_table)[
        "Items"
    ]:
        key = "|".join(
            (item["region"]["S"][:9], names[item["channel"]["S"]], str(6 - int(item["satisfaction"]["N"])))
        )
        recount[key] = recount.get(key, 0) + 1

    # Then the target's own counts, and our ledger's, equal it
    assert export.receivers["national"].statistics(export.today)["counts"] == recount
    status = export.service.status("national", export.today)
    assert status["counts"] == dict(sorted(recount.items()))
    assert status["digest"] == export.receivers["national"].statistics(export.today)["digest"]


def test_a_receiver_down_for_a_day_is_caught_up_in_bounded_batches_each_record_acknowledged_once(export):
    # Given the national platform down and twelve ratings waiting
    export.receivers["national"].configure("down")
    for n in range(12):
        export.rate(f"down-{n:04d}")
    export.deliver()
    export.clock.advance(301)

    # When the sender runs through the day, its tries back off and nothing is acknowledged
    tallies = export.send("national", runs=48, step=1800)
    assert all(t["sent"] <= 5 for t in tallies)  # the target's limit per run
    status = export.service.status("national", export.today)
    assert (status["acknowledged"], status["sent"]) == (0, 12)
    # each record backed off to the target's cap (an hour): tried at most once an hour, not every run
    attempts = [r.attempts for r in export.ledger("national").values()]
    assert max(attempts) <= 24 + 6 and sum(attempts) <= sum(t["sent"] for t in tallies)

    # When it is back the next day
    export.receivers["national"].configure("ok")
    export.clock.advance(3600)
    tallies = export.send("national", runs=5)

    # Then it is caught up at its rate, in batches of its size, every record acknowledged once
    assert [t["sent"] for t in tallies[:3]] == [5, 5, 2]
    assert [t["requests"] for t in tallies[:3]] == [3, 3, 1]
    assert len(export.receivers["national"].records()) == 12
    status = export.service.status("national", export.today)
    assert (status["acknowledged"], status["duplicates"], status["pending"], status["sent"]) == (12, 0, 0, 0)


def test_already_received_counts_as_acknowledged(export):
    export.rate("dup-0001")
    export.deliver()
    export.receivers["national"].configure("duplicate")
    export.settle()
    record = export.ledger("national")["dup-0001#record"]
    assert record.state is State.DUPLICATE and record.state.acknowledged
    status = export.service.status("national", export.today)
    assert (status["acknowledged"], status["duplicates"]) == (1, 1)


def test_a_rejected_record_keeps_its_reason_and_is_re_sent_once_its_data_is_fixed(export):
    # Given a department whose national code the target does not accept (not an 18-character code)
    directory = rate_wiring.runtime().directory
    directory.put(
        "department",
        "D52010002",
        {"name": "贵阳市人力资源和社会保障局", "parent": "520100000000", "national_code": "WRONG1"},
    )
    export.rate("rej-0001", subjects={"department": "D52010002"})
    export.deliver()
    export.settle()

    # Then it is rejected with the target's own words
    status = export.service.status("national", export.today)
    assert status["rejected"] == [
        {
            "rating_id": "rej-0001",
            "part": "record",
            "reason": "字段部门编码校验不通过: does not match [0-9A-Z]{18}",
        }
    ]

    # When the code is fixed and the day reconciled, it goes up again under the same identity
    directory.put(
        "department",
        "D52010002",
        {
            "name": "贵阳市人力资源和社会保障局",
            "parent": "520100000000",
            "national_code": "11520100020000MB7X",
        },
    )
    summary = export.service.reconcile("national", export.today)
    assert summary["remapped"] == 1
    export.settle()
    record = export.ledger("national")["rej-0001#record"]
    assert (record.state, record.version) == (State.ACKNOWLEDGED, 2)
    assert [r["record"]["部门编码"] for r in export.receivers["national"].records()] == ["11520100020000MB7X"]


def test_a_held_rating_goes_up_once_its_item_has_a_national_code(export):
    export.rate("held-0002", subjects={"department": DEPT, "item": ITEM_WITHOUT_CODE})
    export.deliver()
    export.settle()
    assert export.ledger("national")["held-0002#record"].state is State.HELD
    assert export.receivers["national"].records() == []
    directory = rate_wiring.runtime().directory
    directory.put(
        "item", ITEM_WITHOUT_CODE, {"name": "新生儿出生一件事", "parent": DEPT, "national_code": "1" * 31}
    )
    export.service.reconcile("national", export.today)
    export.settle()
    assert export.ledger("national")["held-0002#record"].state is State.ACKNOWLEDGED
    assert [r["record"]["事项编码"] for r in export.receivers["national"].records()] == ["1" * 31]


def test_reconciliation_finds_a_record_the_receiver_lost_and_re_sends_it(export):
    for n in range(3):
        export.rate(f"lost-{n:04d}")
    export.deliver()
    export.settle()
    lost = export.receivers["national"].records()[1]["natural_key"]
    export.receivers["national"].configure("ok", lose=[lost])
    assert len(export.receivers["national"].records()) == 2

    summary = export.service.reconcile("national", export.today)
    assert (summary["matches"], summary["resent"]) == (False, [lost])
    export.settle(seconds=1)
    assert len(export.receivers["national"].records()) == 3
    assert export.service.reconcile("national", export.today)["matches"] is True
    assert export.service.status("national", export.today)["reconciliation"]["matches"] is True


def test_an_evaluation_waits_for_its_service_record_and_unacknowledged_records_alarm_after_t_plus_1(export):
    export.receivers["hub"].configure("timeout")
    export.rate("order-0001")
    export.deliver()
    export.settle()
    ledger = export.ledger("hub")
    assert ledger["order-0001#service"].state is State.UNKNOWN
    assert ledger["order-0001#evaluation"].state is State.PENDING  # never sent before its service
    assert export.receivers["hub"].records() == []

    # Two days later the day is still not acknowledged at the hub: the alarm's metric is counted
    export.clock.advance(2 * 86400)
    summary = export.service.reconcile("hub", export.today)
    assert summary["overdue"] is True and summary["unacknowledged"] == 2
    assert ("ExportUnacknowledged", 2, {"target": "hub"}) in export.counted


def test_a_receiver_whose_clock_is_behind_never_sees_a_rating_from_its_future(export):
    export.receivers["national"].configure("ok", clock_offset_seconds=-120)
    export.rate("skew-0001")
    export.deliver()
    export.clock.advance(60)
    assert export.send("national")[0]["sent"] == 0  # within the skew margin: not yet
    export.settle(seconds=300)
    assert export.ledger("national")["skew-0001#record"].state is State.ACKNOWLEDGED


def test_garbage_and_html_answers_are_retried_never_taken_for_acknowledgements(export):
    export.rate("garbage-0001")
    export.deliver()
    export.clock.advance(301)
    transport = export.runtime.transports["national"]
    real = transport._post  # noqa: SLF001
    answers = iter(
        [
            wire.Exchange(200, {"content-type": "text/html"}, b"<html>maintenance</html>"),
            wire.Exchange(200, {}, b"{not json"),
        ]
    )
    transport._post = lambda *args: next(answers, None) or real(*args)  # noqa: SLF001
    export.send("national", runs=3, step=600)
    record = export.ledger("national")["garbage-0001#record"]
    assert (record.state, record.attempts) == (State.ACKNOWLEDGED, 0)
    assert export.receivers["national"].requests == 1


def test_the_status_and_reconcile_routes_are_for_admins(export):
    from functions.export.app import app

    client = GatewayClient(LocalApiGateway({"export": app}, api_keys=TEST_API_KEYS))
    admin = export.rating_stack.token("admin")
    answer = client.http.get(f"/v1/export/status?date={export.today}&target=national", headers=admin)
    assert answer.status_code == 200
    body = json.loads(answer.body)
    assert set(body) >= {"date", "target", "sent", "acknowledged", "pending", "rejected", "held", "digest"}
    assert (
        client.http.get("/v1/export/status?date=2026-13-01&target=national", headers=admin).status_code == 400
    )
    assert (
        client.http.get(f"/v1/export/status?date={export.today}", headers=admin).status_code == 400
    )  # two targets
    department = export.rating_stack.token("department", DEPT)
    assert (
        client.http.get(
            f"/v1/export/status?date={export.today}&target=national", headers=department
        ).status_code
        == 403
    )

    answer = client.http.post(
        "/v1/export/reconcile",
        headers={**admin, "content-type": "application/json"},
        body=json.dumps({"date": export.today, "target": "hub"}),
    )
    assert answer.status_code == 202
    messages = boto3.client("sqs").receive_message(QueueUrl=export.runtime.settings.reconcile_queue_url)[
        "Messages"
    ]
    assert json.loads(messages[0]["Body"]) == {"date": export.today, "target": "hub"}


def test_the_one_event_function_takes_the_stream_the_schedule_and_the_queue(export):
    from functions.export import handlers

    # The stream's records
    export.rate("one-0001")
    (event,) = list(batches(export.pump.take(), 100))
    assert handlers.handler(event, None) == {"batchItemFailures": []}

    # The schedule: the sender, and each past day's reconciliation once (again only after its T+1)
    export.clock.advance(301)
    scheduled = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    first = handlers.handler(scheduled, None)
    assert first["sent"]["national"]["acknowledged"] == 1
    assert len(first["reconciled"]) == 4  # two targets × (yesterday, the day before)
    assert handlers.handler(scheduled, None)["reconciled"] == {}
    export.clock.advance(86400)
    assert set(handlers.handler(scheduled, None)["reconciled"]) >= {f"national/{_today()}"}

    # The queue of POST /v1/export/reconcile
    message = {
        "messageId": "m-1",
        "receiptHandle": "r",
        "body": json.dumps({"date": _today(), "target": "hub"}),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws-cn:sqs:cn-northwest-1:123456789012:it-export-reconcile",
        "awsRegion": "cn-northwest-1",
    }
    assert handlers.handler({"Records": [message]}, None) == {"batchItemFailures": []}
    assert export.service.status("hub", _today())["reconciliation"] is not None
