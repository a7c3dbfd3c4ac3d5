"""The rate function on moto: real tables from the shared specs, the demo directory, the Chalice app."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.core.storage.tables import TABLES
from functions.rate import wiring
from functions.rate.settings import RateSettings
from infra.local.gateway import LocalApiGateway
from infra.local.identity import LocalIdentityProvider
from infra.provinces import GUIZHOU, demo_directory_csv
from tests.gateway import TEST_API_KEYS, GatewayClient, trusted_identity
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
    settings: RateSettings
    runtime: wiring.Runtime
    identity: LocalIdentityProvider
    # The functions' environment in this stack: other functions' settings are read from it too.
    env: dict[str, str]

    def token(self, role: str, scope: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {self.identity.token(role, scope)}"}

    def raw_rating(self, rating_id: str) -> dict[str, Any] | None:
        return self.dynamodb.get_item(
            TableName=self.settings.ratings_table, Key={"rating_id": {"S": rating_id}}
        ).get("Item")

    def count(self, table: str) -> int:
        return self.dynamodb.scan(TableName=table, Select="COUNT")["Count"]


@pytest.fixture(scope="session")
def identity_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity")


@pytest.fixture
def rate_stack(moto_aws: None, identity_directory: Path) -> Iterator[RateStack]:
    dynamodb = boto3.client("dynamodb")
    for spec in TABLES:
        dynamodb.create_table(**spec.create_table_request(spec.physical_name(PREFIX)))
    queue_url = boto3.client("sqs").create_queue(QueueName=f"{PREFIX}-directory-jobs")["QueueUrl"]
    # The personal-data key from Secrets Manager, as deployed (the environment names it, never holds it)
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{PREFIX}/personal-data", SecretString=base64.b64encode(b"p" * 32).decode()
    )
    env = {
        "TABLE_PREFIX": PREFIX,
        "DIRECTORY_JOBS_QUEUE_URL": queue_url,
        "PROVINCE_CONFIG": GUIZHOU.to_json(),
        "PERSONAL_DATA_SECRET_ARN": secret["ARN"],
    }
    settings = RateSettings.from_env(env)
    runtime = wiring.build(settings, dynamodb)
    runtime.directory.import_csv(demo_directory_csv("guizhou"))
    wiring.use(runtime)
    try:
        with trusted_identity(identity_directory) as identity:
            yield RateStack(dynamodb, settings, runtime, identity, env)
    finally:
        wiring.use(None)


@pytest.fixture
def api(rate_stack: RateStack) -> Iterator[Any]:
    """The rate function behind the gateway's code path: keys and tokens are checked in front of it."""
    from functions.rate.app import app

    yield GatewayClient(LocalApiGateway({"rate": app}, api_keys=TEST_API_KEYS))


CHANNEL = {"x-api-key": "local-demo-key", "content-type": "application/json"}


def post_rating(api: Any, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    answer = api.http.post("/v1/ratings", headers=headers or CHANNEL, body=raw)
    return answer.status_code, json.loads(answer.body)
