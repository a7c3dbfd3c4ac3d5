"""A target's transport: HTTPS JSON to its endpoint, signed and (where it asks) encrypted by
functions/export/wire.py. The HTTP call itself is injected (`post`, `get`), so tests hand records to an
in-process stand-in receiver and the local stack and AWS use urllib."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from functions.export import wire
from functions.export.sync import Outcome, State
from functions.export.targets import ExportTarget

Post = Callable[[str, bytes, Mapping[str, str], float], wire.Exchange]
Get = Callable[[str, float], wire.Exchange]


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> wire.Exchange:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    return _exchange(request, timeout)


def urllib_get(url: str, timeout: float) -> wire.Exchange:
    return _exchange(urllib.request.Request(url, method="GET"), timeout)


def _exchange(request: urllib.request.Request, timeout: float) -> wire.Exchange:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (https or this machine)
            return wire.Exchange(answer.status, dict(answer.headers), answer.read(1_000_000))
    except urllib.error.HTTPError as e:
        return wire.Exchange(e.code, dict(e.headers or {}), e.read(1_000_000) if e.fp else b"")


class Transport:
    def __init__(
        self,
        target: ExportTarget,
        key: Callable[[], bytes],
        post: Post = urllib_post,
        get: Get = urllib_get,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.target = target
        self._key = key
        self._post = post
        self._get = get
        self._clock = clock
        self.requests = 0

    def send(self, part: str, records: Sequence[Mapping[str, Any]]) -> dict[str, Outcome]:
        """Each record's outcome by recordId; no answer at all (down, timeout, refused) is UNKNOWN."""
        ids = [str(r["recordId"]) for r in records]
        body, headers = wire.encode(self.target, part, records, self._key(), self._clock())
        self.requests += 1
        try:
            exchange = self._post(self.target.endpoint, body, headers, self.target.timeout_seconds)
        except (OSError, TimeoutError) as e:  # URLError, connection refused, socket timeout
            reason = "timeout" if isinstance(e, TimeoutError) or "timed out" in str(e) else "no connection"
            return {rid: Outcome(State.UNKNOWN, reason) for rid in ids}
        return wire.parse_receipt(self.target, exchange, ids)

    def statistics(self, day: str) -> set[str] | None:
        """The natural keys the target holds for `day`, where it offers statistics; None when it does not,
        or when its answer cannot be read (then the ledger is all the reconciliation has)."""
        if not self.target.statistics_endpoint:
            return None
        url = f"{self.target.statistics_endpoint}?{urllib.parse.urlencode({'date': day})}"
        self.requests += 1
        try:
            exchange = self._get(url, self.target.timeout_seconds)
            data = json.loads(exchange.body) if exchange.status == 200 else None
        except (OSError, TimeoutError, ValueError):
            return None
        keys = data.get("natural_keys") if isinstance(data, dict) else None
        if not isinstance(keys, list):
            return None
        return {str(k) for k in keys}
