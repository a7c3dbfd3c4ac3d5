"""The index function's settings: its province, the counters and the directory. Read once per process,
validated, typed; every value required outside the local stack."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import number, province, table_name
from functions.core.storage.tables import COUNTERS, DIRECTORY


@dataclass(frozen=True)
class IndexSettings:
    province: ProvinceConfig
    counters_table: str
    directory_table: str
    directory_cache_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndexSettings:
        env = os.environ if env is None else env
        return cls(
            province=province(env),
            counters_table=table_name(env, COUNTERS),
            directory_table=table_name(env, DIRECTORY),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
        )
