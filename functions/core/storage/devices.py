"""Devices, pairing codes and QR flood counters in DynamoDB (the `devices` table, see tables.py).

Pairing is one transaction: the code's item is deleted on condition that it exists and has not expired,
and the device's item gets its credential's hash on condition that it is still pending, so a code
pairs once even when two devices type it at the same moment. A flood counter is one conditional
UpdateItem (ADD below the limit); a refusal costs the same one request."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.core.domain.channels import Channel
from functions.core.domain.devices import Device, DeviceStatus
from functions.core.domain.errors import NotFound, ValidationFailed

_OPTIONAL = ("token_hash", "staff", "staff_title", "paired_at", "revoked_at")


def _device_key(device_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"device#{device_id}"}}


def device_to_item(device: Device) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_device_key(device.device_id),
        "device_id": {"S": device.device_id},
        "window": {"S": device.window},
        "department": {"S": device.department},
        "channel": {"S": device.channel.value},
        "name": {"S": device.name},
        "status": {"S": device.status.value},
        "created_at": {"S": device.created_at},
    }
    for name in _OPTIONAL:
        value = getattr(device, name)
        if value is not None:
            item[name] = {"S": value}
    return item


def item_to_device(item: Mapping[str, Any]) -> Device:
    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value["S"]) if value else None

    return Device(
        device_id=str(item["device_id"]["S"]),
        window=str(item["window"]["S"]),
        department=str(item["department"]["S"]),
        channel=Channel(item["channel"]["S"]),
        name=str(item["name"]["S"]),
        status=DeviceStatus(item["status"]["S"]),
        created_at=str(item["created_at"]["S"]),
        **{name: text(name) for name in _OPTIONAL},
    )


class DynamoDevices:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def enrol(self, device: Device, pairing_hash: str, expires: datetime) -> None:
        pairing = {
            "pk": {"S": f"pair#{pairing_hash}"},
            "device_id": {"S": device.device_id},
            "expires": {"N": str(int(expires.timestamp()))},
            "ttl": {"N": str(int(expires.timestamp()) + 86400)},
        }
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": device_to_item(device),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": pairing,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def get(self, device_id: str) -> Device | None:
        item = self._client.get_item(
            TableName=self.table, Key=_device_key(device_id), ConsistentRead=True
        ).get("Item")
        return item_to_device(item) if item else None

    def pair(self, pairing_hash: str, credential_hash: Callable[[str], str], now: datetime) -> Device:
        """Spends the pairing code and gives its device the credential; a code unknown, spent or
        expired is one 400 (which of them is not said)."""
        refused = ValidationFailed(
            {"pairing_code": "unknown, already used or expired: enrol the device again"}
        )
        key = {"pk": {"S": f"pair#{pairing_hash}"}}
        found = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if not found or int(found["expires"]["N"]) < now.timestamp():
            raise refused
        device_id = str(found["device_id"]["S"])
        token_hash = credential_hash(device_id)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": key,
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": _device_key(device_id),
                            "UpdateExpression": "SET #s = :active, token_hash = :h, paired_at = :t",
                            "ConditionExpression": "#s = :pending",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":active": {"S": DeviceStatus.ACTIVE.value},
                                ":pending": {"S": DeviceStatus.PENDING.value},
                                ":h": {"S": token_hash},
                                ":t": {"S": now.isoformat()},
                            },
                        }
                    },
                ]
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "TransactionCanceledException":
                raise refused from None
            raise
        device = self.get(device_id)
        assert device is not None
        return device

    def save(self, device: Device) -> None:
        """Staff changes and revocation: the whole item, on condition that the device exists."""
        try:
            self._client.put_item(
                TableName=self.table, Item=device_to_item(device), ConditionExpression="attribute_exists(pk)"
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound("no such device") from None
            raise

    def of_department(self, department: str) -> Iterator[Device]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_department",
            "KeyConditionExpression": "department = :d",
            "ExpressionAttributeValues": {":d": {"S": department}},
        }
        while True:
            page = self._client.query(**request)
            for item in page.get("Items", []):
                yield item_to_device(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count_within(self, key: str, limit: int, expires: datetime) -> bool:
        """Adds one to the counter `key` if it stays within `limit`; False (nothing added) past it."""
        try:
            self._client.update_item(
                TableName=self.table,
                Key={"pk": {"S": key}},
                UpdateExpression="ADD n :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(int(expires.timestamp()))},
                },
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DynamoCaseReader:
    """The completed case a case's QR code rates, from the shared cases table (the SMS function records
    it from POST /v1/cases): its subjects, completion time and whether it has been rated."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def get_case(self, case_no: str) -> dict[str, str] | None:
        item = self._client.get_item(TableName=self.table, Key={"case_no": {"S": case_no}}).get("Item")
        if not item or "completed_at" not in item:
            return None
        case = {name: str(value["S"]) for name, value in item.items() if "S" in value}
        case["paths"] = " ".join(str(v["S"]) for v in item.get("paths", {}).get("L", []))
        return case
