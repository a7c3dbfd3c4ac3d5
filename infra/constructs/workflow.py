"""The state machines of topology.STATE_MACHINES, from their ASL files, each with its own role (granted
what its `needs` name and nothing else), logging and, where the partition has it, tracing."""

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

from infra import bundle, topology
from infra.naming import camel, construct_id


def substitutions(
    machine: topology.StateMachine,
    *,
    tables: Mapping[str, dynamodb.TableV2],
    topics: Mapping[str, sns.ITopic],
    queues: Mapping[str, sqs.IQueue],
) -> dict[str, str]:
    """`${Placeholder}` → value, for what the machine needs (topology.StateMachine's convention)."""
    values = {"Partition": Aws.PARTITION, "Region": Aws.REGION, "Account": Aws.ACCOUNT_ID}
    for name in (*machine.needs.reads, *machine.needs.writes):
        values[f"{camel(name)}Table"] = tables[name].table_name
    for name in machine.needs.publishes:
        values[f"{camel(name)}TopicArn"] = topics[name].topic_arn
    for name in machine.needs.sends:
        values[f"{camel(name)}QueueUrl"] = queues[name].queue_url
        values[f"{camel(name)}QueueArn"] = queues[name].queue_arn
    return values


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
            definition = (bundle.ROOT / machine.definition).read_text(encoding="utf-8")
            state_machine = sfn.StateMachine(
                self,
                construct_id(machine.name, "StateMachine"),
                state_machine_name=f"{prefix}-{machine.name}",
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(definition),
                definition_substitutions=substitutions(machine, tables=tables, topics=topics, queues=queues),
                role=role,
                tracing_enabled=tracing,
                # Execution data (inputs, outputs) stays out of the logs: ids only, by design.
                logs=sfn.LogOptions(
                    destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False
                ),
            )
            grant(role, machine.needs, tables=tables, topics=topics, queues=queues)
            self.machines[machine.name] = state_machine


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
