"""Builds the devices function's services from its settings, once per process; tests and the local
stack may hand in their own (`use`)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from functions.core.observability import count
from functions.core.personal_data import RaterProtector
from functions.core.runtime import Lazy
from functions.core.services.devices import DeviceService, LinkService
from functions.core.services.ratings import RatingService
from functions.core.settings import SECRET_MAX_AGE, SettingsError
from functions.core.storage import clients
from functions.core.storage.cases import DynamoCases
from functions.core.storage.devices import DynamoCaseReader, DynamoDevices
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.core.storage.ratings import DynamoRatings
from functions.devices.settings import DeviceSettings


class Runtime(NamedTuple):
    settings: DeviceSettings
    devices: DeviceService
    links: LinkService
    ratings: RatingService


def _decode(value: str) -> bytes:
    value = value.strip()
    key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(key) < 32:
        raise SettingsError("the qr-signing secret must hold at least 32 bytes (base64)")
    return key


def signing_keys(arn: str) -> Callable[[], Sequence[bytes]]:
    """The QR signing keys, current first then previous (when the secret has been rotated), through
    Powertools' cache: a rotation reaches every function within SECRET_MAX_AGE seconds."""

    def keys() -> Sequence[bytes]:
        from aws_lambda_powertools.utilities import parameters

        found = [_decode(parameters.get_secret(arn, max_age=SECRET_MAX_AGE))]
        try:
            previous = parameters.get_secret(arn, max_age=SECRET_MAX_AGE, VersionStage="AWSPREVIOUS")
        except parameters.exceptions.GetParameterError:
            previous = None  # never rotated
        if previous:
            found.append(_decode(previous))
        return found

    return keys


def build(
    config: DeviceSettings, dynamodb: Any, keys: Callable[[], Sequence[bytes]] | None = None
) -> Runtime:
    intake = config.intake
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, intake.directory_table), intake.directory_cache_seconds
    )
    store = DynamoDevices(dynamodb, config.devices_table)
    ratings_store = DynamoRatings(dynamodb, intake.ratings_table, DynamoCases(dynamodb, intake.cases_table))
    ratings = RatingService(
        directory=directory,
        store=ratings_store,
        protector=RaterProtector(intake.personal_data_secret),
        province=intake.province,
    )
    links = LinkService(
        store=store,
        directory=directory,
        cases=DynamoCaseReader(dynamodb, intake.cases_table),
        province=intake.province,
        keys=keys or signing_keys(config.qr_signing_secret_arn),
        refused=lambda reason: count("QrRatingRefused", reason=reason),
    )
    return Runtime(config, DeviceService(store, directory, intake.province), links, ratings)


_runtime: Lazy[Runtime] = Lazy(lambda: build(DeviceSettings.from_env(), clients.dynamodb()))
runtime = _runtime.get
use = _runtime.use
