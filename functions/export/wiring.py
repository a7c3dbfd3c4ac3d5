"""Builds the export function's service from its settings, once per process; tests and the local stack
may hand in their own (`use`). The stand-in receivers (local stack only) share the targets' key."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from functions.core.runtime import Lazy
from functions.core.settings import SettingsError, fetch_secret
from functions.core.storage import clients
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.export.receiver import StandInReceiver
from functions.export.service import ExportService
from functions.export.settings import ExportSettings
from functions.export.store import DynamoExport, RatingReader
from functions.export.transport import Get, Post, Transport, urllib_get, urllib_post


class Runtime(NamedTuple):
    settings: ExportSettings
    service: ExportService
    ledger: DynamoExport
    transports: Mapping[str, Transport]


def decode_key(value: str) -> bytes:
    value = value.strip()
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise SettingsError("the export target key must be base64") from None
    if len(key) < 32:
        raise SettingsError("the export target key must hold at least 32 bytes")
    return key


def key_reader(secret_arn: str, fetch: Callable[[str], str] = fetch_secret) -> Callable[[], bytes]:
    """The targets' key, read from Secrets Manager when a request is signed (Powertools-cached), so a
    rotated key is used within minutes."""
    return lambda: decode_key(fetch(secret_arn))


def build(
    settings: ExportSettings,
    dynamodb: Any,
    post: Post = urllib_post,
    get: Get = urllib_get,
    count: Any = None,
    clock: Callable[[], datetime] | None = None,
) -> Runtime:
    """The service; tests hand in the HTTP calls (to in-process receivers), a metric counter and a clock."""
    from functions.core.observability import count as emit

    now = clock or (lambda: datetime.now(UTC))

    ledger = DynamoExport(dynamodb, settings.export_table)
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, settings.directory_table), settings.directory_cache_seconds
    )
    ratings = RatingReader(dynamodb, settings.ratings_table)
    key = key_reader(settings.key_secret_arn)
    transports = {t.name: Transport(t, key, post=post, get=get, clock=now) for t in settings.targets}
    service = ExportService(
        targets=settings.targets,
        ledger=ledger,
        ratings=ratings,
        directory=directory,
        transports=transports,
        timezone=settings.province.timezone,
        count=count or emit,
        clock=now,
    )
    return Runtime(settings, service, ledger, transports)


def _receivers() -> dict[str, StandInReceiver]:
    settings = runtime().settings
    key = key_reader(settings.key_secret_arn)()
    return {t.name: StandInReceiver(t, key, settings.province.timezone) for t in settings.targets}


_runtime: Lazy[Runtime] = Lazy(lambda: build(ExportSettings.from_env(), clients.dynamodb()))
runtime = _runtime.get
use = _runtime.use
receivers: Lazy[dict[str, StandInReceiver]] = Lazy(_receivers)


def sqs() -> Any:
    return clients.sqs()
