"""The export function's settings: its province (time zone), its tables, its targets, the targets' key
(a Secrets Manager secret, named by its ARN) and the reconciliation queue. Every value required."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import SettingsError, number, province, required, table_name
from functions.core.storage.tables import DIRECTORY, EXPORT, RATINGS
from functions.export.targets import ExportTarget, TargetError, targets_from_json

KEY_SECRET = "export-target-key"
RECONCILE_QUEUE = "export-reconcile"


@dataclass(frozen=True)
class ExportSettings:
    province: ProvinceConfig
    export_table: str
    ratings_table: str
    directory_table: str
    targets: tuple[ExportTarget, ...]
    key_secret_arn: str
    reconcile_queue_url: str
    directory_cache_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExportSettings:
        env = os.environ if env is None else env
        try:
            # "[]": a province that exports nowhere (yet); absent is a forgotten setting.
            targets = targets_from_json(required(env, "EXPORT_TARGETS"))
        except (TargetError, ValueError, TypeError) as e:
            raise SettingsError(f"EXPORT_TARGETS is invalid: {e}") from e
        return cls(
            province=province(env),
            export_table=table_name(env, EXPORT),
            ratings_table=table_name(env, RATINGS),
            directory_table=table_name(env, DIRECTORY),
            targets=targets,
            key_secret_arn=required(env, "EXPORT_TARGET_KEY_SECRET_ARN"),
            reconcile_queue_url=required(env, "EXPORT_RECONCILE_QUEUE_URL"),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
        )
