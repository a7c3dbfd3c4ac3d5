"""The ticket workflow on moto, in process: the real tables, queues, topic and bucket, the real ASL
file executed by moto's Step Functions, the rate function to take ratings, and the tickets function
driven through its Chalice app, its stream consumer and its task-token consumer.

Deadlines pass in seconds where a test wants them to (`deliver_with_fast_clock`): the tickets' clock
starts on Sunday 2026-11-22 20:00 (Asia/Shanghai) and runs at 36,000 seconds per second, so the contact deadline (end of Monday 11-23, 28 hours on) comes after
about 2.8 s, and its reminder (12 hours before) after about 1.6 s. Every execution is ended before
the mock closes (DESIGN.md: their threads outlive it)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core.storage.tables import TABLES
from functions.rate import wiring as rate_wiring
from functions.rate.settings import RateSettings
from functions.tickets import stream, tasks
from functions.tickets import wiring as tickets_wiring
from functions.tickets.clock import Clock
from functions.tickets.settings import TicketSettings
from infra import topology
from infra.local.gateway import LocalApiGateway
from infra.provinces import GUIZHOU, demo_directory_csv
from infra.statemachines import definition
from tests.gateway import TEST_API_KEYS, GatewayClient, trusted_identity

PREFIX = "it"
REGION = "cn-northwest-1"
CLOCK_START = datetime.fromisoformat("2026-11-22T20:00:00+08:00")
CLOCK_SPEED = 36_000.0
# Tests that are not about deadlines run the clock slowly enough (the contact deadline some three
# minutes away) that a busy machine cannot make their actions late.
CALM_SPEED = 600.0
PROVINCE = replace(GUIZHOU, deadlines=GUIZHOU.deadlines._replace(remind_before_hours=12))

DEPARTMENT = "D52010001"  # 贵阳市政务服务中心, under 贵阳市
DEPARTMENT_WINDOW = "W5201000101"
CITY = "520100000000"
OTHER_DEPARTMENT = "D52010002"
OTHER_CITY = "520200000000"


@dataclass
class TicketStack:
    dynamodb: Any
    sqs: Any
    sfn: Any
    settings: TicketSettings
    resources: dict[str, str]
    api: Any  # both functions behind the local gateway's code path (keys and tokens checked in front)
    identity: Any
    events_seen: list[dict[str, Any]] = field(default_factory=list)
    record_hook: Callable[[dict[str, Any]], None] | None = None

    # --- people ---------------------------------------------------------------------------------

    def headers(self, role: str, scope: str | None = None) -> dict[str, str]:
        token = self.identity.token(role, scope)
        return {"authorization": f"Bearer {token}", "content-type": "application/json"}

    def department(self, code: str = DEPARTMENT) -> dict[str, str]:
        return self.headers("department", code)

    def reviewer(self, region: str = CITY) -> dict[str, str]:
        return self.headers("reviewer", region)

    def admin(self) -> dict[str, str]:
        return self.headers("admin")

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
        raw = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        answer = getattr(self.api.http, method.lower())(path, headers=headers, body=raw or b"")
        return answer.status_code, json.loads(answer.body) if answer.body else None

    def upload_evidence(
        self, ticket_id: str, content: bytes = b"%PDF-1.4 evidence", content_type: str = "application/pdf"
    ) -> str:
        """Issues a key and stores the file under it as S3 would after the pre-signed POST (in process,
        moto has no HTTP endpoint; tests/e2e posts the form itself)."""
        body = {"content_type": content_type, "size": max(len(content), 1)}
        code, issued = self.call("POST", f"/v1/tickets/{ticket_id}/evidence", self.department(), body)
        assert code == 201, issued
        fields = issued["upload"]["fields"]
        boto3.client("s3").put_object(
            Bucket=f"{PREFIX}-evidence", Key=fields["key"], Body=content, ContentType=fields["Content-Type"]
        )
        return str(issued["key"])

    def act(
        self, ticket_id: str, action: str, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        return self.call("POST", f"/v1/tickets/{ticket_id}/{action}", headers or self.department(), body)

    # --- ratings and the stream ----------------------------------------------------------------------

    def bad_rating(
        self, rating_id: str, *, satisfaction: int = 1, deliver: bool = True, **subjects: str
    ) -> str:
        body = {
            "rating_id": rating_id,
            "channel": "hall_pad",
            "satisfaction": satisfaction,
            "subjects": subjects or {"department": DEPARTMENT, "window": DEPARTMENT_WINDOW},
            "rater": {"phone": "13800000000"},
            "tags": [] if satisfaction >= 3 else ["服务态度生硬"],  # the demo requires a bad one's reason
        }
        answer = self.api.http.post(
            "/v1/ratings",
            headers={"x-api-key": "local-demo-key", "content-type": "application/json"},
            body=json.dumps(body),
        )
        assert answer.status_code == 201, answer.body
        ticket_id = json.loads(answer.body)["ticket_id"]
        if deliver:
            self.deliver(self.insert_record(rating_id))
        return str(ticket_id)

    def insert_record(self, rating_id: str) -> dict[str, Any]:
        item = self.dynamodb.get_item(TableName=f"{PREFIX}-ratings", Key={"rating_id": {"S": rating_id}})[
            "Item"
        ]
        return {
            "eventID": f"ev-{rating_id}",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"rating_id": item["rating_id"]}, "NewImage": item, "SequenceNumber": "1"},
        }

    def deliver_with_fast_clock(self, rating_id: str) -> None:
        """Opens the rating's ticket with the clock from its start at CLOCK_SPEED: its contact deadline
        comes in about 2.8 s, its reminder in 1.6 s. The clock stays fast until `calm_clock`."""
        from functions.tickets import wiring

        wiring.runtime().tickets.clock = Clock(CLOCK_START, CLOCK_SPEED)
        self.deliver(self.insert_record(rating_id))

    def calm_clock(self) -> None:
        from functions.tickets import wiring

        wiring.runtime().tickets.clock = Clock(CLOCK_START, CALM_SPEED)

    def deliver(self, *records: dict[str, Any]) -> dict[str, Any]:
        return stream.handler({"Records": list(records)}, None)  # type: ignore[no-any-return]

    # --- the workflow ----------------------------------------------------------------------------

    def pump(self) -> int:
        """Deliver the task tokens the workflow has sent, as the queue's event source would."""
        delivered = 0
        queue = self.resources[f"queue:{topology.TICKET_TASKS_QUEUE}"]
        while True:
            messages = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return delivered
            for message in messages:
                tasks.take({"body": message["Body"]})
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                delivered += 1

    def events(self) -> list[dict[str, Any]]:
        """Ticket events published so far (drained from the queue subscribed to ticket-events)."""
        queue = self.resources[f"queue:{topology.TICKET_EVENTS_LOG_QUEUE}"]
        while True:
            messages = self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return self.events_seen
            for message in messages:
                self.events_seen.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def raw_ticket(self, ticket_id: str) -> dict[str, Any]:
        return self.dynamodb.get_item(TableName=f"{PREFIX}-tickets", Key={"ticket_id": {"S": ticket_id}})[
            "Item"
        ]

    def wait_for_stage(self, ticket_id: str, stage: str, timeout: float = 10) -> None:
        """Until the workflow waits for `stage` with its token stored on the ticket."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            item = self.raw_ticket(ticket_id)
            if item.get("task_stage", {}).get("S") == stage and stage not in item["signals"]["M"]:
                return
            time.sleep(0.05)
        raise AssertionError(f"{ticket_id} never waited for {stage}: {item}")

    def wait_for_event(self, ticket_id: str, event: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            for seen in self.events():
                if seen["ticket_id"] == ticket_id and seen["event"] == event:
                    return seen
            time.sleep(0.05)
        raise AssertionError(f"no {event} event for {ticket_id}: {self.events_seen}")

    def execution(self, rating_id: str) -> dict[str, Any]:
        arn = self.executions()[rating_id]
        return self.sfn.describe_execution(executionArn=arn)  # type: ignore[no-any-return]

    def executions(self) -> dict[str, str]:
        machine = self.resources["statemachine:ticket"]
        listed = self.sfn.list_executions(stateMachineArn=machine)["executions"]
        return {e["name"]: e["executionArn"] for e in listed}

    def wait_until_ended(self, rating_id: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            status = self.execution(rating_id)["status"]
            if status != "RUNNING":
                return str(status)
            time.sleep(0.05)
        raise AssertionError(f"execution {rating_id} still running")

    def history(self, rating_id: str) -> list[dict[str, Any]]:
        arn = self.executions()[rating_id]
        return self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]  # type: ignore[no-any-return]

    def end_every_execution(self, timeout: float = 15) -> None:
        """Fail every waiting task with an error the ASL does not catch, until nothing runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [
                e
                for e in self.sfn.list_executions(stateMachineArn=self.resources["statemachine:ticket"])[
                    "executions"
                ]
                if e["status"] == "RUNNING"
            ]
            if not running:
                return
            queue = self.resources[f"queue:{topology.TICKET_TASKS_QUEUE}"]
            for message in self.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get(
                "Messages", []
            ):
                token = json.loads(message["Body"])["token"]
                with contextlib.suppress(Exception):
                    self.sfn.send_task_failure(taskToken=token, error="TestOver")
                self.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            scan = self.dynamodb.scan(TableName=f"{PREFIX}-tickets").get("Items", [])
            for item in scan:
                if "task_token" in item:
                    with contextlib.suppress(Exception):
                        self.sfn.send_task_failure(taskToken=item["task_token"]["S"], error="TestOver")
            time.sleep(0.1)


def build_stack(identity_directory: Path, clock: Clock | None = None) -> Iterator[TicketStack]:
    from functions.rate.app import app as rate_app
    from functions.tickets.app import app as tickets_app

    dynamodb = boto3.client("dynamodb")
    sqs = boto3.client("sqs")
    sns = boto3.client("sns")
    s3 = boto3.client("s3")
    sfn = boto3.client("stepfunctions")
    resources: dict[str, str] = {"partition": "aws-cn"}
    for spec in TABLES:
        description = dynamodb.create_table(**spec.create_table_request(spec.physical_name(PREFIX)))
        resources[f"table:{spec.logical_name}"] = description["TableDescription"]["TableName"]
    for queue in topology.QUEUES:
        url = sqs.create_queue(QueueName=f"{PREFIX}-{queue}")["QueueUrl"]
        resources[f"queue:{queue}"] = url
        resources[f"queue-arn:{queue}"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    for topic in topology.TOPICS:
        resources[f"topic:{topic}"] = sns.create_topic(Name=f"{PREFIX}-{topic}")["TopicArn"]
    for subscription in topology.SUBSCRIPTIONS:
        sns.subscribe(
            TopicArn=resources[f"topic:{subscription.topic}"],
            Protocol="sqs",
            Endpoint=resources[f"queue-arn:{subscription.queue}"],
            Attributes={"RawMessageDelivery": "true"},
        )
    s3.create_bucket(Bucket=f"{PREFIX}-evidence", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=f"{PREFIX}-evidence", VersioningConfiguration={"Status": "Enabled"})
    for machine in topology.STATE_MACHINES:
        values = {name: resources[ref] for name, ref in machine.placeholders}
        resources[f"statemachine:{machine.name}"] = sfn.create_state_machine(
            name=f"{PREFIX}-{machine.name}",
            definition=definition(machine.name, values),
            roleArn="arn:aws-cn:iam::123456789012:role/it-ticket",
        )["stateMachineArn"]
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{PREFIX}/personal-data", SecretString=base64.b64encode(b"p" * 32).decode()
    )
    env = {
        "TABLE_PREFIX": PREFIX,
        "PROVINCE_CONFIG": PROVINCE.to_json(),
        "PERSONAL_DATA_SECRET_ARN": secret["ARN"],
        "TICKET_STATE_MACHINE_ARN": resources["statemachine:ticket"],
        "TICKET_EVENTS_TOPIC_ARN": resources["topic:ticket-events"],
        "EVIDENCE_BUCKET": f"{PREFIX}-evidence",
        "DIRECTORY_JOBS_QUEUE_URL": resources["queue:directory-jobs"],
        "DIRECTORY_CACHE_SECONDS": "0",
    }
    settings = TicketSettings.from_env(env)
    rate = rate_wiring.build(RateSettings.from_env(env), dynamodb)
    rate.directory.import_csv(demo_directory_csv("guizhou"))
    rate_wiring.use(rate)
    tickets_wiring.use(
        tickets_wiring.build(settings, dynamodb, sfn, sns, s3, clock or Clock(CLOCK_START, CALM_SPEED))
    )
    stack = None
    try:
        with trusted_identity(identity_directory) as identity:
            gateway = LocalApiGateway({"rate": rate_app, "tickets": tickets_app}, api_keys=TEST_API_KEYS)
            stack = TicketStack(dynamodb, sqs, sfn, settings, resources, GatewayClient(gateway), identity)
            yield stack
    finally:
        if stack is not None:
            stack.end_every_execution()
        rate_wiring.use(None)
        tickets_wiring.use(None)


@pytest.fixture(scope="module")
def ticket_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketStack]:
    """One stack per test module (creating the state machine first loads moto's ASL interpreter, which
    takes seconds); tests keep apart by their own rating ids."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _stack(monkeypatch, tmp_path_factory.mktemp("ticket-identity"))


def _stack(monkeypatch: pytest.MonkeyPatch, identity_directory: Path) -> Iterator[TicketStack]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield from build_stack(identity_directory)
