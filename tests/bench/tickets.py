"""The ticket workflow: state transitions per ticket on each path (what Step Functions Standard bills),
their cost per million bad ratings at list price, the time the local workflow takes per step, and
the AWS requests each ticket action makes.

Runs the real ASL on moto in process, through the same harness as the integration tests (deadlines
pass in seconds: tests/integration/ticket_stack.py). A state transition is counted as each state
entered in the execution's history, which is how Step Functions Standard bills them.

On a busy machine (load 9-12 on 2 cores) moto's executions run late, so nothing here hangs on wall
time: each step waits for its event (the next stage's token stored, the escalation published, the
execution ended) for as long as WAIT_SECONDS allows, a guard against a hang, not a deadline; only the
missed-contact path runs the tickets' clock fast, and only until its escalation is seen, after which
its remaining deadlines are calm again and cannot pass while the machine is slow. The figures that
matter are counts (transitions, requests); step times are shown with their spread.

Run alone: .venv/bin/python -m tests.bench.tickets"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.figures import heading, line, median, ms, note, percentile

DOLLARS_PER_THOUSAND_TRANSITIONS = 0.025  # Step Functions Standard, us-east-1 list price
# How long a step may take before the benchmark gives up on it: a guard, far above any step's time.
WAIT_SECONDS = 300.0


def _count_requests(clients: list[Any]) -> Counter[str]:
    counts: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        # before-call.<service>.<Operation>
        _, service, operation = event_name.split(".", 2)
        counts[f"{service}.{operation}"] += 1

    for client in clients:
        client.meta.events.register("before-call.*.*", count)
    return counts


def _transitions(stack: Any, rating_id: str) -> int:
    return sum(1 for e in stack.history(rating_id) if e["type"].endswith("StateEntered"))


def main() -> None:
    from moto import mock_aws

    from functions.tickets import wiring
    from functions.tickets.clock import Clock
    from tests.integration.ticket_stack import CALM_SPEED, CITY, CLOCK_SPEED, CLOCK_START, build_stack

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "cn-northwest-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    heading("ticket workflow (real ASL on moto, deadlines in seconds)")
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        tempfile.TemporaryDirectory() as tmp,
    ):
        stacks = build_stack(Path(tmp))
        s = next(stacks)
        try:
            service = wiring.runtime().tickets
            store_client = service.store._client
            counts = _count_requests([store_client, service.workflow._sfn, service.workflow._sns])
            step_times: list[float] = []
            action_requests: list[int] = []

            def act(
                ticket_id: str,
                action: str,
                body: dict[str, Any],
                headers: Any = None,
                then: str | None = None,
            ) -> None:
                before = sum(counts.values())
                began = time.perf_counter()
                code, answer = s.act(ticket_id, action, body, headers)
                assert code == 200, answer
                action_requests.append(sum(counts.values()) - before)
                if then:
                    s.wait_for_stage(ticket_id, then, timeout=WAIT_SECONDS)
                    step_times.append(time.perf_counter() - began)

            def happy(rating_id: str, ticket_id: str) -> None:
                act(ticket_id, "contact", {"note": "called"}, then="verify")
                act(ticket_id, "verify", {"finding": "valid", "category": "general"}, then="reply")
                act(ticket_id, "reply", {"report": "fixed"}, then="revisit")
                act(ticket_id, "revisit", {"satisfied": True})

            def appeal(approve: bool) -> Callable[[str, str], None]:
                def run(rating_id: str, ticket_id: str) -> None:
                    key = s.upload_evidence(ticket_id)
                    act(ticket_id, "contact", {"note": "called"}, then="verify")
                    act(
                        ticket_id,
                        "verify",
                        {"finding": "misrating", "reason": "wrong key", "evidence": [key]},
                        then="appeal",
                    )
                    if approve:
                        act(ticket_id, "decide-appeal", {"approve": True}, s.reviewer(CITY))
                        return
                    act(ticket_id, "decide-appeal", {"approve": False}, s.reviewer(CITY), then="reply")
                    act(ticket_id, "reply", {"report": "fixed"}, then="revisit")
                    act(ticket_id, "revisit", {"satisfied": True})

                return run

            def missed_contact(rating_id: str, ticket_id: str) -> None:
                s.wait_for_event(ticket_id, "escalated", timeout=WAIT_SECONDS)
                # The deadline was missed, as wanted; from here on the clock is calm again, so a slow
                # machine cannot make the late contact's next deadlines pass too.
                service.clock = Clock(service.clock.now(), CALM_SPEED)
                s.wait_for_stage(ticket_id, "contact", timeout=WAIT_SECONDS)
                happy(rating_id, ticket_id)

            paths = {
                "happy path (contact, verify, reply, revisit)": happy,
                "appeal approved (ticket invalid)": appeal(True),
                "appeal rejected (back to rectifying, reply, revisit)": appeal(False),
                "missed contact deadline (reminder, escalation, late contact, rest)": missed_contact,
            }
            worst = 0
            for number, (name, run) in enumerate(paths.items()):
                # each path from the clock's start, so its deadlines are the same every run
                # (fast only where the path is about a missed deadline: the others must not be late)

                rating_id = f"bench-ticket-{number:02d}"
                ticket_id = s.bad_rating(rating_id, deliver=False)
                speed = CLOCK_SPEED if run is missed_contact else CALM_SPEED
                service.clock = Clock(CLOCK_START, speed)
                before = sum(counts.values())
                s.deliver(s.insert_record(rating_id))
                opening = sum(counts.values()) - before
                s.wait_for_stage(ticket_id, "contact", timeout=WAIT_SECONDS)
                run(rating_id, ticket_id)
                status = s.wait_until_ended(rating_id, timeout=WAIT_SECONDS)
                transitions = _transitions(s, rating_id)
                worst = max(worst, transitions)
                line(f"{name}: state transitions", transitions, "per ticket", status)
                line(
                    "    Step Functions cost per million bad ratings on this path",
                    transitions * 1_000_000 * DOLLARS_PER_THOUSAND_TRANSITIONS / 1000,
                    "USD",
                )
                if number == 0:
                    line(
                        "opening a ticket (stream record → ticket, execution, event, outcome)",
                        opening,
                        "AWS requests",
                    )
            line(
                "workflow step, action answered → next stage's token stored (median)",
                ms(median(step_times)),
                "ms",
                f"p95 {ms(percentile(step_times, 0.95)):.0f} ms, slowest {ms(max(step_times)):.0f} ms, "
                f"{len(step_times)} steps",
            )
            line(
                "AWS requests per ticket action (median)",
                median([float(n) for n in action_requests]),
                "requests",
            )
            line("AWS requests per ticket action (most)", max(action_requests), "requests")
            note(
                "an action: GetItem (ticket), BatchGetItem (directory, for a department's token), TransactWriteItems "
                "(ticket + trail entry), UpdateItem (rating's outcome), GetItem (ticket again), SendTaskSuccess, "
                "UpdateItem (token spent), Query (trail for the answer); replies and closings add an SNS Publish"
            )
        finally:
            for _ in stacks:
                pass


if __name__ == "__main__":
    main()
