"""Builds the index function's services from its settings, once per process; tests and the local stack
may hand in their own."""

from typing import Any, NamedTuple

from functions.core.domain.directory_service import DirectoryService
from functions.core.runtime import Lazy
from functions.core.storage import clients
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.index.counters import DynamoCounters
from functions.index.figures import FigureReader
from functions.index.settings import IndexSettings


class _ReadsOnly:
    """The index function reads the directory and never moves entries: no jobs, no job queue."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the index function does not change the directory ({name})")


_READ_ONLY: Any = _ReadsOnly()


class Runtime(NamedTuple):
    settings: IndexSettings
    counters: DynamoCounters
    figures: FigureReader
    directory: DirectoryService


def build(config: IndexSettings, dynamodb: Any) -> Runtime:
    counters = DynamoCounters(dynamodb, config.counters_table)
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds
    )
    return Runtime(
        settings=config,
        counters=counters,
        figures=FigureReader(counters),
        directory=DirectoryService(directory, config.province.code, _READ_ONLY, _READ_ONLY),
    )


_runtime: Lazy[Runtime] = Lazy(lambda: build(IndexSettings.from_env(), clients.dynamodb()))
runtime = _runtime.get
use = _runtime.use
