"""Configuration of a function, read from its environment once, validated, and typed.

Nothing reads os.environ anywhere else. Tests and the local stack build a Settings directly or set the
environment before the first request."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from functions.core.domain.province import ProvinceConfig
from functions.core.runtime import on_reset


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    province: ProvinceConfig
    ratings_table: str
    cases_table: str
    directory_table: str
    jobs_table: str
    # Where a move of a directory subtree is queued for its background job (topology queue
    # directory-jobs); the local stack sets it, as the CDK stack does.
    directory_jobs_queue_url: str
    personal_data_secret: bytes = field(repr=False)
    directory_cache_seconds: float = 300.0
    stage: str = "local"
    counters_table: str = "haochaping-counters"
    tickets_table: str = "haochaping-tickets"
    ticket_trail_table: str = "haochaping-ticket-trail"
    calendar_table: str = "haochaping-calendar"
    # The ticket workflow (functions/tickets): its state machine, the topic of ticket events and the
    # bucket of evidence files.
    ticket_state_machine_arn: str = ""
    ticket_events_topic_arn: str = ""
    evidence_bucket: str = ""
    # Local stack only: "<ISO start>@<speed>" runs the tickets' clock from that instant at that many
    # seconds per second, so that deadlines come in seconds (ignored unless STAGE is local).
    ticket_clock: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        prefix = env.get("TABLE_PREFIX", "haochaping")
        return cls(
            province=_province(env),
            ratings_table=env.get("RATINGS_TABLE", f"{prefix}-ratings"),
            cases_table=env.get("CASES_TABLE", f"{prefix}-cases"),
            directory_table=env.get("DIRECTORY_TABLE", f"{prefix}-directory"),
            jobs_table=env.get("JOBS_TABLE", f"{prefix}-jobs"),
            directory_jobs_queue_url=env.get("DIRECTORY_JOBS_QUEUE_URL", ""),
            personal_data_secret=_secret(env, "PERSONAL_DATA_SECRET"),
            directory_cache_seconds=float(env.get("DIRECTORY_CACHE_SECONDS", "300")),
            stage=env.get("STAGE", "local"),
            counters_table=env.get("COUNTERS_TABLE", f"{prefix}-counters"),
            tickets_table=env.get("TICKETS_TABLE", f"{prefix}-tickets"),
            ticket_trail_table=env.get("TICKET_TRAIL_TABLE", f"{prefix}-ticket-trail"),
            calendar_table=env.get("CALENDAR_TABLE", f"{prefix}-calendar"),
            ticket_state_machine_arn=env.get("TICKET_STATE_MACHINE_ARN", ""),
            ticket_events_topic_arn=env.get("TICKET_EVENTS_TOPIC_ARN", ""),
            evidence_bucket=env.get("EVIDENCE_BUCKET", ""),
            ticket_clock=env.get("TICKET_CLOCK", "") if env.get("STAGE", "local") == "local" else "",
        )


def required(env: Mapping[str, str], name: str) -> str:
    """A value every deployment must set: no default stands in for a forgotten one."""
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _province(env: Mapping[str, str]) -> ProvinceConfig:
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


def _secret(env: Mapping[str, str], name: str) -> bytes:
    """A secret from the environment (the local stack), or, in AWS, from the Secrets Manager secret
    whose ARN `<NAME>_ARN` names (the CDK stack generates it; its value never sits in a template)."""
    value = env.get(name)
    if not value and env.get(f"{name}_ARN"):
        value = _secrets_manager_value(env[f"{name}_ARN"])
    if not value:
        raise SettingsError(f"{name} is not set")
    try:
        secret = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as e:
        raise SettingsError(f"{name} must be base64") from e
    if len(secret) < 32:
        raise SettingsError(f"{name} must hold at least 32 bytes")
    return secret


def _secrets_manager_value(arn: str) -> str:
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(arn, max_age=300)
    return value if isinstance(value, str) else value.decode()


@cache
def settings() -> Settings:
    return Settings.from_env()


on_reset(settings.cache_clear)
