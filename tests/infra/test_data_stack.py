"""The CDK app synthesizes offline and declares exactly the tables the local stack creates."""

from __future__ import annotations

from functions.core.storage.tables import TABLES


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


def test_tables_are_encrypted_with_the_provinces_own_rotated_key(template):
    keys = template.find_resources("AWS::KMS::Key")
    # The data key, and the console API key secret's own key (the authorizer decrypts only that one).
    assert len(keys) == 2
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == "Retain"
    ((key_id, key),) = [(i, k) for i, k in keys.items() if "ConsoleKeyEncryption" not in i]
    for table in template.find_resources("AWS::DynamoDB::GlobalTable").values():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS"
        replica_key = table["Properties"]["Replicas"][0]["SSESpecification"]["KMSMasterKeyId"]
        assert replica_key == {"Fn::GetAtt": [key_id, "Arn"]}
