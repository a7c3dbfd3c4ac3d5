"""The tickets' clock: what time it is and how long until a deadline, in the seconds the state machine
waits. In AWS it is the wall clock. Tests and the local stack may run it from a chosen instant at a
chosen speed (one real second = `speed` seconds of ticket time), so that working-day deadlines pass in
seconds while every deadline, reminder and "late" judgement stays consistent with the calendar."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start
        self._speed = speed
        self._began = time.monotonic()

    @classmethod
    def parse(cls, spec: str) -> Clock:
        """ "<ISO start>@<speed>" (either part may be empty); "" is the wall clock."""
        if not spec:
            return cls()
        start, _, speed = spec.partition("@")
        return cls(datetime.fromisoformat(start) if start else None, float(speed or 1))

    def now(self) -> datetime:
        if self._start is None and self._speed == 1.0:
            return datetime.now(UTC)
        start = self._start or datetime.now(UTC) - timedelta(seconds=time.monotonic() - self._began)
        return start + timedelta(seconds=(time.monotonic() - self._began) * self._speed)

    def seconds_until(self, moment: datetime) -> int:
        """Real seconds from now until `moment`, at least 1 (a timeout of 0 is no timeout in AWS)."""
        remaining = (moment - self.now()).total_seconds() / self._speed
        return max(1, math.ceil(remaining))
