"""AWS clients, created on first use (never at import) and shared within a process."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.core.runtime import on_reset


@cache
def dynamodb() -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts and the standard retry mode: a channel waits for its answer.
    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return boto3.client("dynamodb", config=config)


on_reset(dynamodb.cache_clear)


def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)
    return boto3.client(service, config=config)


@cache
def stepfunctions() -> Any:
    return _client("stepfunctions")


@cache
def sns() -> Any:
    return _client("sns")


@cache
def s3() -> Any:
    return _client("s3")


on_reset(stepfunctions.cache_clear)
on_reset(sns.cache_clear)
on_reset(s3.cache_clear)


@cache
def sqs() -> Any:
    import boto3

    return boto3.client("sqs")


on_reset(sqs.cache_clear)
