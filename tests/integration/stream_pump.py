"""Reads moto's ratings stream and hands its records to a stream handler in Lambda's event shape, with
the shard named as a mapping with a tumbling window names it: batches of the tests' choosing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3


class StreamPump:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self._streams = boto3.client("dynamodbstreams")
        self._after: dict[str, str] = {}  # shard → last sequence number taken

    def shards(self) -> list[str]:
        return [
            s["ShardId"]
            for s in self._streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        ]

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        """Every record not taken before, as (shard id, Lambda record), in stream order per shard."""
        taken: list[tuple[str, dict[str, Any]]] = []
        for shard in self.shards():
            kwargs: dict[str, Any] = {"StreamArn": self.arn, "ShardId": shard}
            if shard in self._after:
                kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self._after[shard])
            else:
                kwargs.update(ShardIteratorType="TRIM_HORIZON")
            iterator = self._streams.get_shard_iterator(**kwargs)["ShardIterator"]
            while iterator:
                answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records = answer.get("Records", [])
                if not records:
                    break
                for record in records:
                    taken.append((shard, lambda_record(record, self.arn)))
                    self._after[shard] = record["dynamodb"]["SequenceNumber"]
                iterator = answer.get("NextShardIterator")
        return taken


def lambda_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    record = dict(record)
    record["dynamodb"] = dict(record["dynamodb"])
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    record["eventSourceARN"] = arn
    return record


def event(shard: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": records,
        "shardId": shard,
        "eventSourceARN": records[0]["eventSourceARN"] if records else "",
        "window": {"start": "2026-11-22T00:00:00Z", "end": "2026-11-22T00:01:00Z"},
        "state": {},
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }


def batches(records: list[tuple[str, dict[str, Any]]], size: int) -> Iterator[dict[str, Any]]:
    by_shard: dict[str, list[dict[str, Any]]] = {}
    for shard, record in records:
        by_shard.setdefault(shard, []).append(record)
    for shard, shard_records in by_shard.items():
        for start in range(0, len(shard_records), size):
            yield event(shard, shard_records[start : start + size])
