"""The rate function's settings: its province, its three tables, the directory cache's lifetime and the
personal-data key (from Secrets Manager). Read once per process, validated, typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import SecretFetcher, number, province, secret_key, table_name
from functions.core.storage.tables import CASES, DIRECTORY, RATINGS


@dataclass(frozen=True)
class RateSettings:
    province: ProvinceConfig
    ratings_table: str
    cases_table: str
    directory_table: str
    personal_data_secret: bytes = field(repr=False)
    directory_cache_seconds: float = 300.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, fetch: SecretFetcher | None = None
    ) -> RateSettings:
        env = os.environ if env is None else env
        return cls(
            province=province(env),
            ratings_table=table_name(env, RATINGS),
            cases_table=table_name(env, CASES),
            directory_table=table_name(env, DIRECTORY),
            personal_data_secret=secret_key(env, "personal-data", fetch),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
        )
