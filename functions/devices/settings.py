"""The devices function's settings: what accepting ratings needs (province, ratings, cases, directory,
personal-data key), its own devices table, and the QR signing keys (the `qr-signing` secret in Secrets
Manager: its current version signs, its previous one still verifies, so a rotation breaks no printed
code until the next one). Read once per process, validated, typed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from functions.core.settings import RatingIntakeSettings, SecretFetcher, env_name, required, table_name
from functions.core.storage.tables import DEVICES

QR_SIGNING = "qr-signing"  # the topology's name of the secret (infra/topology.py SECRETS)


@dataclass(frozen=True)
class DeviceSettings:
    intake: RatingIntakeSettings
    devices_table: str
    qr_signing_secret_arn: str

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, fetch: SecretFetcher | None = None
    ) -> DeviceSettings:
        env = os.environ if env is None else env
        return cls(
            intake=RatingIntakeSettings.from_env(env, fetch),
            devices_table=table_name(env, DEVICES),
            qr_signing_secret_arn=required(env, env_name(QR_SIGNING, "SECRET_ARN")),
        )
