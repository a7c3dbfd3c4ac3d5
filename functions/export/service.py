"""The export's application service: ratings into the pending set (from the ratings stream), bounded
batches up to each target (the scheduled sender), the daily reconciliation and the day's status.

Ports are injected: the ledger (store.DynamoExport), the ratings (a `get(rating_id)`), the directory (a
`get_many(refs)`), one transport per target, a clock and a metric counter. Nothing here imports boto3."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from functions.core.domain.directory import DirectoryEntry, SubjectKind, SubjectRef
from functions.core.domain.ratings import Rating
from functions.export import mapping
from functions.export.mapping import Part
from functions.export.sync import Outcome, State, Tracked, backoff, compare, key_of, overdue, revised
from functions.export.targets import ExportTarget

# Which parts travel first: a service record is acknowledged before its evaluation is sent.
SEND_ORDER = (mapping.SERVICE, mapping.RECORD, mapping.EVALUATION)
COUNTED_PARTS = frozenset({mapping.RECORD, mapping.EVALUATION})
SEQ_WIDTH = 40  # DynamoDB stream sequence numbers are decimal strings of up to 40 digits


class Ledger(Protocol):
    def get_many(self, pks: Iterable[str]) -> dict[str, Tracked]: ...
    def write(self, record: Tracked, expected_rev: int | None, below_seq: str | None = None) -> bool: ...
    def due(self, target: str, now_iso: str, limit: int) -> Iterable[Tracked]: ...
    def of_day(self, target: str, day: str) -> Iterable[Tracked]: ...
    def save_summary(self, target: str, day: str, summary: dict[str, Any]) -> None: ...
    def summary(self, target: str, day: str) -> dict[str, Any] | None: ...


class Ratings(Protocol):
    def get(self, rating_id: str) -> Rating | None: ...


class Directory(Protocol):
    def get_many(self, refs: Iterable[SubjectRef]) -> dict[SubjectRef, DirectoryEntry]: ...


class TargetTransport(Protocol):
    def send(self, part: str, records: Any) -> dict[str, Outcome]: ...
    def statistics(self, day: str) -> set[str] | None: ...


class UnknownTarget(LookupError):
    pass


def padded(sequence_number: str) -> str:
    return sequence_number.rjust(SEQ_WIDTH, "0")


class ExportService:
    def __init__(
        self,
        *,
        targets: tuple[ExportTarget, ...],
        ledger: Ledger,
        ratings: Ratings,
        directory: Directory,
        transports: Mapping[str, TargetTransport],
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        count: Callable[..., None] = lambda name, value=1, **dimensions: None,
    ) -> None:
        self.targets = {t.name: t for t in targets}
        self._ledger = ledger
        self._ratings = ratings
        self._directory = directory
        self._transports = transports
        self._zone = ZoneInfo(timezone)
        self._clock = clock
        self._count = count

    def target(self, name: str) -> ExportTarget:
        try:
            return self.targets[name]
        except KeyError:
            raise UnknownTarget(name) from None

    # -- into the pending set -------------------------------------------------------------------------

    def national_codes(self, rating: Rating) -> dict[str, str]:
        refs = [SubjectRef(kind, code) for kind, code in rating.subjects.items()]
        if rating.department:
            refs.append(SubjectRef(SubjectKind.DEPARTMENT, rating.department))
        entries = self._directory.get_many(refs)
        return {ref.key: entry.national_code for ref, entry in entries.items() if entry.national_code}

    def take(self, rating: Rating, sequence_number: str) -> int:
        """A rating as the stream delivered it (INSERT or MODIFY): its records for every target enter
        (or move back into) the pending set, once however often the stream delivers it. Answers how
        many records changed."""
        codes = self.national_codes(rating)
        return sum(
            self._apply(target, rating, codes, padded(sequence_number)) for target in self.targets.values()
        )

    def _apply(self, target: ExportTarget, rating: Rating, codes: Mapping[str, str], seq: str | None) -> int:
        parts = mapping.map_rating(target, rating, codes)
        changed = 0
        for part in parts:
            for _ in range(5):  # lost a race with the sender or another delivery: read again
                current = self._ledger.get_many([key_of(target.name, rating.rating_id, part.part)])
                existing = next(iter(current.values()), None)
                if existing is not None and seq is not None and existing.seq >= seq:
                    break  # this delivery (or a later one) was applied already
                fresh = self._tracked(target, rating, part, seq or (existing.seq if existing else ""))
                record = revised(existing, fresh, self._clock(), target.skew_margin_seconds)
                if record is None:
                    break
                if existing is not None:
                    record = record._replace(seq=fresh.seq)
                if self._ledger.write(record, existing.rev if existing else None, seq):
                    changed += 1
                    break
        return changed

    def _tracked(self, target: ExportTarget, rating: Rating, part: Part, seq: str) -> Tracked:
        held = part.held is not None
        return Tracked(
            target=target.name,
            rating_id=rating.rating_id,
            part=part.part,
            day=rating.day,
            rated_at=rating.rated_at.isoformat(),
            state=State.HELD if held else State.PENDING,
            content=None if held else dict(part.content or {}),
            natural_key=part.natural_key,
            content_hash=f"held:{part.held}" if held else mapping.content_hash(part.content or {}),
            reason=part.held,
            depends_on=key_of(target.name, rating.rating_id, part.depends_on) if part.depends_on else None,
            counts_key="|".join(part.counts_key) if part.counts_key else None,
            seq=seq,
        )

    # -- up to the target -----------------------------------------------------------------------------

    def send_due(self, target_name: str) -> dict[str, int]:
        """One run of the scheduled sender for a target: at most its `max_records_per_run` records, in
        requests of `batch_size`, service records before the evaluations that wait for them."""
        target = self.target(target_name)
        transport = self._transports[target.name]
        now = self._clock()
        candidates = list(
            self._ledger.due(target.name, now.astimezone(UTC).isoformat(), target.max_records_per_run)
        )
        tally = {"sent": 0, "acknowledged": 0, "rejected": 0, "unknown": 0, "waiting": 0, "requests": 0}
        for part in SEND_ORDER:
            batch = [c for c in candidates if c.part == part]
            ready = self._dependencies_acknowledged(batch)
            tally["waiting"] += len(batch) - len(ready)
            claimed = [c for c in (self._claim(r, target, now) for r in ready) if c is not None]
            for start in range(0, len(claimed), target.batch_size):
                chunk = claimed[start : start + target.batch_size]
                records = {mapping.record_id(target.name, str(c.natural_key)): c for c in chunk}
                sent = [
                    mapping.render(target.name, str(c.natural_key), c.content or {}, c.version) for c in chunk
                ]
                outcomes = transport.send(part, sent)
                tally["requests"] += 1
                tally["sent"] += len(chunk)
                for rid, record in records.items():
                    outcome = outcomes.get(rid, Outcome(State.UNKNOWN, "no receipt"))
                    self._settle(record, outcome, target)
                    key = "acknowledged" if outcome.state.acknowledged else outcome.state.value
                    tally[key] = tally.get(key, 0) + 1
        for name in ("acknowledged", "rejected", "unknown"):
            if tally[name]:
                self._count("ExportRecords", tally[name], target=target.name, outcome=name)
        return tally

    def _dependencies_acknowledged(self, batch: list[Tracked]) -> list[Tracked]:
        needed = {c.depends_on for c in batch if c.depends_on}
        found = self._ledger.get_many(needed) if needed else {}
        return [
            c
            for c in batch
            if not c.depends_on or (c.depends_on in found and found[c.depends_on].state.acknowledged)
        ]

    def _claim(self, record: Tracked, target: ExportTarget, now: datetime) -> Tracked | None:
        """Mark it sent before it leaves (so a crash mid-request leaves it due after the backoff, and
        two senders never send it at once); None if someone else moved it meanwhile."""
        attempts = record.attempts + 1
        wait = backoff(attempts, target.backoff_base_seconds, target.backoff_cap_seconds)
        claimed = record._replace(
            state=State.SENT,
            attempts=attempts,
            sent_version=record.version,
            next_at=(now + wait).astimezone(UTC).isoformat(),
        )
        if not self._ledger.write(claimed, record.rev):
            return None
        return claimed._replace(rev=record.rev + 1)

    def _settle(self, record: Tracked, outcome: Outcome, target: ExportTarget) -> None:
        if outcome.state.acknowledged:
            settled = record._replace(
                state=outcome.state,
                acked_version=record.version,
                attempts=0,
                next_at=None,
                reason=outcome.reason,
            )
        elif outcome.state is State.REJECTED:
            settled = record._replace(state=State.REJECTED, next_at=None, reason=outcome.reason)
        else:  # no answer: stays due at the backoff the claim set
            settled = record._replace(state=State.UNKNOWN, reason=outcome.reason)
        # A newer version that arrived meanwhile keeps its pending state: it goes up next.
        self._ledger.write(settled, record.rev)

    # -- the day --------------------------------------------------------------------------------------

    def status(self, target_name: str, day: str) -> dict[str, Any]:
        target = self.target(target_name)
        records = list(self._ledger.of_day(target.name, day))
        by_state: dict[State, list[Tracked]] = {}
        for record in records:
            by_state.setdefault(record.state, []).append(record)
        acknowledged = [r for r in records if r.state.acknowledged]
        counts: dict[str, int] = {}
        for record in acknowledged:
            if record.counts_key:
                counts[record.counts_key] = counts.get(record.counts_key, 0) + 1
        return {
            "date": day,
            "target": target.name,
            "records": len(records),
            "sent": len(by_state.get(State.SENT, [])) + len(by_state.get(State.UNKNOWN, [])),
            "acknowledged": len(acknowledged),
            "duplicates": len(by_state.get(State.DUPLICATE, [])),
            "pending": len(by_state.get(State.PENDING, [])),
            "unknown": len(by_state.get(State.UNKNOWN, [])),
            "rejected": [
                {"rating_id": r.rating_id, "part": r.part, "reason": r.reason or ""}
                for r in by_state.get(State.REJECTED, [])
            ],
            "held": [
                {"rating_id": r.rating_id, "part": r.part, "reason": r.reason or ""}
                for r in by_state.get(State.HELD, [])
            ],
            "digest": mapping.digest(r.natural_key for r in records if r.natural_key),
            "acknowledged_digest": mapping.digest(r.natural_key for r in acknowledged if r.natural_key),
            "counts": dict(sorted(counts.items())),
            "reconciliation": self._ledger.summary(target.name, day),
        }

    def reconcile(self, target_name: str, day: str) -> dict[str, Any]:
        """Day D for a target: held and rejected records re-mapped from the stored rating and the current
        directory (a fixed code sends them); the ledger compared with the target's own statistics, what
        it lost re-sent; anything unacknowledged after T+1 counted for the alarm."""
        target = self.target(target_name)
        records = list(self._ledger.of_day(target.name, day))
        remapped = 0
        for rating_id in sorted({r.rating_id for r in records if r.state in (State.HELD, State.REJECTED)}):
            rating = self._ratings.get(rating_id)
            if rating is not None:
                remapped += self._apply(target, rating, self.national_codes(rating), None)
        ledger = {
            str(r.natural_key): r
            for r in records
            if r.state.acknowledged and r.part in COUNTED_PARTS and r.natural_key
        }
        at_target = self._transports[target.name].statistics(day)
        comparison = compare(set(ledger), at_target)
        now = self._clock()
        for key in comparison.resend:
            lost = ledger[key]
            again = lost._replace(
                state=State.PENDING,
                attempts=0,
                reason="lost at the target: re-sent",
                next_at=now.astimezone(UTC).isoformat(),
            )
            self._ledger.write(again, lost.rev)
            if lost.depends_on:  # its service record goes up again first, if the target lost it too
                service = self._ledger.get_many([lost.depends_on]).get(lost.depends_on)
                if service is not None and service.state.acknowledged:
                    self._ledger.write(
                        service._replace(state=State.PENDING, next_at=again.next_at), service.rev
                    )
        current = list(self._ledger.of_day(target.name, day))
        unacknowledged = [r for r in current if not r.state.acknowledged]
        late = overdue(day, now.astimezone(self._zone))
        if late and unacknowledged:
            self._count("ExportUnacknowledged", len(unacknowledged), target=target.name)
        summary = {
            "at": now.astimezone(UTC).isoformat(),
            "records": len(current),
            "remapped": remapped,
            "target_statistics": at_target is not None,
            "matches": comparison.matches,
            "resent": list(comparison.resend),
            "unknown_at_target": list(comparison.unknown_at_target),
            "unacknowledged": len(unacknowledged),
            "overdue": late and bool(unacknowledged),
            "after_t_plus_1": late,
            "digest": mapping.digest(r.natural_key for r in current if r.natural_key),
        }
        self._ledger.save_summary(target.name, day, summary)
        return summary

    def reconciliation_due(self, target_name: str, day: str) -> bool:
        """Whether the schedule still owes `day` a reconciliation: none yet, or none since its T+1."""
        summary = self._ledger.summary(target_name, day)
        if summary is None:
            return True
        late_now = overdue(day, self._clock().astimezone(self._zone))
        return late_now and not summary.get("after_t_plus_1", False)

    def days_to_reconcile(self) -> list[str]:
        """The daily run: yesterday (complete now) and the day before (its T+1 has just passed)."""
        today = self._clock().astimezone(self._zone).date()
        return [(today - timedelta(days=n)).isoformat() for n in (1, 2)]
