"""The rate function's settings: its province, its tables, the directory-jobs queue, the directory cache's lifetime and the
personal-data key (from Secrets Manager). Read once per process, validated, typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import (
    SecretFetcher,
    env_name,
    number,
    province,
    required,
    secret_key,
    table_name,
)
from functions.core.storage.tables import CASES, DEVICES, DIRECTORY, JOBS, RATINGS

# The topology's name of the queue (infra/topology.py DIRECTORY_JOBS_QUEUE): functions never import infra.
DIRECTORY_JOBS_QUEUE = "directory-jobs"


@dataclass(frozen=True)
class RateSettings:
    province: ProvinceConfig
    ratings_table: str
    cases_table: str
    directory_table: str
    jobs_table: str
    # Where a move of a directory subtree is queued for its background job (topology queue
    # directory-jobs), as the CDK stack and the local stack pass it.
    directory_jobs_queue_url: str
    personal_data_secret: bytes = field(repr=False)
    directory_cache_seconds: float = 300.0
    # Rating devices, whose credentials POST /v1/ratings checks (functions.core.services.devices).
    devices_table: str = ""

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
            jobs_table=table_name(env, JOBS),
            directory_jobs_queue_url=required(env, env_name(DIRECTORY_JOBS_QUEUE, "QUEUE_URL")),
            personal_data_secret=secret_key(env, "personal-data", fetch),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
            devices_table=table_name(env, DEVICES),
        )
