"""The SMS channel's DynamoDB adapter: completed cases (in the shared cases table, beside the rating's
claim of the case) and invitations, opt-outs and sent-markers (in the sms table).

No plain phone number is stored: an invitation holds the applicant's keyed phone hash (to match a
reply) and the sealed phone (for the sender alone to open)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import Conflict

# How long an invitation stays stored after it expires (so that a late reply hears "expired" rather
# than "no invitation"), and how long a sent-marker guards against sending a text twice.
KEEP_EXPIRED = timedelta(days=30)
KEEP_SENT_MARKER = timedelta(days=7)
# How long a provider message id stays bound to the case it rated: SNS redelivers within hours; a week
# covers any retry policy of the provider.
KEEP_MESSAGE_CLAIM = timedelta(days=7)
DUE = "due"


class RecordedCase(NamedTuple):
    created: bool  # False: the same case reported again, answered as before
    rating_id: str | None  # the case's rating, on any channel, if it has one


class Invitation(NamedTuple):
    phone_hash: str
    case_no: str
    sealed: bytes
    subjects: Mapping[SubjectKind, str]
    item_name: str
    department_name: str
    created_at: datetime
    send_after: datetime
    status: str  # pending (quiet hours) → sent → rated | closed | opted_out
    sent_at: datetime | None = None
    expires: datetime | None = None
    help_sent: bool = False
    rating_id: str | None = None
    # A bad level replied without its reason where the province requires one: the rating waits for
    # the words (the invitation's next reply) while the invitation stays open.
    awaiting_level: int | None = None

    def open_at(self, now: datetime) -> bool:
        return self.status == "sent" and self.expires is not None and now < self.expires

    def expired_at(self, now: datetime) -> bool:
        return self.status == "sent" and self.expires is not None and now >= self.expires


class DynamoSms:
    def __init__(self, client: Any, sms_table: str, cases_table: str) -> None:
        self._client = client
        self._table = sms_table
        self._cases = cases_table

    # --- cases ---------------------------------------------------------------------------------

    def record_case(self, case_no: str, fingerprint: str, fields: Mapping[str, Any]) -> RecordedCase:
        """One conditional UpdateItem: records the case unless it holds other content (409). A rating
        may have claimed the case first (its item then has `rating_id` and no `fp`)."""
        names = {f"#{name}": name for name in fields}
        values = {f":{name}": value for name, value in fields.items()}
        update = ", ".join(f"#{name} = :{name}" for name in fields)
        try:
            answer = self._client.update_item(
                TableName=self._cases,
                Key={"case_no": {"S": case_no}},
                UpdateExpression=f"SET fp = :fp, {update}",
                ConditionExpression="attribute_not_exists(fp) OR fp = :fp",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":fp": {"S": fingerprint}, **values},
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="NONE",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise Conflict(
                f"case {case_no} was recorded before with other content; a case is reported once"
            ) from None
        old = answer.get("Attributes") or {}
        rating_id = old.get("rating_id", {}).get("S")
        return RecordedCase(created="fp" not in old, rating_id=rating_id)

    # --- opt-outs ------------------------------------------------------------------------------

    def opted_out(self, phone_hash: str) -> bool:
        answer = self._client.get_item(
            TableName=self._table,
            Key=_key(f"phone#{phone_hash}", "optout"),
            ProjectionExpression="pk",
        )
        return "Item" in answer

    def opt_out(self, phone_hash: str, now: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={**_key(f"phone#{phone_hash}", "optout"), "at": {"S": now.isoformat()}},
        )

    # --- invitations ---------------------------------------------------------------------------

    def create_invitation(self, invitation: Invitation) -> bool:
        """At most one invitation per case: False when the case has one already."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=invitation_to_item(invitation),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def invitations(self, phone_hash: str) -> list[Invitation]:
        items = self._query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :inv)",
            ExpressionAttributeValues={":pk": {"S": f"phone#{phone_hash}"}, ":inv": {"S": "inv#"}},
            ConsistentRead=True,
        )
        return [item_to_invitation(item) for item in items]

    def mark_sent(self, invitation: Invitation, sent_at: datetime, expires: datetime) -> None:
        """Out of the `due` index, open until `expires`; only a pending invitation changes."""
        # Sent by another sweep, or answered or opted out meanwhile: then nothing changes.
        with contextlib.suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._client.update_item(
                TableName=self._table,
                Key=_key(f"phone#{invitation.phone_hash}", f"inv#{invitation.case_no}"),
                UpdateExpression="SET #s = :sent, sent_at = :at, expires = :exp, expires_at = :ttl REMOVE #due",
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status", "#due": DUE},
                ExpressionAttributeValues={
                    ":sent": {"S": "sent"},
                    ":pending": {"S": "pending"},
                    ":at": {"S": sent_at.isoformat()},
                    ":exp": {"S": expires.isoformat()},
                    ":ttl": {"N": str(int((expires + KEEP_EXPIRED).timestamp()))},
                },
            )

    def set_status(self, invitation: Invitation, status: str, rating_id: str | None = None) -> None:
        values: dict[str, Any] = {":s": {"S": status}}
        update = "SET #s = :s"
        if rating_id:
            update += ", rating_id = :r"
            values[":r"] = {"S": rating_id}
        self._client.update_item(
            TableName=self._table,
            Key=_key(f"phone#{invitation.phone_hash}", f"inv#{invitation.case_no}"),
            UpdateExpression=update + " REMOVE #due",
            ExpressionAttributeNames={"#s": "status", "#due": DUE},
            ExpressionAttributeValues=values,
        )

    def claim_help(self, invitation: Invitation) -> bool:
        """True once per invitation: an unparseable reply gets one help text, not one per message."""
        return self._set_once(invitation, "help_sent", {"BOOL": True})

    def await_reason(self, invitation: Invitation, level: int) -> bool:
        """True once per invitation: a bad reply without words gets one text asking for the reason."""
        return self._set_once(invitation, "awaiting_level", {"N": str(level)})

    def _set_once(self, invitation: Invitation, attribute: str, value: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(f"phone#{invitation.phone_hash}", f"inv#{invitation.case_no}"),
                UpdateExpression=f"SET {attribute} = :v",
                ConditionExpression=f"attribute_exists(pk) AND attribute_not_exists({attribute})",
                ExpressionAttributeValues={":v": value},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def claim_message(self, message_id: str, phone_hash: str, case_no: str, now: datetime) -> str:
        """Binds an inbound message (the provider's id, from that number) to the case it rates, once:
        the case it is bound to, which is `case_no` on its first delivery and the first delivery's
        case on every redelivery."""
        key = _key(f"msg#{message_id}", f"phone#{phone_hash}")
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **key,
                    "case_no": {"S": case_no},
                    "at": {"S": now.isoformat()},
                    "expires_at": {"N": str(int((now + KEEP_MESSAGE_CLAIM).timestamp()))},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)["Item"]
            return str(item["case_no"]["S"])
        return case_no

    def due(self, now: datetime) -> Iterator[Invitation]:
        """Invitations whose time has come and that are not sent yet (quiet hours, or a crash between
        publishing and marking)."""
        items = self._query(
            TableName=self._table,
            IndexName=DUE,
            KeyConditionExpression="#due = :due AND send_after <= :now",
            ExpressionAttributeNames={"#due": DUE},
            ExpressionAttributeValues={":due": {"S": DUE}, ":now": {"S": _utc(now)}},
        )
        for item in items:
            yield item_to_invitation(item)

    # --- texts handed to the provider ----------------------------------------------------------

    def was_sent(self, key: str) -> bool:
        answer = self._client.get_item(
            TableName=self._table,
            Key=_key(f"sent#{key}", "-"),
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return "Item" in answer

    def mark_delivered(self, key: str, now: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(f"sent#{key}", "-"),
                "at": {"S": now.isoformat()},
                "expires_at": {"N": str(int((now + KEEP_SENT_MARKER).timestamp()))},
            },
        )

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        while True:
            answer = self._client.query(**request)
            yield from answer.get("Items", [])
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _utc(moment: datetime) -> str:
    """The `due` index sorts strings: one offset (UTC) for every send_after makes them compare."""
    from datetime import UTC

    return moment.astimezone(UTC).isoformat()


def invitation_to_item(invitation: Invitation) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(f"phone#{invitation.phone_hash}", f"inv#{invitation.case_no}"),
        "case_no": {"S": invitation.case_no},
        "sealed": {"B": invitation.sealed},
        "subjects": {"M": {kind.value: {"S": code} for kind, code in invitation.subjects.items()}},
        "item_name": {"S": invitation.item_name},
        "department_name": {"S": invitation.department_name},
        "created_at": {"S": invitation.created_at.isoformat()},
        "send_after": {"S": _utc(invitation.send_after)},
        "status": {"S": invitation.status},
    }
    if invitation.status == "pending":
        item[DUE] = {"S": DUE}
        # Never sent (opted out before morning, say): gone a while after it would have expired.
        item["expires_at"] = {"N": str(int((invitation.send_after + KEEP_EXPIRED * 2).timestamp()))}
    if invitation.sent_at is not None:
        item["sent_at"] = {"S": invitation.sent_at.isoformat()}
    if invitation.expires is not None:
        item["expires"] = {"S": invitation.expires.isoformat()}
        item["expires_at"] = {"N": str(int((invitation.expires + KEEP_EXPIRED).timestamp()))}
    return item


def item_to_invitation(item: Mapping[str, Any]) -> Invitation:
    def when(name: str) -> datetime | None:
        value = item.get(name, {}).get("S")
        return datetime.fromisoformat(value) if value else None

    created_at, send_after = when("created_at"), when("send_after")
    assert created_at is not None and send_after is not None
    return Invitation(
        phone_hash=item["pk"]["S"].removeprefix("phone#"),
        case_no=item["case_no"]["S"],
        sealed=bytes(item["sealed"]["B"]),
        subjects={SubjectKind(k): v["S"] for k, v in item["subjects"]["M"].items()},
        item_name=item["item_name"]["S"],
        department_name=item["department_name"]["S"],
        created_at=created_at,
        send_after=send_after,
        status=item["status"]["S"],
        sent_at=when("sent_at"),
        expires=when("expires"),
        help_sent=item.get("help_sent", {}).get("BOOL", False),
        rating_id=item.get("rating_id", {}).get("S"),
        awaiting_level=int(item["awaiting_level"]["N"]) if "awaiting_level" in item else None,
    )
