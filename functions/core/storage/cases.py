"""Cases (办件) in DynamoDB: one item per case number in the shared cases table.

A case is rated once (and followed up at most once where the province allows it). The rating claims its
case in the same transaction that stores the rating (functions.core.storage.ratings), so a second rating
of the case cannot slip in between two requests; this adapter says what that claim writes and what a
failed claim means. The case system's reports of completed cases (the SMS function) write the same
items."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from functions.core.domain.directory import SubjectKind
from functions.core.domain.errors import CaseAlreadyRated, Conflict, RatingPeriodOver
from functions.core.domain.ratings import DueCase, Rating

# The sparse index of completed cases awaiting a default rating (系统默认评价): a recorded case of a
# province that rates by default carries `default_due` until it is rated (on any channel, or by
# default), sorted by `rate_until`, the end of its rating period.
DEFAULT_DUE = "default_due"


class RatedByDefault(CaseAlreadyRated):
    """The case holds a default rating: a person's rating of it is a follow-up of that rating."""


def utc_text(moment: datetime) -> str:
    """One offset (UTC) and whole seconds, so that times stored as strings compare as times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class DynamoCases:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def claim(self, rating: Rating, follows: str | None = None) -> dict[str, Any]:
        """The case's part of the rating's transaction: a first rating claims an unrated case (creating
        its item if the case system has not reported it) within its rating period; a follow-up needs
        the case still rated by `follows` (the rating it follows, read from the case) and no
        follow-up yet."""
        if rating.case_no is None:
            raise ValueError("a rating without a case number claims no case")
        values: dict[str, Any] = {
            ":r": {"S": rating.rating_id},
            ":t": {"S": rating.rated_at.isoformat()},
        }
        if rating.follow_up:
            # The first rating is named: the follow-up period was checked against that one's time.
            update = f"SET follow_up_id = :r, follow_up_at = :t REMOVE default_rating, {DEFAULT_DUE}"
            condition = "rating_id = :first AND attribute_not_exists(follow_up_id)"
            if follows is None:
                raise ValueError("a follow-up's claim names the rating it follows")
            values[":first"] = {"S": follows}
        else:
            # Within the rating period, where the case system reported the case with one.
            update = "SET rating_id = :r, rated_at = :t"
            if rating.default:
                update += ", default_rating = :true"
                values[":true"] = {"BOOL": True}
            update += f" REMOVE {DEFAULT_DUE}"
            condition = (
                "attribute_not_exists(rating_id) AND (attribute_not_exists(rate_until) OR rate_until >= :at)"
            )
            values[":at"] = {"S": utc_text(rating.rated_at)}
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"case_no": {"S": rating.case_no}},
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def get(self, case_no: str) -> dict[str, Any] | None:
        answer = self._client.get_item(
            TableName=self.table, Key={"case_no": {"S": case_no}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item

    @staticmethod
    def refusal(rating: Rating, case: Mapping[str, Any] | None) -> Exception:
        """What a failed claim means, from the case item as it was."""
        if not rating.follow_up:
            if case is not None and "rating_id" not in case:
                return RatingPeriodOver(
                    f"case {rating.case_no} can no longer be rated: its rating period is over"
                )
            if case is not None and case.get("default_rating", {}).get("BOOL"):
                return RatedByDefault(f"case {rating.case_no} has been rated by default")
            return CaseAlreadyRated(f"case {rating.case_no} has been rated already")
        if case is not None and "follow_up_id" in case:
            return CaseAlreadyRated(f"case {rating.case_no} has had its follow-up rating already")
        return Conflict(f"case {rating.case_no} has no rating yet to follow up; send it as a first rating")

    # --- default ratings -------------------------------------------------------------------------

    def due_for_default(self, now: datetime) -> Iterator[DueCase]:
        """Recorded cases whose rating period has ended unrated (the sparse `default_due` index)."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": DEFAULT_DUE,
            "KeyConditionExpression": "#due = :due AND rate_until < :now",
            "ExpressionAttributeNames": {"#due": DEFAULT_DUE},
            "ExpressionAttributeValues": {":due": {"S": DEFAULT_DUE}, ":now": {"S": utc_text(now)}},
        }
        while True:
            answer = self._client.query(**request)
            for item in answer.get("Items", []):
                yield item_to_due_case(item)
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def clear_default_due(self, case_no: str) -> None:
        """Off the index: the case was rated (before the case system reported it) or cannot be rated."""
        self._client.update_item(
            TableName=self.table,
            Key={"case_no": {"S": case_no}},
            UpdateExpression=f"REMOVE {DEFAULT_DUE}",
            ConditionExpression="attribute_exists(case_no)",
        )


def item_to_due_case(item: Mapping[str, Any]) -> DueCase:
    """A recorded case (functions.sms.service.record_case wrote its subjects, paths and region)."""
    kinds = (SubjectKind.DEPARTMENT, SubjectKind.ITEM, SubjectKind.WINDOW, SubjectKind.STAFF)
    subjects = {kind: item[kind.value]["S"] for kind in kinds if kind.value in item}
    subjects[SubjectKind.REGION] = item["region"]["S"]
    return DueCase(
        case_no=item["case_no"]["S"],
        subjects=subjects,
        paths=tuple(v["S"] for v in item["paths"]["L"]),
        department=item.get("department", {}).get("S"),
        region=item["region"]["S"],
        rate_until=datetime.fromisoformat(item["rate_until"]["S"]),
        rated="rating_id" in item,
    )
