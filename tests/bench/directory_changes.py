"""How long directory changes take on the demo directory (929 entries), in this process on moto.

A rename writes the one entry (paths hold codes; names are looked up when shown). A move of an entry
with descendants answers 202 at once and leaves the descendants' paths to the directory-jobs queue's
consumer, which rewrites them in bounded chunks: the figures give the request's time, then the job's
time until done, its chunks and DynamoDB calls, and its rate in entries per second, which is what a
province-sized subtree would take (Guizhou: 4,499 departments, 492,000 items, 87,369 staff).

Before this design, renaming the province rewrote every descendant inside the request: 15-23 s on the
same directory (issue 6), beyond API Gateway's 29 s for any larger province.

Run alone: .venv/bin/python -m tests.bench.directory_changes"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from functions.core.domain import directory_jobs
from functions.core.domain.directory import SubjectKind, SubjectRef
from functions.rate import jobs
from tests.bench.figures import heading, line, ms, note
from tests.bench.harness import CallRecorder, InProcessStack, client_for, in_process_stack
from tests.gateway import trusted_identity

CITY = "520100000000"  # 贵阳市
DEPARTMENT = "D52010201"  # a department of 南明区, with its items, windows and staff


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 900_000  # Lambda's longest timeout; chunks stop at CHUNK_SIZE entries first


def main() -> None:
    heading("directory changes on the demo directory (rename, moves as background jobs)")
    with (
        in_process_stack() as stack,
        tempfile.TemporaryDirectory() as keys,
        trusted_identity(Path(keys)) as identity,
    ):
        admin = {
            "content-type": "application/json",
            "authorization": f"Bearer {identity.token('admin', None)}",
        }
        recorder = CallRecorder(stack.client)
        count = _count(stack)
        note(f"{count} directory entries; chunks of at most {directory_jobs.CHUNK_SIZE} entries per message")

        stack.send("GET", "/v1/directory/region/520000", None, admin)  # warm: token library, cache
        recorder.take()
        seconds, (status, _) = _timed(
            lambda: stack.send("PUT", "/v1/directory/region/520000000000", {"name": "贵州省（新名）"}, admin)
        )
        writes = [c for c in recorder.take() if c.operation in ("PutItem", "BatchWriteItem", "UpdateItem")]
        line(
            "province rename: request",
            ms(seconds),
            "ms",
            note=f"status {status}, {len(writes)} write request(s)",
        )

        _move(
            stack,
            admin,
            recorder,
            "county-level city re-parent (清镇市 → 省直管)",
            "region",
            "520181",
            {"name": "清镇市", "parent": "520000"},
        )
        _move(
            stack,
            admin,
            recorder,
            "county-level city back under 贵阳市",
            "region",
            "520181",
            {"name": "清镇市", "parent": "520100"},
        )
        _move(
            stack,
            admin,
            recorder,
            "department moved to another city",
            "department",
            DEPARTMENT,
            {"name": "南明区政务服务中心", "parent": "520200"},
        )
        _whole_city(stack, recorder)


def _move(
    stack: InProcessStack,
    admin: dict[str, str],
    recorder: CallRecorder,
    label: str,
    kind: str,
    code: str,
    body: dict[str, Any],
) -> None:
    recorder.take()
    seconds, (status, answer) = _timed(lambda: stack.send("PUT", f"/v1/directory/{kind}/{code}", body, admin))
    line(f"{label}: request", ms(seconds), "ms", note=f"status {status}, job {answer.get('job_id', '-')}")
    recorder.take()
    seconds, chunks = _timed(lambda: _drain(stack))
    calls = recorder.take()
    _, job = stack.send("GET", f"/v1/directory/jobs/{answer['job_id']}", None, admin)
    line(
        f"{label}: job until done",
        ms(seconds),
        "ms",
        note=f"{job['status']}, {job['processed']} descendants, {chunks} chunk(s), {_calls(calls)}, "
        f"{job['processed'] / seconds:,.0f} entries/s",
    )


def _whole_city(stack: InProcessStack, recorder: CallRecorder) -> None:
    """A city cannot move (its parent is the province by its code), but the job that would rewrite its
    subtree is the same: run it over 贵阳市 to see the largest subtree of the demo directory."""
    runtime = stack.runtime
    city = runtime.directory_store.get_many([SubjectRef(SubjectKind.REGION, CITY)])[
        SubjectRef(SubjectKind.REGION, CITY)
    ]
    job = directory_jobs.new_job("bench-whole-city", [city], "now")
    runtime.jobs.start(job)
    runtime.queue.send(job.job_id)
    recorder.take()
    seconds, chunks = _timed(lambda: _drain(stack))
    calls = recorder.take()
    done = runtime.jobs.get(job.job_id)
    assert done is not None
    line(
        "whole 贵阳市 subtree rewritten by the job",
        ms(seconds),
        "ms",
        note=f"{done.status.value}, {done.processed} descendants, {chunks} chunk(s), {_calls(calls)}, "
        f"{done.processed / seconds:,.0f} entries/s",
    )


def _calls(calls: list[Any]) -> str:
    by_kind: dict[str, int] = {}
    for call in calls:
        by_kind[call.operation] = by_kind.get(call.operation, 0) + 1
    spent = sum(call.seconds for call in calls)
    listed = ", ".join(f"{n} {op}" for op, n in sorted(by_kind.items()))
    return f"DynamoDB calls: {listed}, {ms(spent):,.0f} ms of it in moto"


def _drain(stack: InProcessStack) -> int:
    """Deliver the directory-jobs queue to its consumer, as the event source mapping does, until empty."""
    sqs = client_for("sqs")
    url = stack.settings.directory_jobs_queue_url
    chunks = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
        record = {"messageId": messages[0]["MessageId"], "body": messages[0]["Body"]}
        with _quiet(stack):
            answer = jobs.handler({"Records": [record]}, _Context())
        if answer["batchItemFailures"]:
            raise RuntimeError("a chunk failed")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        chunks += 1
    return chunks


def _quiet(stack: InProcessStack) -> Any:
    return contextlib.redirect_stdout(stack.sink)


def _count(stack: InProcessStack) -> int:
    pages = stack.client.get_paginator("scan").paginate(
        TableName=stack.settings.directory_table, Select="COUNT"
    )
    return sum(page["Count"] for page in pages)


def _timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


if __name__ == "__main__":
    main()
