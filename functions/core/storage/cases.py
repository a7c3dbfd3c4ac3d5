"""Cases (办件) in DynamoDB: one item per case number in the shared cases table.

A case is rated once (and followed up at most once where the province allows it). The rating claims its
case in the same transaction that stores the rating (functions.core.storage.ratings), so a second rating
of the case cannot slip in between two requests; this adapter says what that claim writes and what a
failed claim means. The case system's reports of completed cases (the SMS function) write the same
items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.core.domain.errors import CaseAlreadyRated, Conflict
from functions.core.domain.ratings import Rating


class DynamoCases:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self.table = table

    def claim(self, rating: Rating) -> dict[str, Any]:
        """The case's part of the rating's transaction: a first rating claims an unrated case (creating
        its item if the case system has not reported it); a follow-up needs a rated case with no
        follow-up yet."""
        if rating.case_no is None:
            raise ValueError("a rating without a case number claims no case")
        if rating.follow_up:
            update = "SET follow_up_id = :r, follow_up_at = :t"
            condition = "attribute_exists(rating_id) AND attribute_not_exists(follow_up_id)"
        else:
            update = "SET rating_id = :r, rated_at = :t"
            condition = "attribute_not_exists(rating_id)"
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"case_no": {"S": rating.case_no}},
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {
                    ":r": {"S": rating.rating_id},
                    ":t": {"S": rating.rated_at.isoformat()},
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    @staticmethod
    def refusal(rating: Rating, case: Mapping[str, Any] | None) -> Exception:
        """What a failed claim means, from the case item as it was."""
        if not rating.follow_up:
            return CaseAlreadyRated(f"case {rating.case_no} has been rated already")
        if case is not None and "follow_up_id" in case:
            return CaseAlreadyRated(f"case {rating.case_no} has had its follow-up rating already")
        return Conflict(f"case {rating.case_no} has no rating yet to follow up; send it as a first rating")
