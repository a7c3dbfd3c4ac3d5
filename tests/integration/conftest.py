"""The rate function on moto: real tables from the shared specs, the demo directory, the Chalice app."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core.http.auth import issue_token
from functions.core.settings import Settings
from functions.core.storage.tables import TABLES
from functions.rate import wiring
from infra.provinces import GUIZHOU, demo_directory_csv
from tests.integration.ticket_stack import ticket_stack  # noqa: F401  (a fixture for the ticket tests)

PREFIX = "it"


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "cn-northwest-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@dataclass
class RateStack:
    dynamodb: Any
    settings: Settings
    runtime: wiring.Runtime

    def token(self, role: str, scope: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {issue_token(self.settings, role, scope)}"}

    def raw_rating(self, rating_id: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(
            TableName=self.settings.ratings_table, Key={"rating_id": {"S": rating_id}}
        ).get("Item")

    def count(self, table: str) -> int:
        return self.dynamodb.scan(TableName=table, Select="COUNT")["Count"]


@pytest.fixture
def rate_stack(moto_aws: None) -> Iterator[RateStack]:
    dynamodb = boto3.client("dynamodb")
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_request(spec.physical_name(PREFIX)))
    settings = Settings.from_env(
        {
            "TABLE_PREFIX": PREFIX,
            "PROVINCE_CONFIG": GUIZHOU.to_json(),
            "TOKEN_SECRET": base64.b64encode(b"t" * 32).decode(),
            "PERSONAL_DATA_SECRET": base64.b64encode(b"p" * 32).decode(),
        }
    )
    runtime = wiring.build(settings, dynamodb)
    runtime.directory.import_csv(demo_directory_csv("guizhou"))
    wiring.use(runtime)
    try:
        yield RateStack(dynamodb, settings, runtime)
    finally:
        wiring.use(None)


@pytest.fixture
def api(rate_stack: RateStack) -> Iterator[Any]:
    from chalice.test import Client

    from functions.rate.app import app

    with Client(app) as client:
        yield client


CHANNEL = {"x-api-key": "local-demo-key", "content-type": "application/json"}


def post_rating(api: Any, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    answer = api.http.post("/v1/ratings", headers=headers or CHANNEL, body=raw)
    return answer.status_code, json.loads(answer.body)
