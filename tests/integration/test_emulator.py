"""The local stack's fixes to moto's TransactWriteItems answer exactly as moto does, without copying
whole tables: a cancelled transaction leaves items and streams as they were."""

from __future__ import annotations

import boto3
import pytest

from infra.local import emulator


@pytest.fixture
def tables(moto_aws):
    emulator.install()
    client = boto3.client("dynamodb")
    for name in ("a", "b"):
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
    return client


def stream_events(client, table):
    streams = boto3.client("dynamodbstreams")
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return [
        (r["eventName"], r["dynamodb"]["Keys"]["k"]["S"])
        for r in streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    ]


def put(table, key, value, condition="attribute_not_exists(k)"):
    return {
        "Put": {
            "TableName": table,
            "Item": {"k": {"S": key}, "v": {"S": value}},
            "ConditionExpression": condition,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def test_a_cancelled_transaction_leaves_items_and_streams_as_they_were(tables):
    # Given one committed transaction
    tables.transact_write_items(TransactItems=[put("a", "1", "first"), put("b", "x", "first")])
    # When a second one writes a new item in b and an existing one in a (whose condition fails)
    with pytest.raises(tables.exceptions.TransactionCanceledException) as caught:
        tables.transact_write_items(TransactItems=[put("b", "y", "second"), put("a", "1", "second")])
    # Then moto's answer is unchanged: the failing item's reason and old image
    reasons = caught.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["v"] == {"S": "first"}
    # And nothing of it is left in the tables or their streams
    assert "Item" not in tables.get_item(TableName="b", Key={"k": {"S": "y"}})
    assert tables.get_item(TableName="a", Key={"k": {"S": "1"}})["Item"]["v"] == {"S": "first"}
    assert stream_events(tables, "a") == [("INSERT", "1")]
    assert stream_events(tables, "b") == [("INSERT", "x")]


def test_a_committed_transaction_still_writes_everything(tables):
    tables.transact_write_items(TransactItems=[put("a", "1", "v1"), put("b", "1", "v1")])
    tables.transact_write_items(
        TransactItems=[
            put("a", "1", "v2", condition="attribute_exists(k)"),
            {
                "Update": {
                    "TableName": "b",
                    "Key": {"k": {"S": "1"}},
                    "UpdateExpression": "SET w = :w",
                    "ExpressionAttributeValues": {":w": {"S": "new"}},
                }
            },
        ]
    )
    assert tables.get_item(TableName="a", Key={"k": {"S": "1"}})["Item"]["v"] == {"S": "v2"}
    assert tables.get_item(TableName="b", Key={"k": {"S": "1"}})["Item"]["w"] == {"S": "new"}
    assert stream_events(tables, "a") == [("INSERT", "1"), ("MODIFY", "1")]


def test_tables_are_not_copied_per_transaction_but_still_copy_elsewhere(tables, monkeypatch):
    import copy

    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table

    calls = []
    original = Table.__deepcopy__

    def watched(table, memo):
        calls.append((table, original(table, memo)))
        return calls[-1][1]

    monkeypatch.setattr(Table, "__deepcopy__", watched)
    tables.transact_write_items(TransactItems=[put("a", "2", "v"), put("b", "2", "v")])
    assert len(calls) == 2 and all(result is table for table, result in calls)
    table = next(iter(dynamodb_backends["123456789012"]["cn-northwest-1"].tables.values()))
    assert copy.deepcopy(table) is not table  # backups and restores still get real copies


@pytest.fixture
def partitions(moto_aws):
    """A counters-like table (subject, day) with a GSI, and a hash-only table, several partitions each."""
    emulator.install()
    client = boto3.client("dynamodb")
    client.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.create_table(
        TableName="plain",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for subject in range(5):
        for day in range(1, 13):
            client.put_item(
                TableName="counters",
                Item={
                    "pk": {"S": f"department#D{subject}"},
                    "sk": {"S": f"d#2026-01-{day:02d}"},
                    "g": {"S": f"g{day % 3}"},
                    "n": {"N": str(subject * day)},
                },
            )
        client.put_item(TableName="plain", Item={"k": {"S": f"D{subject}"}, "v": {"N": str(subject)}})
    return client


QUERIES = [
    {
        "TableName": "counters",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "department#D3"}},
    },
    {
        "TableName": "counters",
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {
            ":p": {"S": "department#D2"},
            ":a": {"S": "d#2026-01-03"},
            ":b": {"S": "d#2026-01-09"},
        },
        "ScanIndexForward": False,
    },
    {
        "TableName": "counters",
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :d)",
        "FilterExpression": "n > :z",
        "ExpressionAttributeValues": {":p": {"S": "department#D1"}, ":d": {"S": "d#"}, ":z": {"N": "4"}},
        "Limit": 4,
    },
    {
        "TableName": "counters",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "nobody"}},
    },
    {
        "TableName": "counters",
        "IndexName": "by-g",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "g1"}},
    },
    {
        "TableName": "plain",
        "KeyConditionExpression": "k = :k",
        "ExpressionAttributeValues": {":k": {"S": "D4"}},
    },
]


def all_pages(client, request):
    pages, start = [], None
    while True:
        page = client.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page["Items"], page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey")))
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("request_", QUERIES, ids=range(len(QUERIES)))
def test_a_query_answers_exactly_as_motos_full_walk_does(partitions, request_):
    # Given the same Query, paged to its end
    ours = all_pages(partitions, request_)
    # When moto walks the whole table instead
    with emulator.moto_query_walks():
        motos = all_pages(partitions, request_)
    # Then every page, count and continuation key is the same
    assert ours == motos


def test_a_table_query_reads_its_partition_without_walking_the_table(partitions, monkeypatch):
    walks = []
    full_walk = emulator._moto_all_items
    monkeypatch.setattr(
        emulator, "_moto_all_items", lambda table: walks.append(table.name) or full_walk(table)
    )
    # When the table is queried by partition key, then moto's walk of every item never runs
    partitions.query(**QUERIES[1])
    assert walks == []
    # (whereas moto's own path walks, and sorts, the whole table for the same Query)
    with emulator.moto_query_walks():
        partitions.query(**QUERIES[1])
    assert walks == ["counters"]


def test_an_index_query_sees_every_write_since_the_last_one(partitions):
    index_query = QUERIES[4]  # g = g1
    first = all_pages(partitions, index_query)
    # When an item joins the index partition, another leaves it (an update in place), one is deleted
    partitions.put_item(TableName="counters", Item={"pk": {"S": "new"}, "sk": {"S": "d#1"}, "g": {"S": "g1"}})
    partitions.update_item(
        TableName="counters",
        Key={"pk": {"S": "department#D0"}, "sk": {"S": "d#2026-01-01"}},
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": {"S": "g2"}},
    )
    partitions.delete_item(
        TableName="counters", Key={"pk": {"S": "department#D1"}, "sk": {"S": "d#2026-01-04"}}
    )
    # Then the index answers as moto's full walk does, and differently from before
    ours = all_pages(partitions, index_query)
    with emulator.moto_query_walks():
        assert ours == all_pages(partitions, index_query)
    assert ours != first
