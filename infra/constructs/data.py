"""The DynamoDB tables of a province's stack, declared from the same specs the local stack creates
them from (functions/core/storage/tables.py)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from functions.core.storage.tables import TABLES, Key, TableSpec

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_STREAMS = {
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type])


class DataTables(Construct):
    """On-demand tables with point-in-time recovery and deletion protection, encrypted with the
    province's own KMS key, kept when the stack is deleted: ratings are records of government service
    and must outlive any deployment.

    The key (rotated yearly, retained) also encrypts the topics, queues, secrets and the evidence bucket,
    so that one key policy says who may read the province's data at rest."""

    def __init__(self, scope: Construct, construct_id: str, *, table_prefix: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{table_prefix}",
            description=f"{table_prefix}: data at rest",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
        self.tables: dict[str, dynamodb.TableV2] = {
            spec.logical_name: self._table(spec, table_prefix) for spec in TABLES
        }

    def _table(self, spec: TableSpec, prefix: str) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            spec.logical_name.capitalize(),
            table_name=spec.physical_name(prefix),
            partition_key=_attribute(spec.partition),
            sort_key=_attribute(spec.sort) if spec.sort else None,
            billing=dynamodb.Billing.on_demand(),
            dynamo_stream=_STREAMS[spec.stream] if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(self.key),
            removal_policy=RemovalPolicy.RETAIN,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(index.partition),
                    sort_key=_attribute(index.sort) if index.sort else None,
                    projection_type=dynamodb.ProjectionType(index.projection),
                )
                for index in spec.indexes
            ]
            or None,
        )
