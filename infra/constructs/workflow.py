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


def needs_of(machine: topology.StateMachine) -> topology.Needs:
    """What a state machine's role is granted: exactly the resources its placeholders name (its ASL's
    service integrations write tables, send task tokens to queues and publish to topics)."""
    named: dict[str, list[str]] = {"table": [], "queue": [], "topic": []}
    for _, reference in machine.placeholders:
        kind, _, name = reference.partition(":")
        if kind in named:
            named[kind].append(name)
    return topology.Needs(
        writes=tuple(named["table"]), sends=tuple(named["queue"]), publishes=tuple(named["topic"])
    )


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
            grant(role, needs_of(machine), tables=tables, topics=topics, queues=queues)
            self.machines[machine.name] = state_machine
            self.log_groups[machine.name] = log_group


def grant(
    grantee: iam.IGrantable,
    needs: topology.Needs,
    *,
    tables: Mapping[str, dynamodb.TableV2],
    topics: Mapping[str, sns.ITopic],
    queues: Mapping[str, sqs.IQueue],
) -> None:
    """The table, topic and queue permissions that `needs` names (shared by functions and machines)."""
    for name in needs.reads:
        tables[name].grant_read_data(grantee)
    for name in needs.writes:
        tables[name].grant_read_write_data(grantee)
    for name in needs.publishes:
        topics[name].grant_publish(grantee)
    for name in needs.sends:
        queues[name].grant_send_messages(grantee)
