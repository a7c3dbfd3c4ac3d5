"""A scaled-down day through faults injected by the local stack's emulation (LOCAL_FAULTS,
infra/local/faults.py): DynamoDB throttling, consumers crashing after their writes, duplicate stream
batches and queue messages (task tokens twice and late), a stuck shard, a failing SMS provider, and
conditional-check races from clients sending the same rating twice at once. At the end: the figures
equal a recount of what was accepted, every bad rating has exactly one ticket and one execution, and
the SMS texts in the dead-letter queue, once redriven (`python -m infra.local redrive`), all arrive."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import boto3

from infra.local import faults
from infra.local import stack as local_stack
from tests.bench.workload import demo_subjects

FAULTS = "throttle=0.04,crash=0.1,duplicate=0.15,sms_fail=0.35,stuck=index:3,seed=11"
RATINGS = 36
RACED = 4  # ratings sent twice at once
CASES = 4
GUARD = 240.0  # a hang guard, not a deadline
CHANNEL = {"x-api-key": "local-demo-key", "content-type": "application/json"}


def call(
    url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, headers=headers or CHANNEL, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def post_until_taken(url: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """A channel's client: retries a throttle or a fault with the same body (the same rating id)."""
    for _ in range(10):
        status, answer = call(url, "POST", path, body)
        if status < 500 and status != 429:
            return status, answer
        time.sleep(0.2)
    raise AssertionError(f"{path} never taken: {status} {answer}")


def until(check: Any, guard: float = GUARD) -> Any:
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.25)
    raise AssertionError("not reached within the guard")


def body(n: int, subjects: dict[str, str]) -> dict[str, Any]:
    bad = n % 4 == 0
    rating: dict[str, Any] = {
        "rating_id": f"fault-day-{n:04d}",
        "channel": "hall_pad",
        "satisfaction": 1 if bad else 5,
        "subjects": subjects,
    }
    if bad:
        rating["tags"] = ["服务态度生硬"]
    return rating


def test_a_day_through_faults_loses_nothing_and_counts_nothing_twice(monkeypatch) -> None:
    monkeypatch.setenv("LOCAL_FAULTS", FAULTS)
    stack = local_stack.start(port=0)
    try:
        url = stack.url
        admin = {"authorization": f"Bearer {local_stack.local_identity().token('admin', None)}"}
        combos = demo_subjects().window_staff
        call(url, "PUT", "/local/sms/clock", {"now": "2026-12-03T10:00:00+08:00"})

        # Given a day of ratings, some sent twice at once (a client retrying while its first try is on
        # the wire: the conditional write decides), and SMS invitations answered
        bodies = [body(n, dict(combos[n % len(combos)])) for n in range(RATINGS)]
        answers: dict[str, list[int]] = {}

        def send(rating: dict[str, Any]) -> None:
            status, _ = post_until_taken(url, "/v1/ratings", rating)
            answers.setdefault(rating["rating_id"], []).append(status)

        threads = [threading.Thread(target=send, args=(b,)) for b in bodies + bodies[:RACED]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(GUARD)
        for n in range(CASES):
            case = {
                "case_no": f"FAULT-DAY-{n:03d}",
                "item": "I5201000101",
                "department": "D52010001",
                "region": "520100",
                "applicant_phone": f"1390000{n:04d}",
                "completed_at": "2026-12-03T09:00:00+08:00",
            }
            assert post_until_taken(url, "/v1/cases", case)[0] == 202

        # Then every rating was taken once: the racing pair answered 201 and 200 (the same rating)
        assert all(sorted(s) in ([201], [200, 201]) for s in answers.values()), answers
        bad = [b["rating_id"] for b in bodies if b["satisfaction"] < 3]

        # And the figures equal the recount, once the stuck shard and the retries are through
        def province_total() -> int:
            status, figures = call(url, "GET", "/v1/indices/region/520000000000", headers=admin)
            return figures["total"] if status == 200 and figures["total"] == RATINGS else 0

        assert until(province_total) == RATINGS
        time.sleep(3)  # duplicates still in flight must not move the figure
        assert call(url, "GET", "/v1/indices/region/520000000000", headers=admin)[1]["total"] == RATINGS

        # And every bad rating has exactly one ticket and one execution named after it
        for rating_id in bad:
            until(
                lambda rating_id=rating_id: (
                    call(url, "GET", f"/v1/tickets/tk-{rating_id}", headers=admin)[0] == 200
                )
            )
        sfn = boto3.client("stepfunctions")
        machine = stack.resources["statemachine:ticket"]
        names = [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]
        assert sorted(names) == sorted(set(names)) and len(names) == len(bad)

        # And the SMS texts are all sent, some only after the dead letters were redriven
        def invitations() -> int:
            texts = call(url, "GET", "/local/sms/outbox")[1]["messages"]
            return sum(t["purpose"] == "invitation" for t in texts)

        def settled() -> bool:
            dlq = stack.resources["queue:sms-dlq"]
            waiting = boto3.client("sqs").get_queue_attributes(
                QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            return invitations() + int(waiting) >= CASES

        until(settled)
        seen = faults.injected()
        faults.configure(None)  # the provider mends
        faults.redrive(f"http://127.0.0.1:{stack.moto_port}")
        until(lambda: invitations() >= CASES)
        time.sleep(2)
        assert invitations() == CASES  # each once, whether sent at once, retried or redriven

        # And the faults really happened
        assert {"throttle", "crash", "duplicate", "stuck"} <= set(seen), seen
    finally:
        stack.stop()
