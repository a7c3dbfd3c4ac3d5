"""The DynamoDB tables, defined once. The local stack creates them from these specs and the CDK app
(infra/) declares them from the same specs, so the two cannot drift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"  # S, N or B


@dataclass(frozen=True)
class GlobalIndex:
    name: str
    partition: Key
    sort: Key | None = None
    projection: str = "ALL"


@dataclass(frozen=True)
class TableSpec:
    logical_name: str  # also the suffix of the physical name: haochaping-<stage>-ratings
    partition: Key
    sort: Key | None = None
    indexes: tuple[GlobalIndex, ...] = ()
    stream: str | None = None  # StreamViewType
    ttl_attribute: str | None = None

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.logical_name}"

    def attribute_definitions(self) -> list[dict[str, str]]:
        keys: dict[str, str] = {}
        for key in (self.partition, self.sort):
            if key:
                keys[key.name] = key.type
        for index in self.indexes:
            for key in (index.partition, index.sort):
                if key:
                    keys[key.name] = key.type
        return [{"AttributeName": name, "AttributeType": kind} for name, kind in keys.items()]

    def create_table_request(self, table_name: str) -> dict[str, Any]:
        """Arguments for DynamoDB CreateTable (on-demand billing, as deployed)."""
        request: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": self.attribute_definitions(),
            "KeySchema": _key_schema(self.partition, self.sort),
        }
        if self.indexes:
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition, index.sort),
                    "Projection": {"ProjectionType": index.projection},
                }
                for index in self.indexes
            ]
        if self.stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream}
        return request


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


# Every rating, keyed by its id (the client's idempotency key when it sent one). The stream feeds the
# indices and the ticket process; MODIFY events carry old and new images so that counters can apply
# new − old when a rating turns invalid on appeal.
RATINGS = TableSpec("ratings", Key("rating_id"), stream="NEW_AND_OLD_IMAGES")

# Cases (办件) by case number: claimed by the rating of that case (one rating per case, `rating_id`),
# and recorded when the case system reports it completed (POST /v1/cases: `fp`, its subjects, `paths`,
# `day`), so the applicant can be invited to rate. Its stream lets the indices count completed and
# rated cases (the active rating rate) without reading anything else. No case item ever expires.
# Where the province rates by default, a recorded case carries `default_due` (and `rate_until`, the end
# of its rating period) until it is rated: the sparse `default_due` index is what the default-rating
# schedule reads, never a scan of every case.
CASES = TableSpec(
    "cases",
    Key("case_no"),
    indexes=(GlobalIndex("default_due", Key("default_due"), Key("rate_until")),),
    stream="NEW_AND_OLD_IMAGES",
)

# The SMS channel: invitations by the applicant's keyed phone hash (pk "phone#<hash>", sk
# "inv#<case_no>"), opt-outs (sk "optout"), and texts already handed to the provider (pk "sent#<key>").
# Invitations not yet sent (quiet hours) carry `due`, which puts them on the sparse `due` index until
# they go out. Invitations and sent-markers expire by TTL after they stop mattering.
SMS = TableSpec(
    "sms",
    Key("pk"),
    Key("sk"),
    indexes=(GlobalIndex("due", Key("due"), Key("send_after")),),
    ttl_attribute="expires_at",
)

# The directory: one item per (kind, code); the by_parent index lists an entry's children by kind.
DIRECTORY = TableSpec(
    "directory",
    Key("kind"),
    Key("code"),
    indexes=(GlobalIndex("by_parent", Key("parent_key"), Key("entry_key")),),
)

# Background jobs (moves of directory subtrees), keyed by job id, with their cursor; one lock item per
# kind of job that must not run twice at once.
JOBS = TableSpec("jobs", Key("job_id"))

# Counters of the indices: one item per subject (kind#code) and bucket (d#YYYY-MM-DD, m#YYYY-MM; a
# family of fields kept apart is prefixed, hw|d#...), flat numeric fields added by the ratings stream,
# and per stream shard the high-water mark of the records applied (attributes named @<shard>).
COUNTERS = TableSpec("counters", Key("subject"), Key("bucket"))


# Each year's working-day calendar as loaded by operators (PUT /v1/calendar/{year}); a year absent here
# comes from the library seed or the rule (functions/core/calendar_seed.py).
CALENDAR = TableSpec("calendar", Key("year", "N"))

# Bad-rating tickets by id (ticket_id_for(rating_id)); by_department lists a department's tickets.
TICKETS = TableSpec(
    "tickets",
    Key("ticket_id"),
    indexes=(GlobalIndex("by_department", Key("department"), Key("received_at")),),
)

# Every ticket's trail (终身备案): one item per action, only ever put with attribute_not_exists, never
# updated or deleted (functions/tickets/store.py says how IAM holds the function to that in AWS).
TICKET_TRAIL = TableSpec("ticket-trail", Key("ticket_id"), Key("entry"))

# Rating devices and what protects the rating screens: devices (pk "device#<id>", with the SHA-256 of
# their credential; by_department lists a department's), pairing codes (pk "pair#<sha256>", used once,
# TTL), and the flood counters of window QR codes (pk "flood#<window>#<day>#b|a#<hash>", TTL).
DEVICES = TableSpec(
    "devices",
    Key("pk"),
    indexes=(GlobalIndex("by_department", Key("department"), Key("pk")),),
    ttl_attribute="ttl",
)


# The upward export's ledger (functions/export/store.py): one item per record of a rating for a target
# (pk "<target>#<rating_id>#<part>") with its sync state; `due` lists what the scheduled sender may
# take (sparse: only due records carry due_target), `by_day` a target's records of a day.
EXPORT = TableSpec(
    "export",
    Key("pk"),
    indexes=(
        GlobalIndex("due", Key("due_target"), Key("next_at")),
        GlobalIndex("by_day", Key("target_day"), Key("pk")),
    ),
)


TABLES: tuple[TableSpec, ...] = (
    RATINGS,
    CASES,
    DIRECTORY,
    JOBS,
    SMS,
    COUNTERS,
    CALENDAR,
    TICKETS,
    TICKET_TRAIL,
    EXPORT,
    DEVICES,
)
