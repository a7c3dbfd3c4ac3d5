"""The consumer of the directory-jobs queue: each message advances one directory move by a chunk.

Lambda's SQS event source mapping (ReportBatchItemFailures) calls `handler`; the local stack's poller
calls it the same way. A message whose chunk fails stays on the queue and comes back after its
visibility timeout; the job's saved cursor makes the retry resume, not restart."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from functions.core.domain import directory_jobs
from functions.rate import wiring

logger = logging.getLogger("haochaping.directory_jobs")

# Stop a chunk early when the invocation has less than this left, so the cursor is always saved.
RESERVE_MS = 10_000


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    runtime = wiring.runtime()
    failures = []
    for record in event.get("Records", []):
        try:
            job_id = json.loads(record["body"])["job_id"]
            job = directory_jobs.run_chunk(
                str(job_id),
                runtime.jobs,
                runtime.directory_store,
                runtime.queue,
                now=lambda: datetime.now(UTC).isoformat(timespec="seconds"),
                budget=directory_jobs.CHUNK_SIZE,
                out_of_time=lambda: context.get_remaining_time_in_millis() < RESERVE_MS,
            )
            if job is not None:
                logger.info(
                    "directory job advanced",
                    extra={"job_id": job.job_id, "status": job.status.value, "processed": job.processed},
                )
        except Exception:
            logger.exception("directory job chunk failed; the message will come back")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
