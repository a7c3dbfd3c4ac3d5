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


@cache
def sqs() -> Any:
    import boto3

    return boto3.client("sqs")


on_reset(sqs.cache_clear)
