"""How a function reads its configuration: the pieces every function's own settings are made of.

Each function has its own typed settings (e.g. functions/rate/settings.py) holding only what it needs,
read once from its environment and validated at start. Nothing has a default that could stand in for a
forgotten value outside the local stack: a missing table prefix, province or secret stops the function
at its first request, with the name of what is missing. Secrets never travel in environment variables:
the environment names a Secrets Manager secret (`<NAME>_SECRET_ARN`, as the CDK app passes it) and the
value is fetched through Powertools' parameters utility, cached for SECRET_MAX_AGE seconds. The local
stack creates the same secrets in its embedded AWS, so the code path is the one that runs in AWS.

Nothing reads os.environ anywhere else."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from functions.core.domain.province import ProvinceConfig
from functions.core.runtime import on_reset
from functions.core.storage.tables import CASES, DIRECTORY, RATINGS, TableSpec

SECRET_MAX_AGE = 300  # seconds a fetched secret is reused before Secrets Manager is asked again

# Fetches a secret's string by its ARN or name; tests may hand in their own.
SecretFetcher = Callable[[str], str]


class SettingsError(RuntimeError):
    pass


def env_name(logical_name: str, suffix: str) -> str:
    """`personal-data`, `SECRET_ARN` → `PERSONAL_DATA_SECRET_ARN`: how a resource's name or ARN is
    passed to a function (the CDK app passes them under the same names)."""
    return f"{logical_name.upper().replace('-', '_')}_{suffix}"


def required(env: Mapping[str, str], name: str) -> str:
    """A value every deployment must set: no default stands in for a forgotten one."""
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def number(env: Mapping[str, str], name: str, default: float) -> float:
    """A tuning value (a cache lifetime): its default is safe anywhere."""
    try:
        return float(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None


def table_name(env: Mapping[str, str], spec: TableSpec) -> str:
    """A table's physical name, from the stack's TABLE_PREFIX and the shared spec."""
    return spec.physical_name(required(env, "TABLE_PREFIX"))


def province(env: Mapping[str, str]) -> ProvinceConfig:
    if "PROVINCE_CONFIG" in env:
        text = env["PROVINCE_CONFIG"]
    elif "PROVINCE_CONFIG_FILE" in env:
        text = Path(env["PROVINCE_CONFIG_FILE"]).read_text(encoding="utf-8")
    else:
        raise SettingsError("set PROVINCE_CONFIG (JSON) or PROVINCE_CONFIG_FILE (a path to it)")
    try:
        return ProvinceConfig.from_json(text)
    except (ValueError, KeyError, TypeError) as e:
        raise SettingsError(f"province configuration is invalid: {e}") from e


def fetch_secret(arn: str) -> str:
    """The secret's string from Secrets Manager, through Powertools (cached for SECRET_MAX_AGE)."""
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(arn, max_age=SECRET_MAX_AGE)


def _forget_secrets() -> None:
    """The local stack starts a new embedded AWS each time: drop Powertools' providers (their clients
    and cached values) with everything else a process built."""
    import sys

    if "aws_lambda_powertools.utilities.parameters" in sys.modules:
        from aws_lambda_powertools.utilities import parameters

        parameters.clear_caches()


on_reset(_forget_secrets)


def secret_key(
    env: Mapping[str, str], logical_name: str, fetch: SecretFetcher | None = None, minimum: int = 32
) -> bytes:
    """A key held in a secret as base64 of at least `minimum` bytes."""
    name = env_name(logical_name, "SECRET_ARN")
    value = (fetch or fetch_secret)(required(env, name)).strip()
    try:
        key = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raise SettingsError(f"the secret {name} names must be base64") from None
    if len(key) < minimum:
        raise SettingsError(f"the secret {name} names must hold at least {minimum} bytes")
    return key


@dataclass(frozen=True)
class RatingIntakeSettings:
    """What accepting ratings needs, for a function that takes them besides the rate function (the SMS
    function's replies go through the same rating service)."""

    province: ProvinceConfig
    ratings_table: str
    cases_table: str
    directory_table: str
    personal_data_secret: bytes = field(repr=False)
    directory_cache_seconds: float = 300.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, fetch: SecretFetcher | None = None
    ) -> RatingIntakeSettings:
        env = os.environ if env is None else env
        return cls(
            province=province(env),
            ratings_table=table_name(env, RATINGS),
            cases_table=table_name(env, CASES),
            directory_table=table_name(env, DIRECTORY),
            personal_data_secret=secret_key(env, "personal-data", fetch),
            directory_cache_seconds=number(env, "DIRECTORY_CACHE_SECONDS", 300.0),
        )
