"""The SMS function on moto: cases, invitations through SNS → SQS → the sender into the local outbox,
replies that become ratings through the rate function's service, notifications; with a clock the tests
move (quiet hours, expiry)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from functions.core.domain.errors import Conflict, UnknownSubject, ValidationFailed
from functions.core.domain.ratings import RaterInput
from functions.core.settings import RatingIntakeSettings
from functions.core.storage.tables import TABLES
from functions.index.settings import IndexSettings
from functions.rate import wiring as rate_wiring
from functions.rate.settings import RateSettings
from functions.sms import handlers
from functions.sms import wiring as sms_wiring
from functions.sms.outbound import LocalOutbox
from functions.sms.wiring import SmsSettings
from infra.local.pollers import SQSPoller
from infra.provinces import GUIZHOU, demo_directory_csv

PREFIX = "it"
CST = timezone(timedelta(hours=8))
DAY = datetime(2026, 10, 12, 10, 0, tzinfo=CST)  # a Monday morning, outside quiet hours
PHONE = "13912345678"
OTHER_PHONE = "13812345678"


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SmsStack:
    runtime: sms_wiring.Runtime
    clock: FakeClock
    outbox: LocalOutbox
    sender_poller: SQSPoller
    notifications_poller: SQSPoller
    sns: Any
    topics: dict[str, str]
    dynamodb: Any
    settings: RatingIntakeSettings
    index_settings: IndexSettings

    def case(self, case_no: str, phone: str = PHONE, **changes: Any) -> dict[str, Any]:
        body = {
            "case_no": case_no,
            "item": "I5201000101",
            "department": "D52010001",
            "region": "520100",
            "window": "W5201000101",
            "applicant_phone": phone,
            "completed_at": (self.clock.now - timedelta(minutes=5)).isoformat(),
            **changes,
        }
        return self.runtime.service.record_case({k: v for k, v in body.items() if v is not None})

    def reply(self, body: str, phone: str = PHONE) -> dict[str, Any]:
        self._n = getattr(self, "_n", 0) + 1
        return self.runtime.service.receive({"from": phone, "body": body}, message_id=f"m{self._n}")

    def texts(self) -> list[dict[str, str]]:
        """Delivers what is queued, then everything the phone network has carried so far."""
        while self.sender_poller.poll_once():
            pass
        return self.outbox.messages()

    def rating(self, rating_id: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(
            TableName=self.settings.ratings_table, Key={"rating_id": {"S": rating_id}}
        ).get("Item")


@pytest.fixture
def sms(moto_aws: None) -> Iterator[SmsStack]:
    dynamodb = boto3.client("dynamodb")
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_request(spec.physical_name(PREFIX)))
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topics = {name: sns.create_topic(Name=name)["TopicArn"] for name in ("sms-outbound", "ticket-events")}
    queues = {}
    for name, topic in (("sms-send", "sms-outbound"), ("sms-notifications", "ticket-events")):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topics[topic], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        queues[name] = (url, arn)
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{PREFIX}/personal-data", SecretString=base64.b64encode(b"p" * 32).decode()
    )
    env = {
        "TABLE_PREFIX": PREFIX,
        "PROVINCE_CONFIG": GUIZHOU.to_json(),
        "PERSONAL_DATA_SECRET_ARN": secret["ARN"],
        "DIRECTORY_JOBS_QUEUE_URL": sqs.create_queue(QueueName="directory-jobs")["QueueUrl"],
    }
    settings = RatingIntakeSettings.from_env(env)
    rate_runtime = rate_wiring.build(RateSettings.from_env(env), dynamodb)
    rate_runtime.directory.import_csv(demo_directory_csv("guizhou"))
    clock = FakeClock(DAY)
    sms_wiring.clock.use(clock)  # type: ignore[arg-type]
    outbox = LocalOutbox()
    sms_wiring.outbox.use(outbox)
    sms_settings = SmsSettings.from_env(
        {"TABLE_PREFIX": PREFIX, "SMS_PROVIDER": "local", "SMS_OUTBOUND_TOPIC_ARN": topics["sms-outbound"]}
    )
    runtime = sms_wiring.build(settings, sms_settings, dynamodb, sns)
    index_settings = IndexSettings.from_env(env)
    runtime.service.ratings.clock = clock  # type: ignore[attr-defined]
    sms_wiring.use(runtime)
    rate_wiring.use(rate_runtime)
    try:
        yield SmsStack(
            runtime=runtime,
            clock=clock,
            outbox=outbox,
            sender_poller=SQSPoller(sqs, *queues["sms-send"], handlers.send, function_name="sms-sender"),
            notifications_poller=SQSPoller(
                sqs, *queues["sms-notifications"], handlers.notifications, function_name="sms-notifications"
            ),
            sns=sns,
            topics=topics,
            dynamodb=dynamodb,
            settings=settings,
            index_settings=index_settings,
        )
    finally:
        sms_wiring.use(None)
        sms_wiring.clock.use(None)
        sms_wiring.outbox.use(None)
        rate_wiring.use(None)


def test_a_completed_case_invites_its_applicant_and_a_reply_becomes_an_sms_rating(sms: SmsStack) -> None:
    answer = sms.case("GY-2026-0001")
    assert answer == {"case_no": "GY-2026-0001", "invitation": "sent"}
    [invitation] = sms.texts()
    assert invitation["to"] == PHONE and invitation["purpose"] == "invitation"
    assert "企业开办一件事" in invitation["body"] and "贵阳市政务服务中心" in invitation["body"]
    assert "GY-2026-0001" in invitation["body"]

    outcome = sms.reply("２ 等了两个小时")
    assert outcome["outcome"] == "rated" and outcome["ticket_id"] == f"tk-{outcome['rating_id']}"
    item = sms.rating(outcome["rating_id"])
    assert item is not None
    assert item["channel"]["S"] == "sms" and item["satisfaction"]["N"] == "2"
    assert item["comment"]["S"] == "等了两个小时" and item["case_no"]["S"] == "GY-2026-0001"
    assert "department#D52010001" in [p["S"] for p in item["paths"]["L"]]
    assert PHONE not in json.dumps(item, default=str)
    thanks = sms.texts()[-1]
    assert thanks["purpose"] == "thanks" and thanks["to"] == PHONE

    # The case is now rated: another channel cannot rate it again.
    with pytest.raises(Exception) as refused:
        rate_wiring.runtime().ratings.accept(
            {
                "channel": "hall_pad",
                "satisfaction": 5,
                "subjects": {"department": "D52010001"},
                "case_no": "GY-2026-0001",
            }
        )
    assert type(refused.value).__name__ == "CaseAlreadyRated"
    # A second reply finds no open invitation: answered, stored nowhere.
    assert sms.reply("5")["outcome"] == "no_invitation"


def test_the_same_case_again_invites_once_and_other_content_is_a_conflict(sms: SmsStack) -> None:
    first = sms.case("GY-2026-0002")
    again = sms.case("GY-2026-0002")
    assert first["invitation"] == "sent" and again["invitation"] == "already_invited"
    assert [t["purpose"] for t in sms.texts()] == ["invitation"]
    with pytest.raises(Conflict):
        sms.case("GY-2026-0002", phone=OTHER_PHONE)


def test_bad_cases_are_refused_before_anything_is_stored(sms: SmsStack) -> None:
    with pytest.raises(ValidationFailed) as missing:
        sms.case("GY-BAD-1", phone=None)
    assert "applicant_phone" in missing.value.fields
    with pytest.raises(ValidationFailed):
        sms.case("GY-BAD-2", phone="+85291234567")
    with pytest.raises(UnknownSubject):
        sms.case("GY-BAD-3", item="I9999999999")
    with pytest.raises(UnknownSubject):  # an item of another department
        sms.case("GY-BAD-4", item="I5201000201")
    assert sms.dynamodb.scan(TableName=sms.settings.cases_table)["Count"] == 0
    assert sms.texts() == []


def test_a_case_already_rated_on_another_channel_gets_no_invitation(sms: SmsStack) -> None:
    rate_wiring.runtime().ratings.accept(
        {
            "channel": "hall_pad",
            "satisfaction": 5,
            "subjects": {"department": "D52010001"},
            "case_no": "GY-R-1",
        }
    )
    assert sms.case("GY-R-1")["invitation"] == "already_rated"
    assert sms.texts() == []


def test_quiet_hours_hold_an_invitation_until_morning(sms: SmsStack) -> None:
    sms.clock.now = datetime(2026, 10, 12, 22, 30, tzinfo=CST)
    answer = sms.case("GY-Q-1")
    assert answer["invitation"] == "scheduled" and answer["send_after"] == "2026-10-13T08:00:00+08:00"
    assert sms.runtime.service.release_due() == 0
    assert sms.texts() == []
    assert sms.reply("5")["outcome"] == "no_invitation"  # nothing was sent yet
    sms.clock.now = datetime(2026, 10, 13, 8, 0, tzinfo=CST)
    assert sms.runtime.service.release_due() == 1
    assert sms.runtime.service.release_due() == 0
    texts = sms.texts()
    assert [t["purpose"] for t in texts] == ["no_invitation", "invitation"]
    assert sms.reply("5")["outcome"] == "rated"


def test_an_invitation_expires_after_the_provinces_period(sms: SmsStack) -> None:
    sms.case("GY-E-1")
    sms.clock.now += timedelta(days=GUIZHOU.sms.invitation_valid_days, seconds=1)
    assert sms.reply("4")["outcome"] == "expired"
    assert sms.texts()[-1]["purpose"] == "expired"


def test_unparseable_replies_get_one_help_text(sms: SmsStack) -> None:
    sms.case("GY-H-1")
    assert sms.reply("你好")["outcome"] == "help"
    assert sms.reply("？？")["outcome"] == "ignored"
    assert [t["purpose"] for t in sms.texts()] == ["invitation", "help"]
    assert sms.reply("非常满意")["outcome"] == "rated"


def test_opting_out_stops_invitations(sms: SmsStack) -> None:
    sms.case("GY-O-1")
    assert sms.reply("退订")["outcome"] == "opted_out"
    assert sms.reply("5")["outcome"] == "no_invitation"
    assert sms.case("GY-O-2")["invitation"] == "opted_out"
    assert [t["purpose"] for t in sms.texts()] == ["invitation", "opted_out", "no_invitation"]


def test_several_open_invitations_are_rated_newest_first(sms: SmsStack) -> None:
    sms.case("GY-M-1", item="I5201000102")
    sms.clock.now += timedelta(minutes=1)
    sms.case("GY-M-2")
    first = sms.reply("5 很快")
    assert first["case_no"] == "GY-M-2"
    thanks = sms.texts()[-1]
    assert "GY-M-1" in thanks["body"] and "新生儿出生一件事" in thanks["body"]
    assert sms.reply("3")["case_no"] == "GY-M-1"


def test_ticket_events_become_texts_to_the_department_the_supervisor_and_the_rater(sms: SmsStack) -> None:
    sms.case("GY-T-1")
    rated = sms.reply("1 态度差")
    ticket_id, rating_id = rated["ticket_id"], rated["rating_id"]
    for event in ("opened", "escalated", "replied", "opened"):  # the last: a duplicate delivery
        sms.sns.publish(
            TopicArn=sms.topics["ticket-events"],
            Message=json.dumps(
                {
                    "event": event,
                    "ticket_id": ticket_id,
                    "rating_id": rating_id,
                    "department": "D52010001",
                    "supervisor": "520100000000",
                    "stage": "contact",
                    "due": "2026-10-13T16:00:00Z",
                }
            ),
        )
    while sms.notifications_poller.poll_once():
        pass
    texts = sms.texts()
    by_purpose = {t["purpose"]: t for t in texts}
    assert by_purpose["ticket"]["to"] == GUIZHOU.sms.contacts["department#D52010001"]
    assert ticket_id in by_purpose["ticket"]["body"] and "2026-10-14 00:00" in by_purpose["ticket"]["body"]
    assert by_purpose["escalation"]["to"] == GUIZHOU.sms.contacts["region#520100000000"]
    assert by_purpose["reply"]["to"] == PHONE
    assert [t["purpose"] for t in texts].count("ticket") == 1


def test_a_text_the_provider_keeps_refusing_lands_in_the_dead_letter_queue(sms: SmsStack) -> None:
    # Given a sending queue that gives up after two receives, and a provider that is down
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="sms-dlq-probe")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="sms-send-probe",
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sms.sns.subscribe(
        TopicArn=sms.topics["sms-outbound"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    class Down:
        calls = 0

        def send(self, phone: str, body: str, purpose: str, now: datetime) -> None:
            Down.calls += 1
            raise ConnectionError("provider unreachable")

    sms.runtime.sender.provider = Down()
    poller = SQSPoller(sqs, url, arn, handlers.send, function_name="sms-sender")

    # When an invitation is published and delivery keeps failing
    sms.case("GY-DLQ-1")
    for _ in range(4):
        poller.poll_once()

    # Then it was tried, nothing was marked sent, and the text waits in the dead-letter queue
    assert Down.calls == 2
    assert not sms.runtime.store.was_sent("invitation:GY-DLQ-1")
    [dead] = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    message = json.loads(dead["Body"])
    assert message["key"] == "invitation:GY-DLQ-1" and PHONE not in dead["Body"]
    assert set(message["to"]) == {"sealed"}


def test_completed_and_rated_cases_give_the_active_rating_rate_exactly_once(sms: SmsStack) -> None:
    from functions.index import case_counts
    from functions.index import wiring as index_wiring
    from functions.index.figures import figures_view, parse_period
    from tests.integration.stream_pump import StreamPump, batches

    # Given four completed cases of one department: rated by SMS, rated on a tablet before the case
    # system reported it, rated on a tablet after, and one not rated; and a rated case never reported
    pump = StreamPump(sms.dynamodb, sms.settings.cases_table)
    rate = rate_wiring.runtime().ratings.accept

    def accept(body: dict[str, Any]) -> Any:
        # Rated at the SMS clock's time, within the cases' rating period (the demo's 15 days).
        return rate({**body, "rated_at": sms.clock.now.isoformat()})

    sms.case("GY-A-1")
    sms.reply("5")
    accept(
        {
            "channel": "hall_pad",
            "satisfaction": 4,
            "subjects": {"department": "D52010001"},
            "case_no": "GY-A-2",
        }
    )
    sms.case("GY-A-2", phone=OTHER_PHONE)
    sms.case("GY-A-3", phone="13700000003")
    accept(
        {
            "channel": "hall_pad",
            "satisfaction": 3,
            "subjects": {"department": "D52010001"},
            "case_no": "GY-A-3",
        }
    )
    sms.case("GY-A-4", phone="13700000004")
    accept(
        {
            "channel": "hall_pad",
            "satisfaction": 5,
            "subjects": {"department": "D52010001"},
            "case_no": "GY-A-5",
        }
    )

    # When the cases stream is counted, and its batches delivered again (Lambda's at-least-once)
    index_runtime = index_wiring.build(sms.index_settings, sms.dynamodb)
    index_wiring.use(index_runtime)
    try:
        records = pump.take()
        for event in [*batches(records, 3), *batches(records, 100)]:
            assert case_counts.handler(event, None) == {"batchItemFailures": [], "state": {}}
        period = parse_period(None, None)

        def figures(subject: str) -> dict[str, Any]:
            kind, _, code = subject.partition("#")
            counts = index_runtime.figures.counts(subject, period)
            return figures_view(kind, code, period, counts, GUIZHOU.index)

        # Then every subject on the cases' paths has 4 completed cases, 3 of them rated
        for subject in (
            "department#D52010001",
            "item#I5201000101",
            "region#520100000000",
            "region#520000000000",
        ):
            seen = figures(subject)
            assert (seen["completed_cases"], seen["rated_cases"]) == (4, 3), subject
            assert seen["active_rating_rate"] == 0.75
        # and a subject not on them has none
        assert figures("department#D52010002")["active_rating_rate"] is None
    finally:
        index_wiring.use(None)


def test_the_http_provider_posts_each_text_and_fails_on_a_refusal() -> None:
    """The China-region adapter against a real HTTP server standing in for the domestic SMS gateway."""
    import threading
    import urllib.error
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from functions.sms.outbound import HttpSmsProvider

    received: list[tuple[str, dict[str, Any]]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers["Authorization"], body))
            self.send_response(503 if body["text"] == "refuse" else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = HttpSmsProvider(f"http://127.0.0.1:{server.server_port}/send", "gateway-key")
        provider.send(PHONE, "您好", "invitation", DAY)
        with pytest.raises(urllib.error.HTTPError):  # the sender's record fails: retried, then dead-lettered
            provider.send(PHONE, "refuse", "help", DAY)
    finally:
        server.shutdown()
    assert received[0] == ("Bearer gateway-key", {"phone": PHONE, "text": "您好"})
    with pytest.raises(ValueError):
        HttpSmsProvider("http://sms.example.cn/send", "k")  # only https leaves the machine


def test_the_china_provider_reads_its_key_from_the_sms_provider_key_secret_at_each_text(
    moto_aws: None,
) -> None:
    """Deployed in China the sender texts through the HTTP gateway with the key the operator put in the
    `sms-provider-key` secret (SMS_PROVIDER_KEY_SECRET_ARN), never a key in the environment; the key is
    read when a text leaves, so building the sender (every SMS function does) touches no secret."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from functions.sms.wiring import provider_for

    authorizations: list[str] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            authorizations.append(self.headers["Authorization"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = SmsSettings.from_env(
            {
                "TABLE_PREFIX": PREFIX,
                "SMS_OUTBOUND_TOPIC_ARN": "arn:aws-cn:sns:cn-northwest-1:123456789012:it-sms-outbound",
                "SMS_PROVIDER": "http",
                "SMS_PROVIDER_URL": f"http://127.0.0.1:{server.server_port}/send",
                "SMS_PROVIDER_KEY_SECRET_ARN": f"{PREFIX}/sms-provider-key",
            }
        )
        provider = provider_for(config)  # no secret exists yet: nothing asked Secrets Manager
        boto3.client("secretsmanager").create_secret(
            Name=f"{PREFIX}/sms-provider-key", SecretString="operator-issued-key\n"
        )
        provider.send(PHONE, "您好", "invitation", DAY)
    finally:
        server.shutdown()
    assert authorizations == ["Bearer operator-issued-key"]


def test_a_two_way_sms_reply_delivered_by_the_sns_subscription_becomes_a_rating(sms: SmsStack) -> None:
    """What the `sms-inbound` topic's Lambda subscription delivers (infra/topology.py, kind "sns"): the
    reply is a rating, delivered twice it is still one, and a text we cannot take is dropped."""

    def sns_event(message: dict[str, Any], message_id: str) -> dict[str, Any]:
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "Sns": {"Type": "Notification", "MessageId": message_id, "Message": json.dumps(message)},
                }
            ]
        }

    sms.case("GY-2026-0900")
    reply = {
        "originationNumber": f"+86{PHONE}",
        "destinationNumber": "+8610690000",
        "messageBody": "４ 办得快",
        "inboundMessageId": "in-1",
    }
    handlers.inbound(sns_event(reply, "sns-1"), None)
    handlers.inbound(sns_event(reply, "sns-2"), None)  # SNS delivers at least once
    ratings = [
        item
        for item in sms.dynamodb.scan(TableName=sms.settings.ratings_table)["Items"]
        if item.get("case_no", {}).get("S") == "GY-2026-0900"
    ]
    assert len(ratings) == 1
    assert ratings[0]["channel"]["S"] == "sms" and ratings[0]["satisfaction"]["N"] == "4"
    assert ratings[0]["comment"]["S"] == "办得快"
    # Not a mainland number: refused and dropped (a retry would only fail again), nothing raised.
    handlers.inbound(
        sns_event({**reply, "originationNumber": "+4915112345678", "inboundMessageId": "x"}, "s"), None
    )


def test_a_reply_delivered_twice_rates_one_case_once(sms: SmsStack) -> None:
    # Given a phone with two open invitations
    sms.case("GY-R-1", item="I5201000102")
    sms.clock.now += timedelta(minutes=1)
    sms.case("GY-R-2")
    sms.texts()
    # When the network delivers the same message (one provider message id) twice
    message = {"from": "+86" + PHONE, "body": "1 太慢了"}
    first = sms.runtime.service.receive(dict(message), message_id="provider-msg-1")
    again = sms.runtime.service.receive(dict(message), message_id="provider-msg-1")
    # Then the newest case is rated once, the other stays open, and one thanks naming the case is sent
    assert first["outcome"] == "rated" and first["case_no"] == "GY-R-2"
    assert again == {"outcome": "duplicate", "case_no": "GY-R-2"}
    from functions.sms.service import sms_rating_id

    assert sms.rating(sms_rating_id("GY-R-2")) is not None
    assert sms.rating(sms_rating_id("GY-R-1")) is None
    answers = [t for t in sms.texts() if t["purpose"] == "thanks"]
    assert len(answers) == 1 and "GY-R-2" in answers[0]["body"]
    # And another message from the same phone rates the next case
    assert sms.runtime.service.receive(dict(message), message_id="provider-msg-2")["case_no"] == "GY-R-1"


def test_a_redelivery_after_a_crash_between_binding_and_rating_finishes_the_same_case(
    sms: SmsStack,
) -> None:
    sms.case("GY-C-1", item="I5201000102")
    sms.clock.now += timedelta(minutes=1)
    sms.case("GY-C-2")
    # Given the first delivery bound the message to the newest case, then crashed before rating it
    invitations = sms.runtime.service.store.invitations(
        sms.runtime.service.protector.protect(RaterInput("person", PHONE, None, None)).phone_hash
    )
    newest = max(invitations, key=lambda i: (i.sent_at or i.created_at, i.case_no))
    sms.runtime.service.store.claim_message(
        "provider-msg-9", newest.phone_hash, newest.case_no, sms.clock.now
    )
    # When it is delivered again, after another invitation was sent
    sms.clock.now += timedelta(minutes=1)
    sms.case("GY-C-3")
    outcome = sms.runtime.service.receive({"from": PHONE, "body": "4"}, message_id="provider-msg-9")
    # Then it rates the case the first delivery chose
    assert outcome["outcome"] == "rated" and outcome["case_no"] == "GY-C-2"
