"""Builds the rate function's services from its settings, once per process; tests and the local stack
may hand in their own."""

from collections.abc import Callable
from typing import Any, NamedTuple

from functions.core.domain.directory_service import DirectoryService
from functions.core.personal_data import RaterProtector
from functions.core.runtime import Lazy
from functions.core.services.devices import DeviceService
from functions.core.services.ratings import RatingService
from functions.core.storage import clients
from functions.core.storage.cases import DynamoCases
from functions.core.storage.devices import DynamoDevices
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.core.storage.jobs import DynamoJobs, SqsJobQueue
from functions.core.storage.ratings import DynamoRatings
from functions.rate.settings import RateSettings


class Runtime(NamedTuple):
    settings: RateSettings
    ratings: RatingService
    directory: DirectoryService
    ratings_store: DynamoRatings
    jobs: DynamoJobs
    queue: SqsJobQueue
    directory_store: CachedDirectory
    devices: DeviceService


def build(config: RateSettings, dynamodb: Any, sqs: Callable[[], Any] = clients.sqs) -> Runtime:
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds
    )
    jobs = DynamoJobs(dynamodb, config.jobs_table)
    queue = SqsJobQueue(sqs, config.directory_jobs_queue_url)
    store = DynamoRatings(
        dynamodb,
        config.ratings_table,
        DynamoCases(dynamodb, config.cases_table),
        rules=config.province.ratings,
        follow_ups=config.province.allow_follow_up,
    )
    return Runtime(
        settings=config,
        ratings=RatingService(
            directory=directory,
            store=store,
            protector=RaterProtector(config.personal_data_secret),
            province=config.province,
        ),
        directory=DirectoryService(directory, config.province.code, jobs, queue),
        ratings_store=store,
        jobs=jobs,
        queue=queue,
        directory_store=directory,
        devices=DeviceService(DynamoDevices(dynamodb, config.devices_table), directory, config.province),
    )


_runtime: Lazy[Runtime] = Lazy(lambda: build(RateSettings.from_env(), clients.dynamodb()))
runtime = _runtime.get
# Install a runtime (tests, the local stack); None goes back to building from the environment.
use = _runtime.use
