"""Per-record sync state (EXPORT.md §5, mirroring Shandong's `sbsign`) and the rules that move it.

    pending → sent → acknowledged | duplicate (the target's "already received": acknowledged too)
                   | rejected (with the target's own text; waits for its data to be fixed)
                   | unknown (no answer: retried with exponential backoff)
    held: the rating cannot be mapped as it is (a code missing); re-mapped by the reconciliation.

A new version of a record (a rectification, an appeal's outcome) goes back to pending; its identity
(recordId) never changes. Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple


class State(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    HELD = "held"

    @property
    def acknowledged(self) -> bool:
        return self in (State.ACKNOWLEDGED, State.DUPLICATE)

    @property
    def due(self) -> bool:
        """Whether the scheduled sender picks it up (when its time has come)."""
        return self in (State.PENDING, State.SENT, State.UNKNOWN)


class Outcome(NamedTuple):
    """What the target answered for one record."""

    state: State  # ACKNOWLEDGED, DUPLICATE, REJECTED or UNKNOWN
    reason: str | None = None


def backoff(attempts: int, base_seconds: int, cap_seconds: int) -> timedelta:
    """The wait before the next try after `attempts` tries without an answer: base · 2^(attempts-1)."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def sendable_at(rated_at: datetime, skew_margin_seconds: int) -> datetime:
    """A record goes up once it is older than the margin, so no target clock sees it in its future."""
    return rated_at + timedelta(seconds=skew_margin_seconds)


def overdue(day: str, now_local: datetime) -> bool:
    """Unacknowledged after T+1: past the end of the day after `day` (local time)."""
    from datetime import date

    return now_local.date() > date.fromisoformat(day) + timedelta(days=1)


class DayFigures(NamedTuple):
    """One day of one target, as the status shows it and the reconciliation compares it."""

    expected: int
    acknowledged: int
    sent: int
    pending: int
    rejected: tuple[tuple[str, str], ...]  # (rating_id, reason)
    held: tuple[tuple[str, str], ...]
    digest: str  # of every record's natural key the day should have upward
    acknowledged_digest: str
    counts: dict[str, int]  # "region|channel|level" → acknowledged records


class Comparison(NamedTuple):
    """What the reconciliation found for a day."""

    resend: tuple[str, ...]  # acknowledged by us but absent at the target: lost there
    unknown_at_target: tuple[str, ...]  # at the target, not in our ledger
    matches: bool


def compare(acknowledged: set[str], at_target: set[str] | None) -> Comparison:
    """Our acknowledgement ledger against the target's own statistics (None: it offers none, and the
    ledger is all there is to compare)."""
    if at_target is None:
        return Comparison((), (), True)
    lost = tuple(sorted(acknowledged - at_target))
    extra = tuple(sorted(at_target - acknowledged))
    return Comparison(lost, extra, not lost and not extra)


class Tracked(NamedTuple):
    """One record of one rating for one target, with its sync state (an item of the `export` table)."""

    target: str
    rating_id: str
    part: str
    day: str
    rated_at: str  # ISO, with offset
    state: State
    version: int = 1
    content: dict[str, Any] | None = None
    natural_key: str | None = None
    content_hash: str = ""
    reason: str | None = None
    sent_version: int = 0  # the highest version handed to the target
    acked_version: int = 0
    attempts: int = 0  # tries of the current version without an answer
    next_at: str | None = None  # ISO UTC: when the sender may take it (due states only)
    depends_on: str | None = None  # the part of the same rating acknowledged first
    counts_key: str | None = None  # "region|channel|level"
    seq: str = ""  # the ratings-stream sequence number last applied (zero-padded)
    rev: int = 0  # every write increments it; writes are conditional on the one read

    @property
    def pk(self) -> str:
        return key_of(self.target, self.rating_id, self.part)


def key_of(target: str, rating_id: str, part: str) -> str:
    return f"{target}#{rating_id}#{part}"


def revised(
    current: Tracked | None,
    fresh: Tracked,
    now: datetime,
    skew_margin_seconds: int,
) -> Tracked | None:
    """The record after the rating it comes from was (re)mapped; None when nothing changes.

    A version already handed to the target is never changed in place: new content is the next version
    (op U at the target); content not yet sent replaces the pending one under the same version."""
    if current is not None and current.content_hash == fresh.content_hash and current.state == fresh.state:
        return None
    if fresh.state is State.HELD:
        version = current.version if current else 1
        return fresh._replace(
            version=version,
            sent_version=current.sent_version if current else 0,
            acked_version=current.acked_version if current else 0,
            next_at=None,
        )
    if current is not None and current.content_hash == fresh.content_hash and current.state is not State.HELD:
        return None
    version = 1
    if current is not None:
        version = current.version + 1 if current.sent_version >= current.version else current.version
    earliest = sendable_at(datetime.fromisoformat(fresh.rated_at), skew_margin_seconds)
    return fresh._replace(
        version=version,
        state=State.PENDING,
        sent_version=current.sent_version if current else 0,
        acked_version=current.acked_version if current else 0,
        attempts=0,
        reason=None,
        next_at=max(now, earliest).astimezone(UTC).isoformat(),
    )
