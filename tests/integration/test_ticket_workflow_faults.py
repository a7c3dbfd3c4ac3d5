"""Every Task state of statemachines/ticket.asl.json through a fault of the service it calls, on moto's
Step Functions (faults injected into the emulation by infra/local/asl_faults.py, not into the code):
a transient fault is retried with backoff and the ticket goes on; a fault that outlasts the retries
marks the ticket stalled (GET /v1/tickets/{id} shows it), fails the execution (the stalled alarm), and
`TicketService.resume` (python -m functions.tickets.resume) runs it again from the ticket's state.
Retry waits run a thousand times faster here: six retries take milliseconds, not two minutes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from functions.core.domain.errors import IllegalTransition
from functions.tickets import resume, wiring
from infra.local.asl_faults import Fault, faults
from tests.integration.ticket_stack import TicketStack

FAST_RETRIES = 1000.0


def about(ticket_id: str, *words: str) -> Callable[[dict[str, Any]], bool]:
    """Calls whose parameters name the ticket (and every word: an event name, an update's field)."""

    def matches(params: dict[str, Any]) -> bool:
        text = json.dumps(params, default=str)
        return ticket_id in text and all(word in text for word in words)

    return matches


def wait_until(condition: Callable[[], Any], what: str, s: TicketStack, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.pump()
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never {what}")


def stalled(s: TicketStack, ticket_id: str) -> dict[str, Any] | None:
    code, ticket = s.call("GET", f"/v1/tickets/{ticket_id}", s.department())
    assert code == 200, ticket
    return ticket["stalled"]  # type: ignore[no-any-return]


def waiting_in(s: TicketStack, rating_id: str, state: str) -> bool:
    """The execution entered `state` last and its task-token message has been sent."""
    events = s.history(rating_id)
    entered = [i for i, e in enumerate(events) if e["type"].endswith("StateEntered")]
    if not entered or events[entered[-1]]["stateEnteredEventDetails"]["name"] != state:
        return False
    return any(e["type"] == "TaskSubmitted" for e in events[entered[-1] :])


def reschedule(s: TicketStack, ticket_id: str) -> None:
    """What loading a calendar year does to a waiting ticket: its task fails with Rescheduled, which
    sends the execution through Reload (the step read back from the ticket)."""
    token = s.raw_ticket(ticket_id)["task_token"]["S"]
    s.sfn.send_task_failure(taskToken=token, error="Rescheduled")


def test_transient_faults_in_every_task_state_are_retried(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = s.bad_rating("fault-transient-01", deliver=False)
    mine = about(ticket_id)
    injected = (
        # the three waits' task-token messages: each send fails twice
        Fault("sqs", "SendMessage", "RequestThrottled", times=6, matches=mine),
        # Remind and Escalate: each publish fails twice
        Fault("sns", "Publish", "Throttled", times=4, matches=mine),
        Fault(
            "dynamodb", "UpdateItem", "ProvisionedThroughputExceededException", 2, about(ticket_id, "overdue")
        ),
        Fault("dynamodb", "GetItem", "ThrottlingException", times=2, matches=mine),
    )
    # Given every service the state machine calls throttled twice per call
    with faults(*injected, retry_speed=FAST_RETRIES):
        # When the ticket misses its contact deadline (a reminder, then overdue and escalated) and
        # is then rescheduled
        s.deliver_with_fast_clock("fault-transient-01")
        s.wait_for_event(ticket_id, "reminder")
        s.wait_for_event(ticket_id, "escalated")
        s.calm_clock()
        s.wait_for_stage(ticket_id, "contact")
        wait_until(lambda: waiting_in(s, "fault-transient-01", "AwaitOpenEnded"), "waited open-ended", s)
        s.pump()  # its token, sent before the task was submitted, is on the ticket now
        reschedule(s, ticket_id)
        wait_until(lambda: injected[3].raised == 2, "reloaded the step", s)
        s.wait_for_stage(ticket_id, "contact")
    # Then every fault was met and retried past, and the ticket went on as if nothing had happened
    assert [f.raised for f in injected] == [6, 4, 2, 2]
    assert s.raw_ticket(ticket_id)["overdue"]["M"].keys() == {"contact"}
    assert stalled(s, ticket_id) is None
    assert s.execution("fault-transient-01")["status"] == "RUNNING"
    failed = [e for e in s.history("fault-transient-01") if e["type"] == "TaskFailed"]
    assert len(failed) == 14 + 1  # each injected fault, and the Rescheduled wait


# state → (the fault that outlasts its retries, the error the ticket records, the attempts made (7:
# the first and six retries; 1: an error that is not transient, such as a missing topic, is not
# retried), whether the state is reached only once a deadline passes, and by a reschedule)
PERMANENT: dict[str, tuple[Callable[[str], Fault], str, int, bool, bool]] = {
    "AwaitBeforeReminder": (
        lambda t: Fault("sqs", "SendMessage", "RequestThrottled", None, about(t)),
        "SQS.SdkClientException",
        7,
        False,
        False,
    ),
    "Remind": (
        lambda t: Fault("sns", "Publish", "Throttled", None, about(t, "reminder")),
        "SNS.ThrottledException",
        7,
        True,
        False,
    ),
    "AwaitBeforeDeadline": (
        lambda t: Fault("sqs", "SendMessage", "RequestThrottled", None, about(t), skip=1),
        "SQS.SdkClientException",
        7,
        True,
        False,
    ),
    "MarkOverdue": (
        lambda t: Fault("dynamodb", "UpdateItem", "InternalServerError", None, about(t, "overdue")),
        "DynamoDB.InternalServerError",
        7,
        True,
        False,
    ),
    "Escalate": (
        lambda t: Fault("sns", "Publish", "NotFound", None, about(t, "escalated")),
        "SNS.NotFoundException",
        1,
        True,
        False,
    ),
    "AwaitOpenEnded": (
        lambda t: Fault("sqs", "SendMessage", "RequestThrottled", None, about(t), skip=2),
        "SQS.SdkClientException",
        7,
        True,
        False,
    ),
    "Reload": (
        lambda t: Fault("dynamodb", "GetItem", "ResourceNotFoundException", None, about(t)),
        "DynamoDB.ResourceNotFoundException",
        1,
        False,
        True,
    ),
}


@pytest.mark.parametrize("state", list(PERMANENT))
def test_a_fault_outlasting_the_retries_stalls_the_ticket_until_resumed(
    ticket_stack: TicketStack, state: str
) -> None:
    s = ticket_stack
    make_fault, error, attempts, after_deadline, by_reschedule = PERMANENT[state]
    # (an id that names no state: the faults match on words such as "overdue")
    rating_id = f"fault-stall-{list(PERMANENT).index(state):02d}"
    ticket_id = s.bad_rating(rating_id, deliver=False)
    fault = make_fault(ticket_id)
    # Given the service that state calls failing for this ticket whatever the retries
    with faults(fault, retry_speed=FAST_RETRIES):
        if after_deadline:
            s.deliver_with_fast_clock(rating_id)
        else:
            s.calm_clock()
            s.deliver(s.insert_record(rating_id))
        if by_reschedule:
            s.wait_for_stage(ticket_id, "contact")
            reschedule(s, ticket_id)
        # Then the ticket is marked stalled with the error, and its execution has failed
        record = wait_until(lambda: stalled(s, ticket_id), f"stalled in {state}", s)
        s.calm_clock()
        assert s.wait_until_ended(rating_id) == "FAILED"
    assert record["error"] == error and record["execution"] == rating_id
    assert fault.raised == attempts
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in s.history(rating_id)
        if e["type"].endswith("StateEntered")
    ]
    assert entered[-3:] == [state, "RecordStall", "Stalled"]
    # When the operator resumes it, once the service is back
    assert resume.main([ticket_id]) == 0
    # Then a new execution waits for the ticket's stage, and the ticket is no longer stalled
    s.wait_for_stage(ticket_id, "contact")
    assert stalled(s, ticket_id) is None
    assert s.execution(f"{rating_id}-r1")["status"] == "RUNNING"
    assert s.raw_ticket(ticket_id)["execution_arn"]["S"].endswith(f":{rating_id}-r1")


def test_a_running_workflow_is_not_resumed(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    s.calm_clock()
    ticket_id = s.bad_rating("fault-not-stalled-01")
    s.wait_for_stage(ticket_id, "contact")
    with pytest.raises(IllegalTransition):
        wiring.runtime().tickets.resume(ticket_id)
    assert resume.main([ticket_id]) == 1
    assert "fault-not-stalled-01-r1" not in s.executions()
