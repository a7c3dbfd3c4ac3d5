"""Idle pollers sleep long and wake at once: a write to their stream or queue, a queue message whose
visibility timeout ends, or (for schedules) any activity wakes them, so an idle local stack costs next
to no CPU and work is still delivered at once. Counts of polls and events, never wall-time limits
tighter than the sleep they prove is cut short."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local import emulator
from infra.local.pollers import DynamoDBStreamPoller, SchedulePoller, SQSPoller

# Far longer than any wait below: a delivery before it proves that something woke the poller.
LONG_SLEEP = 600.0


@pytest.fixture
def aws(moto_aws: None) -> Iterator[None]:
    emulator.install()
    yield


class CountingPolls:
    """Wraps a poller's poll_once to count the polls it makes."""

    def __init__(self, poller: Any) -> None:
        self.polls = 0
        original = poller.poll_once

        def counted() -> int:
            self.polls += 1
            return original()

        poller._thread._poll_once = counted


def stream_table() -> tuple[Any, str]:
    client = boto3.client("dynamodb")
    description = client.create_table(
        TableName="wake",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    return client, description["LatestStreamArn"]


def test_an_idle_stream_poller_polls_rarely_and_a_write_wakes_it(aws: None) -> None:
    # Given a stream poller that would sleep up to ten minutes when idle
    client, arn = stream_table()
    delivered = threading.Event()
    poller = DynamoDBStreamPoller(
        boto3.client("dynamodbstreams"),
        arn,
        lambda event, _context: delivered.set(),
        function_name="index",
        poll_interval=0.05,
        max_idle_interval=LONG_SLEEP,
    )
    polls = CountingPolls(poller)
    poller.start()
    try:
        # When it idles for two seconds (40 polls at its shortest interval)
        threading.Event().wait(2)
        idle_polls = polls.polls
        # Then it polled a handful of times only
        assert idle_polls <= 6
        # And a write is delivered long before its sleep would have ended
        client.put_item(TableName="wake", Item={"pk": {"S": "R1"}})
        assert delivered.wait(30)
    finally:
        poller.stop()


def test_a_message_back_from_its_visibility_timeout_wakes_the_queue_poller(aws: None) -> None:
    # Given a queue whose messages come back a second after a failed delivery
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="wake", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deliveries: list[str] = []
    second = threading.Event()

    def fail_first(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        deliveries.extend(r["messageId"] for r in event["Records"])
        if len(deliveries) == 1:
            return {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
        second.set()
        return {}

    poller = SQSPoller(
        sqs, url, arn, fail_first, function_name="sms", poll_interval=0.05, max_idle_interval=LONG_SLEEP
    )
    poller.start()
    try:
        # When a message's first delivery fails and nothing else is written
        sqs.send_message(QueueUrl=url, MessageBody="text")
        # Then it is delivered again when its visibility timeout ends, not after the poller's sleep
        assert second.wait(30)
        assert len(deliveries) == 2 and deliveries[0] == deliveries[1]
    finally:
        poller.stop()


def test_an_idle_schedule_slows_down_and_runs_again_when_something_happens(aws: None) -> None:
    # Given a schedule of every 0.05 s that slows down to every ten minutes when idle
    runs = []
    ran = threading.Event()

    def scheduled(_event: dict[str, Any], _context: Any) -> None:
        runs.append(1)
        ran.set()

    poller = SchedulePoller(scheduled, function_name="release", every=0.05, max_idle_interval=LONG_SLEEP)
    poller.start()
    try:
        # When nothing happens for two seconds (40 periods)
        threading.Event().wait(2)
        # Then it ran a handful of times only
        assert len(runs) <= 6
        # And a request (any activity) makes it run again at once
        ran.clear()
        emulator.ACTIVITY.notify()
        assert ran.wait(30)
    finally:
        poller.stop()
