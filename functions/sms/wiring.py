"""Builds the SMS function's services from its settings, once per process; tests and the local stack
may hand in their own (`use`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from functions.core.personal_data import RaterProtector
from functions.core.runtime import Lazy
from functions.core.services.ratings import DefaultRatings, RatingService
from functions.core.settings import RatingIntakeSettings, SettingsError, fetch_secret, required, table_name
from functions.core.storage import clients
from functions.core.storage.cases import DynamoCases
from functions.core.storage.directory import CachedDirectory, DynamoDirectory
from functions.core.storage.ratings import DynamoRatings
from functions.core.storage.tables import SMS
from functions.sms.outbound import HttpSmsProvider, LocalOutbox, Provider, SnsOutbound, SnsSmsProvider
from functions.sms.service import Sender, SmsService
from functions.sms.storage import DynamoSms

PROVIDERS = ("sns", "http", "local")


@dataclass(frozen=True)
class SmsSettings:
    sms_table: str
    outbound_topic_arn: str
    provider: str  # sns: SNS SMS (where the region has it); http: a domestic gateway; local: the outbox
    provider_url: str | None = None
    # The HTTP gateway's key lives in Secrets Manager: the secret's ARN, read on first use.
    provider_key_secret_arn: str | None = None
    sender_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmsSettings:
        env = os.environ if env is None else env
        provider = required(env, "SMS_PROVIDER")
        if provider not in PROVIDERS:
            raise SettingsError(f"SMS_PROVIDER must be one of {', '.join(PROVIDERS)}")
        topic = required(env, "SMS_OUTBOUND_TOPIC_ARN")
        if provider == "http":
            # Its key is a secret: the environment names it (as the CDK app passes secrets), never holds it.
            required(env, "SMS_PROVIDER_URL")
            required(env, "SMS_PROVIDER_KEY_SECRET_ARN")
        return cls(
            sms_table=table_name(env, SMS),
            outbound_topic_arn=topic,
            provider=provider,
            provider_url=env.get("SMS_PROVIDER_URL"),
            provider_key_secret_arn=env.get("SMS_PROVIDER_KEY_SECRET_ARN"),
            sender_id=env.get("SMS_SENDER_ID"),
        )


class ShiftableClock:
    """The SMS function's clock. Deployed, it is the real one; the local stack may move it (PUT
    /local/sms/clock) so that quiet hours and expiry can be tried without waiting for the night."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Runtime(NamedTuple):
    settings: RatingIntakeSettings
    sms_settings: SmsSettings
    service: SmsService
    sender: Sender
    store: DynamoSms
    defaults: DefaultRatings


def _sns() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("sns", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def provider_for(config: SmsSettings) -> Provider:
    if config.provider == "local":
        return outbox.get()
    if config.provider == "http":
        url, secret = config.provider_url, config.provider_key_secret_arn
        assert url and secret
        # The gateway's key as its operator issued it (an opaque string, not base64 key material like
        # personal-data's), from the `sms-provider-key` secret at each text, Powertools-cached.
        return HttpSmsProvider(url, lambda: fetch_secret(secret).strip())
    return SnsSmsProvider(_sns(), config.sender_id)


def build(config: RatingIntakeSettings, sms_config: SmsSettings, dynamodb: Any, sns: Any) -> Runtime:
    directory = CachedDirectory(
        DynamoDirectory(dynamodb, config.directory_table), config.directory_cache_seconds
    )
    cases = DynamoCases(dynamodb, config.cases_table)
    ratings_store = DynamoRatings(
        dynamodb,
        config.ratings_table,
        cases,
        rules=config.province.ratings,
        follow_ups=config.province.allow_follow_up,
    )
    protector = RaterProtector(config.personal_data_secret)
    store = DynamoSms(dynamodb, sms_config.sms_table, config.cases_table)
    # The rating a reply makes goes through the same service and one-write store as POST /v1/ratings.
    ratings = RatingService(
        directory=directory,
        store=ratings_store,
        protector=protector,
        province=config.province,
        # A reply is rated at the SMS function's time, which the local stack may move, as its
        # invitations' expiry is; the case's rating period is checked against it.
        clock=clock.get(),
    )
    service = SmsService(
        store=store,
        directory=directory,
        protector=protector,
        ratings=ratings,
        rating_reader=ratings_store,
        outbound=SnsOutbound(sns, sms_config.outbound_topic_arn),
        province=config.province,
        clock=clock.get(),
    )
    sender = Sender(
        store=store,
        protector=protector,
        provider=provider_for(sms_config),
        contacts=config.province.sms.contacts,
        clock=clock.get(),
    )
    defaults = DefaultRatings(cases, ratings_store, config.province, clock=clock.get())
    return Runtime(config, sms_config, service, sender, store, defaults)


clock: Lazy[ShiftableClock] = Lazy(ShiftableClock)
outbox: Lazy[LocalOutbox] = Lazy(LocalOutbox)
_runtime: Lazy[Runtime] = Lazy(
    lambda: build(RatingIntakeSettings.from_env(), SmsSettings.from_env(), clients.dynamodb(), _sns())
)
runtime = _runtime.get
use = _runtime.use
