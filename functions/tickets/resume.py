"""`python -m functions.tickets.resume <ticket_id> [...]`: runs stalled tickets' workflows again.

A ticket stalls when a call of its state machine (DynamoDB, SNS, SQS) still fails after its retries:
the state machine marks it (`stalled` in GET /v1/tickets/{id}), fails its execution and the
TicketStalled alarm fires. Once the cause is fixed, an operator runs this with the tickets function's
environment (TABLE_PREFIX, TICKET_STATE_MACHINE_ARN, ... as the function has them) and credentials
allowed what the function is: each ticket gets a new execution from its current stage."""

from __future__ import annotations

import json
import sys

from functions.core.domain.errors import DomainError


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m functions.tickets.resume <ticket_id> [<ticket_id> ...]", file=sys.stderr)
        return 2
    from functions.tickets import wiring

    failed = 0
    for ticket_id in argv:
        try:
            print(json.dumps(wiring.runtime().tickets.resume(ticket_id), ensure_ascii=False))
        except DomainError as e:
            failed += 1
            print(f"{ticket_id}: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
