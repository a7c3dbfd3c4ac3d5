"""What a DynamoDB Query costs in the embedded AWS as the counters table grows: moto's own path (it
gathers and sorts every item of the table before keeping one partition) against the local stack's
(infra/local/emulator.py: the partition alone). The counters table is built from its spec, with one
item per subject and day as the index function writes them; each Query asks one subject's month of
days, as a figure does.

Reported per table size: items examined per Query (a count: the same on any machine) and the Query's
time, median and p95 of repeated calls (a timing: read its spread). The public summary makes dozens of
such Queries.

    .venv/bin/python -m tests.bench.moto_query           # 1,000 to 30,000 counter items
    BENCH=quick .venv/bin/python -m tests.bench.moto_query
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.bench.figures import heading, line, median, ms, note, percentile, quick
from tests.bench.harness import AWS_ENVIRONMENT, environment

DAYS = 20  # days of counters per subject
QUERIES = 30


def sizes() -> tuple[int, ...]:
    return (1_000, 10_000) if quick() else (1_000, 10_000, 30_000)


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    spent = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        spent.append(time.perf_counter() - began)
    return spent


def main() -> None:
    import boto3
    from moto import mock_aws

    from functions.core.storage.tables import COUNTERS
    from infra.local import emulator

    emulator.install()
    heading("DynamoDB Query in the embedded AWS (moto 5) by counters table size")
    with environment(AWS_ENVIRONMENT), mock_aws():
        client = boto3.client("dynamodb")
        name = COUNTERS.physical_name("bench")
        client.create_table(**COUNTERS.create_table_request(name))
        written = 0
        for size in sizes():
            subjects = size // DAYS
            while written < size:
                batch = []
                for _ in range(min(25, size - written)):
                    subject, day = divmod(written, DAYS)
                    item = {
                        "subject": {"S": f"department#D{subject:06d}"},
                        "bucket": {"S": f"d#2026-11-{day + 1:02d}"},
                        "valid": {"N": "3"},
                    }
                    batch.append({"PutRequest": {"Item": item}})
                    written += 1
                client.batch_write_item(RequestItems={name: batch})
            request = {
                "TableName": name,
                "KeyConditionExpression": "subject = :s AND bucket BETWEEN :a AND :b",
                "ExpressionAttributeValues": {
                    ":s": {"S": f"department#D{subjects // 2:06d}"},
                    ":a": {"S": "d#2026-11-01"},
                    ":b": {"S": "d#2026-11-30"},
                },
            }
            found = client.query(**request)["Count"]
            ours = timed(lambda request=request: client.query(**request), QUERIES)
            with emulator.moto_query_walks():
                motos = timed(
                    lambda request=request: client.query(**request), max(5, QUERIES // (size // 1_000))
                )
            line(f"{size:,} items: items examined per Query, local stack / moto", f"{found} / {size:,}")
            line(
                f"{size:,} items: Query, local stack",
                ms(median(ours)),
                "ms median",
                f"p95 {ms(percentile(ours, 0.95)):.1f} ms, {len(ours)} calls",
            )
            line(
                f"{size:,} items: Query, moto's own path",
                ms(median(motos)),
                "ms median",
                f"p95 {ms(percentile(motos, 0.95)):.1f} ms, {len(motos)} calls",
            )
    note("the local stack answers every Query exactly as moto does (tests/integration/test_emulator.py)")


if __name__ == "__main__":
    main()
