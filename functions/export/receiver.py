"""The stand-in receiver of a target, one per shipped mapping: it takes requests as the target would
(signature, clock, envelope), validates every record against the mapping's schema, keeps each record once
(its latest version), answers with the target's receipt, and can be told to answer ok / duplicate /
reject / time out / be down, or to lose records (so that the reconciliation has something to find).

It runs in the local stack behind `POST /local/receivers/{target}/records` and in-process in tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.export import mapping, wire
from functions.export.targets import ExportTarget

MODES = ("ok", "duplicate", "reject", "timeout", "down")
DOWN_PAGE = b"<html><head><title>503</title></head><body>Service Unavailable</body></html>"
_TIME_FIELDS = {mapping.RECORD: "评价时间", mapping.SERVICE: "serviceTime", mapping.EVALUATION: "assessTime"}


class ReceiverTimeout(TimeoutError):
    """The receiver in `timeout` mode: the caller hears nothing."""


class StandInReceiver:
    def __init__(
        self,
        target: ExportTarget,
        key: bytes,
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.target = target
        self._key = key
        self._zone = ZoneInfo(timezone)
        self._clock = clock
        self._lock = threading.Lock()
        self.mode = "ok"
        self.clock_offset = timedelta(0)  # the receiver's clock against ours (skew)
        self._records: dict[str, dict[str, Any]] = {}  # natural key → {"part", "version", "record"}
        self.requests = 0

    def now(self) -> datetime:
        return self._clock() + self.clock_offset

    def configure(
        self, mode: str, lose: Iterable[str] = (), clock_offset_seconds: float | None = None
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        with self._lock:
            self.mode = mode
            for key in lose:
                self._records.pop(key, None)
            if clock_offset_seconds is not None:
                self.clock_offset = timedelta(seconds=clock_offset_seconds)

    def receive(self, body: bytes, headers: dict[str, str]) -> wire.Exchange:
        with self._lock:
            self.requests += 1
            if self.mode == "down":
                return wire.Exchange(503, {"content-type": "text/html"}, DOWN_PAGE)
            if self.mode == "timeout":
                raise ReceiverTimeout("the stand-in receiver does not answer")
            try:
                part, records = wire.decode(self.target, self._key, body, headers, self.now())
            except wire.WireError as e:
                return wire.refusal(self.target, e)
            if part not in mapping.SCHEMAS:
                return wire.refusal(self.target, wire.WireError(f"未知的数据类型 {part[:20]}"))
            results = [self._take(part, record) for record in records]
            return wire.answer(self.target, results)

    def _take(self, part: str, record: Any) -> tuple[str, str, str]:
        rid = str(record.get("recordId", "")) if isinstance(record, dict) else ""
        if self.mode == "reject":
            return rid, "rejected", "数据校验不通过（模拟拒收）"
        problems = mapping.validate(part, record)
        if problems:
            field, why = sorted(problems.items())[0]
            return rid, "rejected", f"字段{field}校验不通过: {why}"
        stamp = datetime.strptime(str(record[_TIME_FIELDS[part]]), self.target.time_format)
        if stamp.replace(tzinfo=self._zone) > self.now():
            return rid, "rejected", "评价时间晚于当前时间 (time in the future)"
        key = mapping.natural_key_of(part, record)
        if (
            part == mapping.EVALUATION
            and f"{record['projectNo']}#s{record['serviceNumber']}" not in self._records
        ):
            return rid, "rejected", "服务记录不存在 (no service record)"
        if self.mode == "duplicate":
            return rid, "duplicate", wire.DUPLICATE_TEXT
        held = self._records.get(key)
        version = int(record["version"])
        if held is not None and held["version"] >= version:
            return rid, "duplicate", wire.DUPLICATE_TEXT
        self._records[key] = {"part": part, "version": version, "record": dict(record)}
        return rid, "ok", ""

    def records(self) -> list[dict[str, Any]]:
        """What it accepted, each record once (its latest version), in natural-key order."""
        with self._lock:
            return [{"natural_key": k, **v} for k, v in sorted(self._records.items())]

    def statistics(self, day: str) -> dict[str, Any]:
        """The target's own statistics of a day (by rating time): the natural keys it holds, and counts
        by region × channel × level, for the reconciliation to compare with."""
        compact = day.replace("-", "")
        keys: list[str] = []
        counts: dict[str, int] = {}
        with self._lock:
            for key, held in sorted(self._records.items()):
                figures = mapping.counts_of(held["part"], held["record"])
                if figures is None:
                    continue
                stamp = str(held["record"][_TIME_FIELDS[held["part"]]])
                if stamp.replace("-", "")[:8] != compact:
                    continue
                keys.append(key)
                name = "|".join(figures)
                counts[name] = counts.get(name, 0) + 1
        return {"date": day, "natural_keys": keys, "counts": counts, "digest": mapping.digest(keys)}
