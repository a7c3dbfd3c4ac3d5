"""The ticket workflow's AWS side: one Step Functions execution per ticket, its task tokens, the
`ticket-events` topic (COMMON.md contract 3) and pre-signed evidence uploads. Only this module and
store.py talk to AWS."""

from __future__ import annotations

import json
import logging
from typing import Any

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
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def upload_url(self, key: str) -> str:
        return str(
            self._s3.generate_presigned_url(
                "put_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=EVIDENCE_URL_SECONDS
            )
        )
