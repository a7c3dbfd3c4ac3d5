"""The CDK app synthesizes offline and declares exactly the tables the local stack creates."""

from __future__ import annotations

import os

import pytest

from functions.core.storage.tables import TABLES

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from aws_cdk.assertions import Template

    from infra.app import build_app

    app = build_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = app.node.find_child("haochaping-guizhou")
    return Template.from_stack(stack)


def test_every_table_spec_is_declared_with_its_keys_indexes_and_stream(template):
    tables = template.find_resources("AWS::DynamoDB::GlobalTable")
    by_name = {props["Properties"]["TableName"]: props["Properties"] for props in tables.values()}
    assert set(by_name) == {spec.physical_name("haochaping-guizhou") for spec in TABLES}
    for spec in TABLES:
        declared = by_name[spec.physical_name("haochaping-guizhou")]
        local = spec.create_table_request(spec.physical_name("haochaping-guizhou"))
        assert declared["KeySchema"] == local["KeySchema"]
        assert sorted(declared["AttributeDefinitions"], key=str) == sorted(
            local["AttributeDefinitions"], key=str
        )
        assert declared["BillingMode"] == "PAY_PER_REQUEST"
        if spec.stream:
            assert declared["StreamSpecification"] == {"StreamViewType": spec.stream}
        else:
            assert "StreamSpecification" not in declared
        indexes = {i["IndexName"]: i["KeySchema"] for i in declared.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in local.get("GlobalSecondaryIndexes", [])}
        replica = declared["Replicas"][0]
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert replica["DeletionProtectionEnabled"] is True


def test_tables_are_retained_when_the_stack_goes(template):
    for resource in template.find_resources("AWS::DynamoDB::GlobalTable").values():
        assert resource["DeletionPolicy"] == "Retain"
