"""The state machines of topology.STATE_MACHINES, from their ASL files, each with its own role (granted
what its placeholders name and nothing else), logging and, where the partition has it, tracing."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import statemachines, topology
from infra.constructs.grants import grant_table
from infra.naming import construct_id


def resolve(
    reference: str,
    *,
    tables: Mapping[str, dynamodb.TableV2],
    topics: Mapping[str, sns.ITopic],
    queues: Mapping[str, sqs.IQueue],
) -> str:
    """The value of a placeholder's reference (topology.StateMachine): "table:<logical>" → table name,
    "queue:<name>" → URL, "topic:<name>" → ARN, "partition" → the stack's partition."""
    kind, _, name = reference.partition(":")
    if kind == "partition":
        return Aws.PARTITION
    if kind == "table":
        return tables[name].table_name
    if kind == "queue":
        return queues[name].queue_url
    if kind == "topic":
        return topics[name].topic_arn
    raise ValueError(f"unknown placeholder reference {reference!r}")


# ASL service integrations (`arn:<partition>:states:::<service>:<action>`, optionally with
# `.waitForTaskToken`) → the IAM action each needs on the resource its parameters name.
_INTEGRATION_ACTIONS = {
    "dynamodb": {
        "getItem": "dynamodb:GetItem",
        "updateItem": "dynamodb:UpdateItem",
        "putItem": "dynamodb:PutItem",
    },
    "sns": {"publish": "sns:Publish"},
    "sqs": {"sendMessage": "sqs:SendMessage"},
}


def machine_actions(machine: topology.StateMachine) -> dict[str, set[str]]:
    """What a state machine's role is granted: for each resource its placeholders name ("table:tickets",
    "topic:...", "queue:..."), exactly the actions its ASL's Task states call on it (read from the file,
    so a new Task state cannot go ungranted and nothing unused is granted: no Scan, no DeleteItem)."""
    import json

    references = dict(machine.placeholders)
    found: dict[str, set[str]] = {}
    for state in json.loads(statemachines.asl_text(machine.name))["States"].values():
        if state.get("Type") != "Task":
            continue
        service, _, action = state["Resource"].split(":::", 1)[1].partition(":")
        iam_action = _INTEGRATION_ACTIONS[service][action.split(".")[0]]
        params = json.dumps(state.get("Parameters", {}))
        for placeholder, reference in references.items():
            if "${" + placeholder + "}" in params:
                found.setdefault(reference, set()).add(iam_action)
    return found


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        prefix: str,
        key: kms.IKey,
        tables: Mapping[str, dynamodb.TableV2],
        topics: Mapping[str, sns.ITopic],
        queues: Mapping[str, sqs.IQueue],
        retention: logs.RetentionDays,
        tracing: bool,
    ) -> None:
        super().__init__(scope, cid)
        self.machines: dict[str, sfn.StateMachine] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for machine in topology.STATE_MACHINES:
            role = iam.Role(
                self,
                construct_id(machine.name, "Role"),
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"{prefix}: the {machine.name} state machine",
            )
            log_group = logs.LogGroup(
                self,
                construct_id(machine.name, "Logs"),
                log_group_name=f"/aws/vendedlogs/states/{prefix}-{machine.name}",
                retention=retention,
                removal_policy=RemovalPolicy.RETAIN,
            )
            values = {
                placeholder: resolve(reference, tables=tables, topics=topics, queues=queues)
                for placeholder, reference in machine.placeholders
            }
            state_machine = sfn.StateMachine(
                self,
                construct_id(machine.name, "StateMachine"),
                state_machine_name=f"{prefix}-{machine.name}",
                state_machine_type=sfn.StateMachineType.STANDARD,
                # The one substitution the local stack runs too (infra/statemachines.py); CDK tokens go
                # in as strings and resolve at deploy time.
                definition_body=sfn.DefinitionBody.from_string(
                    statemachines.definition(machine.name, values)
                ),
                role=role,
                tracing_enabled=tracing,
                # Execution data (inputs, outputs) stays out of the logs: ids only, by design.
                logs=sfn.LogOptions(
                    destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False
                ),
            )
            for reference, actions in machine_actions(machine).items():
                kind, _, name = reference.partition(":")
                if kind == "table":
                    grant_table(role, tables[name], actions)
                elif kind == "topic":
                    topics[name].grant_publish(role)
                elif kind == "queue":
                    queues[name].grant_send_messages(role)
            self.machines[machine.name] = state_machine
            self.log_groups[machine.name] = log_group
