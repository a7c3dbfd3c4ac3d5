"""Grants from the topology's `needs`, each exactly what it names: DynamoDB actions per kind of
access (topology.TABLE_ACTIONS), secrets read through Secrets Manager alone, and the key policy's
service statements made conditional and spelled for the stack's partition."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from infra import topology


def grant(
    grantee: iam.IGrantable,
    needs: topology.Needs,
    *,
    tables: Mapping[str, dynamodb.TableV2],
    topics: Mapping[str, sns.ITopic],
    queues: Mapping[str, sqs.IQueue],
) -> None:
    """The table, topic and queue permissions that `needs` names (shared by functions and machines):
    on tables exactly topology.TABLE_ACTIONS, never CDK's broader read/write sets."""
    for name, actions in topology.table_actions(needs).items():
        grant_table(grantee, tables[name], actions)
    for name in needs.publishes:
        topics[name].grant_publish(grantee)
    for name in needs.sends:
        queues[name].grant_send_messages(grantee)


_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def grant_table(grantee: iam.IGrantable, table: dynamodb.TableV2, actions: set[str]) -> None:
    """`actions` on the table (and its indexes, where it has some), and the table key's use through
    DynamoDB alone (kms:ViaService, spelled with the partition's domain: amazonaws.com.cn in China)."""
    from functions.core.storage.tables import TABLES

    # the table's spec, by the construct id infra/constructs/data.py gives it
    spec = next(s for s in TABLES if s.logical_name.capitalize() == table.node.id)
    resources = [table.table_arn] + ([f"{table.table_arn}/index/*"] if spec.indexes else [])
    principal = grantee.grant_principal
    principal.add_to_principal_policy(iam.PolicyStatement(actions=sorted(actions), resources=resources))
    key = table.encryption_key
    if key is None:
        return
    key_actions = ["kms:Decrypt", "kms:DescribeKey"]
    if actions & _WRITES:
        key_actions += ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=key_actions,
            resources=[key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service("dynamodb")}},
        )
    )


def grant_secret(grantee: iam.IGrantable, secret: secretsmanager.ISecret) -> None:
    """Reading one secret's value (what Powertools' get_secret calls) and decrypting it through Secrets
    Manager alone. CDK's `grant_read` would also add DescribeSecret and a key-policy statement whose
    kms:ViaService is spelled for the global partition only."""
    principal = grantee.grant_principal
    principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn])
    )
    if secret.encryption_key is not None:
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[secret.encryption_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": via_service("secretsmanager")}},
            )
        )


def via_service(service: str) -> str:
    """The `kms:ViaService` value of a service in the stack's region: `<service>.<region>.<domain>`,
    the domain being the partition's (amazonaws.com, amazonaws.com.cn)."""
    return f"{service}.{Aws.REGION}.{Aws.URL_SUFFIX}"


def harden_key_policy(key: kms.Key, prefix: str) -> None:
    """Two fixes of statements CDK constructs add to a key's policy, run once the stack is built:
    `kms:ViaService` values spelled for the global partition only (`secretsmanager.<region>.amazonaws.com`,
    added by Secret for its key) take via_service's partition-aware form; and a service principal let
    in without a condition (SNS, by each encrypted queue's subscription) only on behalf of this account
    (aws:SourceAccount) and, for SNS, of this stack's topics (aws:SourceArn)."""
    stack = Stack.of(key)
    cfn = key.node.default_child
    assert isinstance(cfn, kms.CfnKey)
    document = stack.resolve(cfn.key_policy)
    region = stack.region
    text = json.dumps(document)
    for service in ("secretsmanager", "dynamodb", "s3", "sns", "sqs", "lambda", "logs"):
        literal = json.dumps(f"{service}.{region}.amazonaws.com")
        text = text.replace(literal, json.dumps(stack.resolve(via_service(service))))
    fixed = json.loads(text)
    topics = stack.resolve(stack.format_arn(service="sns", resource=f"{prefix}-*"))
    for statement in fixed.get("Statement", []):
        service = statement.get("Principal", {}).get("Service")
        if service is None or "Condition" in statement:
            continue
        condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": stack.account}}
        if service == "sns.amazonaws.com":
            condition["ArnLike"] = {"aws:SourceArn": topics}
        statement["Condition"] = condition
    if fixed != document:
        cfn.add_property_override("KeyPolicy", fixed)
