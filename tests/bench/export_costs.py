"""Upward export: records per second, requests and cost per million records, through the export's own
code in this process on moto (the stream consumer taking ratings into the pending set, the scheduled
sender sending them in batches to the in-process stand-in receiver of the national target, which
checks signatures and validates every record) and the daily reconciliation with the target's statistics.

DynamoDB requests are counted per operation on the function's client. Write units are modelled from the
items' sizes: each put writes the table and the `by_day` index (ALL projection) and, while a record is
due or leaves the due set, the `due` index. Timings are in-process on moto on a shared machine: they show
the code's own cost, not AWS latency (moto is much slower than DynamoDB).

Run alone: .venv/bin/python -m tests.bench.export_costs"""

from __future__ import annotations

import base64
import json
import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.bench.figures import heading, line, note
from tests.bench.harness import AWS_ENVIRONMENT, environment

RECORDS = int(__import__("os").environ.get("EXPORT_BENCH_RECORDS", "1000"))
BATCH = 100
CST = timezone(timedelta(hours=8))
# DESIGN.md's cost model (us-east-1 list prices, late 2026)
WRITE_USD = 0.625 / 1e6
READ_USD = 0.125 / 1e6  # per read unit (a strongly consistent read of ≤ 4 KB is one)
LAMBDA_REQUEST_USD = 0.20 / 1e6
LAMBDA_GB_SECOND_USD = 0.0000133
CHANNELS = ("hall_pad", "pc", "mobile", "qrcode", "sms", "hall_terminal", "phone")


def main() -> None:
    import boto3
    from moto import mock_aws

    from functions.core.domain.channels import Channel
    from functions.core.domain.directory import SubjectKind
    from functions.core.domain.levels import Satisfaction
    from functions.core.domain.ratings import Rating
    from functions.core.storage.tables import EXPORT
    from functions.export import wire
    from functions.export.receiver import StandInReceiver
    from functions.export.service import ExportService
    from functions.export.store import DynamoExport
    from functions.export.targets import national_gbt39046
    from functions.export.transport import Transport
    from infra.local import emulator
    from tests.fakes import demo_directory

    # The local stack's fixes to moto (a Query reads its partition, not the whole table sorted): they
    # change no answer, only how long moto takes to give it (tests/integration/test_emulator.py).
    emulator.install()
    heading(f"export: {RECORDS} ratings up to the national target (GB/T 39046, batches of {BATCH}; moto)")
    with environment(AWS_ENVIRONMENT), mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**EXPORT.create_table_request("bench-export"))
        calls: Counter[str] = Counter()
        sizes: list[int] = []

        def counted(params: Any, model: Any, **_: Any) -> None:
            calls[model.name] += 1
            if model.name == "PutItem":
                sizes.append(_item_size(params["Item"]))

        client.meta.events.register("provide-client-params.dynamodb.*", counted)
        key = base64.b64decode(base64.b64encode(b"k" * 32))
        target = national_gbt39046(
            "national",
            "http://127.0.0.1/bench",
            "152",
            batch_size=BATCH,
            max_records_per_run=RECORDS,
            statistics_endpoint="http://127.0.0.1/bench/statistics",
        )
        clock_offset = [timedelta(0)]

        def clock() -> datetime:
            return datetime.now(UTC) + clock_offset[0]

        receiver = StandInReceiver(target, key, clock=clock)
        http = Counter[str]()

        def post(url: str, body: bytes, headers: Any, timeout: float) -> wire.Exchange:
            http["POST"] += 1
            return receiver.receive(body, dict(headers))

        def get(url: str, timeout: float) -> wire.Exchange:
            http["GET"] += 1
            return wire.Exchange(200, {}, json.dumps(receiver.statistics(url.rsplit("=", 1)[1])).encode())

        directory = demo_directory()
        service = ExportService(
            targets=(target,),
            ledger=DynamoExport(client, "bench-export"),
            ratings=_NoRatings(),
            directory=directory,
            transports={"national": Transport(target, lambda: key, post=post, get=get, clock=clock)},
            clock=clock,
        )
        now = datetime.now(CST).replace(microsecond=0)
        ratings = [
            Rating(
                rating_id=f"bench-{n:06d}",
                channel=Channel(CHANNELS[n % len(CHANNELS)]),
                satisfaction=Satisfaction(5 - (n % 7 == 0) * 3 - (n % 11 == 0)),
                subjects={SubjectKind.DEPARTMENT: "D52010001", SubjectKind.ITEM: "I5201000101"},
                paths=(),
                department="D52010001",
                region="520100000000",
                case_no=f"GY-{n:06d}",
                tags=(),
                comment="说明" if n % 7 == 0 else None,
                rater=None,
                rater_kind=None,
                rated_at=now - timedelta(seconds=n % 600),
                received_at=now,
                day=now.date().isoformat(),
                fingerprint="b",
            )
            for n in range(RECORDS)
        ]

        started = time.perf_counter()
        for n, rating in enumerate(ratings):
            service.take(rating, str(10**20 + n))
        ingest = time.perf_counter() - started
        ingest_calls, calls = calls, Counter()
        ingest_sizes, sizes[:] = list(sizes), []

        clock_offset[0] = timedelta(seconds=target.skew_margin_seconds + 1)
        started = time.perf_counter()
        runs = 0
        while service.send_due("national")["sent"]:
            runs += 1
        send = time.perf_counter() - started
        send_calls, calls = calls, Counter()
        send_sizes = list(sizes)

        started = time.perf_counter()
        summary = service.reconcile("national", now.date().isoformat())
        reconcile = time.perf_counter() - started
        reconcile_calls = calls

        received = len(receiver.records())
        line(
            "records acknowledged",
            f"{received} of {RECORDS}",
            note=f"reconciliation matches: {summary['matches']}",
        )
        line("into the pending set (stream side)", RECORDS / ingest, "records/s")
        line("up to the target (sender)", RECORDS / send, "records/s", note=f"{runs} sender run(s)")
        line("end to end", RECORDS / (ingest + send), "records/s")
        line("daily reconciliation of the day", reconcile * 1000, "ms")

        per_million = 1e6 / RECORDS
        for phase, counted_calls in (
            ("stream side", ingest_calls),
            ("sender", send_calls),
            ("reconciliation", reconcile_calls),
        ):
            shown = ", ".join(f"{op} {n / RECORDS:.3f}" for op, n in sorted(counted_calls.items()))
            line(f"DynamoDB requests per record, {phase}", shown)
        line(
            "HTTP requests to the target per million records",
            http["POST"] * per_million,
            note=f"batches of {BATCH}",
        )
        line("statistics requests per reconciled day", http["GET"])

        def units(values: list[int]) -> float:
            # table + by_day index always; the due index on entering, moving in or leaving the due set
            return sum(math.ceil(size / 1024) * 3 for size in values)

        write_units = units(ingest_sizes) + units(send_sizes)
        reads = (
            ingest_calls["BatchGetItem"]
            + send_calls["BatchGetItem"]
            + send_calls["Query"] * 0.5 * math.ceil(BATCH * 0.6 / 4)
        )
        lambda_seconds = ingest + send
        cost = {
            "DynamoDB writes (modelled WRU)": write_units * per_million * WRITE_USD,
            "DynamoDB reads": reads * per_million * READ_USD,
            "Lambda requests (stream batches of 100, sender runs)": (RECORDS / 100 + runs)
            * per_million
            * LAMBDA_REQUEST_USD,
            "Lambda duration (1 GB arm64, in-process time on moto: an upper bound)": lambda_seconds
            * per_million
            * LAMBDA_GB_SECOND_USD,
        }
        line("write units per record (modelled)", write_units / RECORDS, "WRU")
        for name, usd in cost.items():
            line(f"per million records: {name}", usd, "USD")
        line("per million records: total", sum(cost.values()), "USD")
        note(
            "Fixed: the sender's schedule (43,200 invocations a month, about $0.01 with its queries), the daily "
            "reconciliation, one secret ($0.40 a month) and one alarm ($0.10)."
        )


def _item_size(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings as UTF-8, numbers about their digits)."""
    total = 0
    for name, value in item.items():
        ((kind, raw),) = value.items()
        total += len(name.encode()) + (len(str(raw)) // 2 + 1 if kind == "N" else len(str(raw).encode()))
    return total


class _NoRatings:
    def get(self, rating_id: str) -> Any:
        return None


if __name__ == "__main__":
    main()
