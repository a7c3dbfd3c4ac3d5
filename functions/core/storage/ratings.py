"""Ratings in DynamoDB.

Accepting a rating is one write request. Without a case number it is a conditional PutItem on the
rating id (the client's idempotency key). With one it is a single TransactWriteItems that puts the
rating and claims the case (functions.core.storage.cases says how), both conditional, so neither a
retry nor a second rating of the same case can slip in between two requests. A failed condition
returns the stored item in the same answer (ReturnValuesOnConditionCheckFailure), which tells a replay
from a conflict without another read."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from functions.core.domain.channels import Channel
from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import CaseAlreadyRated, Conflict, RatingPeriodOver, Throttled
from functions.core.domain.levels import Satisfaction
from functions.core.domain.province import RatingRules
from functions.core.domain.ratings import ProtectedRater, Rating
from functions.core.storage.cases import DynamoCases, RatedByDefault

_BUSY = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})
_BUSY_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})


class Accepted(NamedTuple):
    rating: Rating
    created: bool  # False: a retry of a rating already stored, answered as before


class DynamoRatings:
    """`rules` and `follow_ups` are the province's (ProvinceConfig.ratings, .allow_follow_up): what the
    case's claim checks besides one rating per case."""

    def __init__(
        self,
        client: Any,
        ratings_table: str,
        cases: DynamoCases,
        rules: RatingRules | None = None,
        follow_ups: bool = False,
    ) -> None:
        self._client = client
        self._ratings = ratings_table
        self._cases = cases
        self._rules = rules or RatingRules()
        self._follow_ups = follow_ups

    def accept(self, rating: Rating) -> Accepted:
        try:
            if rating.case_no is None:
                return self._put(rating, rating_to_item(rating))
            if rating.follow_up:
                return self._follow_up(rating)
            try:
                return self._put_claiming_case(rating, rating_to_item(rating))
            except RatedByDefault:
                if not self._follow_ups:
                    raise CaseAlreadyRated(f"case {rating.case_no} has been rated by default") from None
                # The person's own rating of a case rated by default follows that rating up (追评),
                # within the follow-up period, counted as the province's follow-up rule says.
                return self._follow_up(rating._replace(follow_up=True))
        except ClientError as e:
            # Still throttled after the client's own retries: the channel retries later with the same
            # rating_id, which is safe, so tell it so instead of failing.
            if e.response.get("Error", {}).get("Code") in _BUSY:
                raise Throttled("the ratings store is busy; retry with the same rating_id") from None
            raise

    def _put(self, rating: Rating, item: dict[str, Any]) -> Accepted:
        try:
            self._client.put_item(
                TableName=self._ratings,
                Item=item,
                ConditionExpression="attribute_not_exists(rating_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnConsumedCapacity="TOTAL",
            )
        except self._client.exceptions.ConditionalCheckFailedException as e:
            stored = e.response.get("Item") or self._get_item(rating.rating_id)
            return self._replay(rating, stored)
        return Accepted(rating, created=True)

    def _follow_up(self, rating: Rating) -> Accepted:
        """A follow-up names the rating it follows (read from the case), within the follow-up period
        after that one; where the follow-up replaces it, the same transaction marks it replaced."""
        assert rating.case_no is not None
        case = self._cases.get(rating.case_no) or {}
        if case.get("follow_up_id", {}).get("S") == rating.rating_id:  # a retry of this follow-up
            return self._replay(rating, self._get_item(rating.rating_id))
        first = case.get("rating_id", {}).get("S")
        if first is None:
            raise self._cases.refusal(rating, case)
        if "follow_up_id" in case:
            raise self._cases.refusal(rating, case)
        days = self._rules.follow_up_days
        first_at = datetime.fromisoformat(case["rated_at"]["S"])
        if days is not None and rating.rated_at > first_at + timedelta(days=days):
            raise RatingPeriodOver(
                f"case {rating.case_no} can no longer be followed up: its follow-up period of {days} days is over"
            )
        replaces: list[dict[str, Any]] = []
        if self._rules.follow_up_replaces:
            replaces.append(
                {
                    "Update": {
                        "TableName": self._ratings,
                        "Key": {"rating_id": {"S": first}},
                        "UpdateExpression": "SET replaced_by = :r",
                        "ConditionExpression": "attribute_exists(rating_id) AND attribute_not_exists(replaced_by)",
                        "ExpressionAttributeValues": {":r": {"S": rating.rating_id}},
                    }
                }
            )
        return self._put_claiming_case(rating, rating_to_item(rating), follows=first, also=replaces)

    def _put_claiming_case(
        self,
        rating: Rating,
        item: dict[str, Any],
        follows: str | None = None,
        also: list[dict[str, Any]] | None = None,
    ) -> Accepted:
        assert rating.case_no is not None
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._ratings,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(rating_id)",
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    self._cases.claim(rating, follows),
                    *(also or []),
                ],
                ReturnConsumedCapacity="TOTAL",
            )
        except self._client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or []
            codes = [r.get("Code") for r in reasons]
            if codes and codes[0] == "ConditionalCheckFailed":
                stored = reasons[0].get("Item") or self._get_item(rating.rating_id)
                return self._replay(rating, stored)
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise self._cases.refusal(rating, reasons[1].get("Item")) from None
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise CaseAlreadyRated(
                    f"case {rating.case_no} has had its follow-up rating already"
                ) from None
            if _BUSY_REASONS.intersection(codes):
                # Another request is writing the same case or rating at this moment.
                raise Throttled("the ratings store is busy; retry with the same rating_id") from None
            raise
        return Accepted(rating, created=True)

    def _replay(self, rating: Rating, stored: Mapping[str, Any] | None) -> Accepted:
        if stored is None:  # deleted between the two requests: cannot happen with our writers
            raise Conflict(f"rating {rating.rating_id} changed while it was being stored")
        previous = item_to_rating(stored)
        if previous.fingerprint != rating.fingerprint:
            raise Conflict(
                f"rating_id {rating.rating_id} was used before with another body; "
                "use a new rating_id for a new rating"
            )
        return Accepted(previous, created=False)

    def get(self, rating_id: str) -> Rating | None:
        item = self._get_item(rating_id)
        return item_to_rating(item) if item else None

    def _get_item(self, rating_id: str) -> dict[str, Any] | None:
        answer = self._client.get_item(
            TableName=self._ratings, Key={"rating_id": {"S": rating_id}}, ConsistentRead=True
        )
        return answer.get("Item")


def rating_to_item(rating: Rating) -> dict[str, Any]:
    """The stored form. Everything the index and ticket consumers need is on the item, so the stream
    record alone is enough to count it: paths (every subject it counts for), day, validity."""
    item: dict[str, Any] = {
        "rating_id": {"S": rating.rating_id},
        "channel": {"S": rating.channel.value},
        "satisfaction": {"N": str(int(rating.satisfaction))},
        "subjects": {"M": {kind.value: {"S": code} for kind, code in rating.subjects.items()}},
        "paths": {"L": [{"S": key} for key in rating.paths]},
        "region": {"S": rating.region},
        "rated_at": {"S": rating.rated_at.isoformat()},
        "received_at": {"S": rating.received_at.isoformat()},
        "day": {"S": rating.day},
        "body_fingerprint": {"S": rating.fingerprint},
        "valid": {"BOOL": rating.valid},
    }
    if rating.department:
        item["department"] = {"S": rating.department}
    if rating.case_no:
        item["case_no"] = {"S": rating.case_no}
    if rating.follow_up:
        item["follow_up"] = {"BOOL": True}
    if rating.channel_key:
        item["channel_key"] = {"S": rating.channel_key}
    if rating.tags:
        item["tags"] = {"L": [{"S": tag} for tag in rating.tags]}
    if rating.comment:
        item["comment"] = {"S": rating.comment}
    if rating.sub_scores:
        item["sub_scores"] = {"M": {name: {"N": str(level)} for name, level in rating.sub_scores.items()}}
    if rating.default:
        item["kind"] = {"S": "default"}
        item["counted"] = {"BOOL": rating.counted}
    if rating.replaced_by:
        item["replaced_by"] = {"S": rating.replaced_by}
    if rating.rater_kind:
        item["rater_kind"] = {"S": rating.rater_kind}
    if rating.rater:
        item["rater"] = {
            "M": {
                "phone_masked": {"S": rating.rater.phone_masked},
                "phone_hash": {"S": rating.rater.phone_hash},
                "sealed": {"B": rating.rater.sealed},
            }
        }
    return item


def _binary(value: Any) -> bytes:
    """A binary attribute: bytes from the DynamoDB client, base64 text in a Lambda stream event."""
    if isinstance(value, str):
        import base64

        return base64.b64decode(value)
    return bytes(value)


def item_to_rating(item: Mapping[str, Any]) -> Rating:
    rater = None
    if "rater" in item:
        stored = item["rater"]["M"]
        rater = ProtectedRater(
            kind=item.get("rater_kind", {}).get("S", "person"),
            phone_masked=stored["phone_masked"]["S"],
            phone_hash=stored["phone_hash"]["S"],
            sealed=_binary(stored["sealed"]["B"]),
        )
    return Rating(
        rating_id=item["rating_id"]["S"],
        channel=Channel(item["channel"]["S"]),
        satisfaction=Satisfaction(int(item["satisfaction"]["N"])),
        subjects={SubjectKind(k): v["S"] for k, v in item["subjects"]["M"].items()},
        paths=tuple(v["S"] for v in item["paths"]["L"]),
        department=item.get("department", {}).get("S"),
        region=item["region"]["S"],
        case_no=item.get("case_no", {}).get("S"),
        tags=tuple(v["S"] for v in item.get("tags", {}).get("L", [])),
        comment=item.get("comment", {}).get("S"),
        rater=rater,
        rater_kind=item.get("rater_kind", {}).get("S"),
        rated_at=datetime.fromisoformat(item["rated_at"]["S"]),
        received_at=datetime.fromisoformat(item["received_at"]["S"]),
        day=item["day"]["S"],
        fingerprint=item["body_fingerprint"]["S"],
        valid=item["valid"]["BOOL"],
        follow_up=item.get("follow_up", {}).get("BOOL", False),
        channel_key=item.get("channel_key", {}).get("S"),
        ticket=_ticket_outcome(item.get("ticket")),
        sub_scores={name: int(v["N"]) for name, v in item.get("sub_scores", {}).get("M", {}).items()},
        default=item.get("kind", {}).get("S") == "default",
        counted=item.get("counted", {}).get("BOOL", True),
        replaced_by=item.get("replaced_by", {}).get("S"),
    )


def _ticket_outcome(attribute: Mapping[str, Any] | None) -> dict[str, str | bool] | None:
    if not attribute:
        return None
    return {name: value.get("S", value.get("BOOL")) for name, value in attribute["M"].items()}
