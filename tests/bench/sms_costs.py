"""Texts and AWS requests per invitation and per reply, through the SMS function in this process on
moto: POST /v1/cases' service and the sender behind `sms-outbound` (SNS → SQS → sender → provider), then
an inbound reply that becomes a rating and is answered.

Requests are counted per service and operation on the function's own clients (the SQS receives and
deletes of the event-source mapping are Lambda's, listed apart). Timings are in-process on moto: they
show the function's own cost, not AWS latency.

Run alone: .venv/bin/python -m tests.bench.sms_costs"""

from __future__ import annotations

import base64
import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.bench.figures import heading, line, median, ms, note
from tests.bench.harness import AWS_ENVIRONMENT, environment

CASES = 60
CST = timezone(timedelta(hours=8))


class RequestCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def watch(self, client: Any) -> Any:
        service = client.meta.service_model.service_name

        def counted(model: Any, **_: Any) -> None:
            self.calls[f"{service}:{model.name}"] += 1

        client.meta.events.register("before-call.*.*", counted)
        return client

    def take(self) -> Counter[str]:
        taken, self.calls = self.calls, Counter()
        return taken


def main() -> None:
    import boto3
    from moto import mock_aws

    from functions.core.settings import RatingIntakeSettings
    from functions.core.storage.tables import TABLES
    from functions.rate import wiring as rate_wiring
    from functions.rate.settings import RateSettings
    from functions.sms import handlers
    from functions.sms import wiring as sms_wiring
    from functions.sms.outbound import LocalOutbox
    from functions.sms.wiring import SmsSettings
    from infra.local.pollers import SQSPoller
    from infra.provinces import GUIZHOU, demo_directory_csv

    heading("sms: texts and AWS requests per invitation and per reply (in process, moto)")
    with environment(AWS_ENVIRONMENT), mock_aws():
        counter = RequestCounter()
        dynamodb = counter.watch(boto3.client("dynamodb"))
        sns = counter.watch(boto3.client("sns"))
        sqs = boto3.client("sqs")  # the event-source mapping's, not the function's
        for spec in TABLES:
            dynamodb.create_table(**spec.create_table_request(spec.physical_name("bench")))
        topic = sns.create_topic(Name="sms-outbound")["TopicArn"]
        url = sqs.create_queue(QueueName="sms-send")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        env = {
            "TABLE_PREFIX": "bench",
            "PROVINCE_CONFIG": GUIZHOU.to_json(),
            "PERSONAL_DATA_SECRET_ARN": "arn:bench:personal-data",  # answered in memory below
            "DIRECTORY_JOBS_QUEUE_URL": sqs.create_queue(QueueName="directory-jobs")["QueueUrl"],
        }
        settings = RatingIntakeSettings.from_env(env, fetch=lambda _arn: key)
        rate_wiring.build(RateSettings.from_env(env, fetch=lambda _arn: key), dynamodb).directory.import_csv(
            demo_directory_csv("guizhou")
        )
        outbox = LocalOutbox()
        sms_wiring.outbox.use(outbox)
        # Daytime, so that invitations go out at once (quiet hours would only delay them).
        noon = datetime.now(UTC).astimezone(CST).replace(hour=12, minute=0)
        sms_wiring.clock.get().offset = noon - datetime.now(UTC)
        runtime = sms_wiring.build(
            settings,
            SmsSettings.from_env(
                {"TABLE_PREFIX": "bench", "SMS_PROVIDER": "local", "SMS_OUTBOUND_TOPIC_ARN": topic}
            ),
            dynamodb,
            sns,
        )
        sms_wiring.use(runtime)
        poller = SQSPoller(sqs, url, arn, handlers.send, function_name="sms-sender")
        try:
            phones = [f"139{n:08d}" for n in range(CASES)]
            completed = (noon - timedelta(minutes=5)).isoformat()

            def case(n: int) -> dict[str, Any]:
                return {
                    "case_no": f"BENCH-{n:05d}",
                    "item": "I5201000101",
                    "department": "D52010001",
                    "region": "520100",
                    "applicant_phone": phones[n],
                    "completed_at": completed,
                }

            # warm up: the first call pays for imports (cryptography) and the directory cache
            runtime.service.record_case(case(0))
            while poller.poll_once():
                pass
            counter.take()

            invitation_requests: Counter[str] = Counter()
            sender_requests: Counter[str] = Counter()
            invite_seconds, send_seconds = [], []
            texts_before = len(outbox.messages())
            for n in range(1, CASES):
                began = time.perf_counter()
                runtime.service.record_case(case(n))
                invite_seconds.append(time.perf_counter() - began)
                invitation_requests += counter.take()
                began = time.perf_counter()
                while poller.poll_once():
                    pass
                send_seconds.append(time.perf_counter() - began)
                sender_requests += counter.take()
            invitation_texts = len(outbox.messages()) - texts_before

            reply_requests: Counter[str] = Counter()
            reply_sender_requests: Counter[str] = Counter()
            reply_seconds = []
            texts_before = len(outbox.messages())
            for n in range(1, CASES):
                began = time.perf_counter()
                outcome = runtime.service.receive(
                    {"from": phones[n], "body": "２ 等了两个小时"}, f"bench-{n}"
                )
                reply_seconds.append(time.perf_counter() - began)
                assert outcome["outcome"] == "rated", outcome
                reply_requests += counter.take()
                while poller.poll_once():
                    pass
                reply_sender_requests += counter.take()
            reply_texts = len(outbox.messages()) - texts_before
        finally:
            sms_wiring.use(None)
            sms_wiring.outbox.use(None)
            sms_wiring.clock.use(None)

    runs = CASES - 1
    line("invitations", runs)
    line("texts per invitation", invitation_texts / runs)
    _requests("POST /v1/cases requests per invitation", invitation_requests, runs)
    _requests("sender requests per text", sender_requests, invitation_texts)
    line("record_case median", ms(median(invite_seconds)), "ms")
    line("send (queue → provider) median", ms(median(send_seconds)), "ms")
    line("replies", runs)
    line("texts per reply", reply_texts / runs, note="the thanks answer")
    _requests("inbound reply requests per reply", reply_requests, runs)
    _requests("sender requests per answer", reply_sender_requests, reply_texts)
    line("receive median", ms(median(reply_seconds)), "ms")
    note("SQS ReceiveMessage/DeleteMessageBatch of the event-source mapping are Lambda's and not counted")
    note(
        "each text adds one provider call: sns:Publish to a phone number, or one HTTPS POST in China regions"
    )


def _requests(title: str, counted: Counter[str], per: int) -> None:
    total = sum(counted.values()) / per
    detail = ", ".join(f"{name} {count / per:.2f}" for name, count in sorted(counted.items()))
    line(title, total, note=detail)


if __name__ == "__main__":
    main()
