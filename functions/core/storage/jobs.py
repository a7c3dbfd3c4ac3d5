"""Background jobs in DynamoDB, and the queue that carries them on.

A job item holds its cursor and a version; every save is conditional on the version read, so two
workers handed the same message cannot both advance the job. While a directory job runs, a lock item
(`lock#directory`) names it: starting a second is refused, and the save that finishes a job deletes the
lock in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from functions.core.domain.directory import SubjectRef
from functions.core.domain.directory_jobs import DirectoryJob, JobStatus, stack_from_json, stack_to_json
from functions.core.domain.errors import Conflict

LOCK = "lock#directory"


class DynamoJobs:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def start(self, job: DirectoryJob) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {"job_id": {"S": LOCK}, "holder": {"S": job.job_id}},
                            "ConditionExpression": "attribute_not_exists(job_id)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": job_to_item(job),
                            "ConditionExpression": "attribute_not_exists(job_id)",
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or []
            holder = (reasons[0].get("Item") or {}).get("holder", {}).get("S") if reasons else None
            raise Conflict(
                f"another directory move is still running (job {holder}); try again when it is done"
                if holder
                else "another directory move is starting; try again"
            ) from None

    def get(self, job_id: str) -> DirectoryJob | None:
        item = self._client.get_item(
            TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        ).get("Item")
        return item_to_job(item) if item and job_id != LOCK else None

    def running(self) -> DirectoryJob | None:
        lock = self._client.get_item(
            TableName=self._table, Key={"job_id": {"S": LOCK}}, ConsistentRead=True
        ).get("Item")
        return self.get(lock["holder"]["S"]) if lock else None

    def save(self, job: DirectoryJob, expected_version: int) -> bool:
        put = {
            "Put": {
                "TableName": self._table,
                "Item": job_to_item(job),
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
        }
        items: list[dict[str, Any]] = [put]
        if job.status is JobStatus.DONE:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"job_id": {"S": LOCK}},
                        "ConditionExpression": "holder = :h",
                        "ExpressionAttributeValues": {":h": {"S": job.job_id}},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException:
            return False
        return True


def job_to_item(job: DirectoryJob) -> dict[str, Any]:
    item: dict[str, Any] = {
        "job_id": {"S": job.job_id},
        "kind": {"S": "directory-move"},
        "status": {"S": job.status.value},
        "roots": {"L": [{"S": ref.key} for ref in job.roots]},
        "stack": {"S": stack_to_json(job.stack)},
        "processed": {"N": str(job.processed)},
        "version": {"N": str(job.version)},
        "created_at": {"S": job.created_at},
        "updated_at": {"S": job.updated_at},
    }
    if job.finished_at:
        item["finished_at"] = {"S": job.finished_at}
    return item


def item_to_job(item: dict[str, Any]) -> DirectoryJob:
    return DirectoryJob(
        job_id=item["job_id"]["S"],
        roots=tuple(SubjectRef.from_key(r["S"]) for r in item["roots"]["L"]),
        stack=stack_from_json(item["stack"]["S"]),
        status=JobStatus(item["status"]["S"]),
        processed=int(item["processed"]["N"]),
        version=int(item["version"]["N"]),
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        finished_at=item.get("finished_at", {}).get("S"),
    )


class SqsJobQueue:
    """Sends `{"job_id": ...}` to the directory-jobs queue, whose consumer advances the job."""

    def __init__(self, client: Callable[[], Any], queue_url: str) -> None:
        self._client = client  # built on first send: most requests never move a subtree
        self._queue_url = queue_url

    def send(self, job_id: str) -> None:
        if not self._queue_url:
            raise RuntimeError("DIRECTORY_JOBS_QUEUE_URL is not set: moves of subtrees cannot be queued")
        self._client().send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"job_id": job_id}))
