"""The ticket workflow's AWS side: one Step Functions execution per ticket, its task tokens, the
`ticket-events` topic (COMMON.md contract 3) and pre-signed evidence uploads. Only this module and
store.py talk to AWS."""

from __future__ import annotations

import json
import logging
from typing import Any

from functions.tickets.evidence import SIGNATURE_BYTES, StoredFile, download_name

logger = logging.getLogger("haochaping.tickets")

EVIDENCE_URL_SECONDS = 900


class StepFunctionsWorkflow:
    def __init__(self, stepfunctions: Any, sns: Any, state_machine_arn: str, topic_arn: str) -> None:
        self._sfn = stepfunctions
        self._sns = sns
        self._state_machine = state_machine_arn
        self._topic = topic_arn

    def start(self, name: str, execution_input: str) -> str:
        """Starts the ticket's execution, or finds the one already started under the same name: the
        same name and input while it runs is the same execution, and a name reused after it ended is
        refused as ExecutionAlreadyExists; either way there is exactly one."""
        try:
            return str(
                self._sfn.start_execution(
                    stateMachineArn=self._state_machine, name=name, input=execution_input
                )["executionArn"]
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            arn = self.execution_arn(name)
            self._sfn.describe_execution(executionArn=arn)  # it exists: this raises otherwise
            return arn

    def status(self, execution_arn: str) -> str:
        return str(self._sfn.describe_execution(executionArn=execution_arn)["status"])

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self._state_machine.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def succeed(self, token: str, output: str) -> bool:
        """Hands a department action to the waiting task; False when that task is no longer waiting
        (it timed out into its next wait, whose token the workflow sends next)."""
        try:
            self._sfn.send_task_success(taskToken=token, output=output)
        except (
            self._sfn.exceptions.InvalidToken,
            self._sfn.exceptions.TaskDoesNotExist,
            self._sfn.exceptions.TaskTimedOut,
        ):
            return False
        return True

    def reschedule(self, token: str) -> None:
        """Makes the waiting task re-read its deadline from the ticket (the ASL catches this error)."""
        try:
            self._sfn.send_task_failure(taskToken=token, error="Rescheduled", cause="calendar loaded")
        except (self._sfn.exceptions.InvalidToken, self._sfn.exceptions.TaskDoesNotExist):
            logger.info("rescheduled task had ended already")
        except self._sfn.exceptions.TaskTimedOut:
            logger.info("rescheduled task had timed out already")

    def publish(self, event: dict[str, Any]) -> None:
        self._sns.publish(TopicArn=self._topic, Message=json.dumps(event, ensure_ascii=False))


class EvidenceUploads:
    """The evidence bucket (versioned): pre-signed POST forms whose policy S3 enforces, what a cited key
    holds, and pre-signed downloads of a cited version."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def upload_form(self, key: str, content_type: str, size: int) -> dict[str, Any]:
        """{"url", "fields"}: a form for one file of exactly this key and type, of at most `size`
        bytes; S3 refuses any other key, type or size (boto3 adds the bucket and key conditions)."""
        form = self._s3.generate_presigned_post(
            self._bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
            ExpiresIn=EVIDENCE_URL_SECONDS,
        )
        return {"url": str(form["url"]), "fields": dict(form["fields"])}

    def inspect(self, key: str) -> StoredFile | None:
        """What the key holds: None if nothing was ever uploaded there."""
        listed = self._s3.list_object_versions(Bucket=self._bucket, Prefix=key, MaxKeys=10)
        versions = [v for v in listed.get("Versions", []) if v["Key"] == key]
        if not versions:
            return None
        newest = next((v for v in versions if v.get("IsLatest")), versions[0])
        version_id = str(newest.get("VersionId") or "null")
        head = self._s3.head_object(Bucket=self._bucket, Key=key, VersionId=version_id)
        first = self._s3.get_object(
            Bucket=self._bucket, Key=key, VersionId=version_id, Range=f"bytes=0-{SIGNATURE_BYTES - 1}"
        )
        return StoredFile(
            versions=len(versions),
            version_id=version_id,
            content_type=str(head.get("ContentType") or ""),
            size=int(head.get("ContentLength") or 0),
            head=first["Body"].read(),
        )

    def download_url(self, key: str, version_id: str, content_type: str) -> str:
        """A download of the cited version: saved as a file, never rendered as a page."""
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "VersionId": version_id,
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'attachment; filename="{download_name(key)}"',
                },
                ExpiresIn=EVIDENCE_URL_SECONDS,
            )
        )
