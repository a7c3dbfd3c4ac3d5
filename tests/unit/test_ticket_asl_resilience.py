"""The ticket ASL's fault handling, read from the file: every Task state retries the transient errors
of the service it calls with backoff and jitter, and sends what still fails to RecordStall (the
integration test tests/integration/test_ticket_workflow_faults.py drives each one through a fault)."""

from __future__ import annotations

import json
from typing import Any

from infra.statemachines import asl_text


def _states() -> dict[str, Any]:
    return json.loads(asl_text("ticket"))["States"]  # type: ignore[no-any-return]


def test_every_task_state_retries_transient_errors_with_backoff_and_jitter() -> None:
    tasks = {name: state for name, state in _states().items() if state["Type"] == "Task"}
    assert len(tasks) == 8  # seven states of the ticket's life, and RecordStall
    for name, state in tasks.items():
        service = state["Resource"].split(":::")[1].split(":")[0]
        prefix = {"dynamodb": "DynamoDB.", "sns": "SNS.", "sqs": "SQS."}[service]
        (retry,) = state["Retry"]
        assert retry["ErrorEquals"] and all(e.startswith(prefix) for e in retry["ErrorEquals"]), name
        assert any("Throttl" in e or "ProvisionedThroughput" in e for e in retry["ErrorEquals"]), name
        # never a deadline (States.Timeout), a reschedule or an error nobody expects
        assert not {"States.ALL", "States.Timeout", "Rescheduled"} & set(retry["ErrorEquals"]), name
        assert retry["BackoffRate"] >= 2 and retry["MaxAttempts"] >= 3, name
        assert retry["JitterStrategy"] == "FULL" and retry["MaxDelaySeconds"] <= 60, name


def test_what_still_fails_is_recorded_as_stalled_and_fails_the_execution() -> None:
    states = _states()
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        last = state["Catch"][-1]
        target = "Stalled" if name == "RecordStall" else "RecordStall"
        assert last["ErrorEquals"] == ["States.ALL"] and last["Next"] == target, name
    record = states["RecordStall"]["Parameters"]
    assert record["TableName"] == "${TicketsTable}"
    assert record["ConditionExpression"] == "attribute_exists(ticket_id)"  # never a new item
    assert states["RecordStall"]["Next"] == "Stalled"
    assert states["Stalled"] == {
        "Type": "Fail",
        "Error": "TicketStalled",
        "Cause": states["Stalled"]["Cause"],
    }
    fails = [n for n, s in states.items() if s["Type"] == "Fail"]
    assert fails == ["Stalled"]  # the TicketStalled alarm counts FailStateEntered events
