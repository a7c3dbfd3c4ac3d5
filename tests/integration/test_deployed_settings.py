"""In AWS a function's secrets come from Secrets Manager by the ARN the CDK stack passes
(`PERSONAL_DATA_SECRET_ARN`), never as a value in the environment or a template."""

from __future__ import annotations

import base64

import boto3
import pytest

from functions.core.settings import RatingIntakeSettings, SettingsError
from infra.provinces import GUIZHOU


def test_the_personal_data_key_is_read_from_the_secret_the_stack_generated(moto_aws):
    # Given a secret like the one the stack generates (64 letters and digits: 48 bytes as base64)
    value = "A1b2C3d4" * 8
    arn = boto3.client("secretsmanager").create_secret(Name="haochaping-x/personal-data", SecretString=value)[
        "ARN"
    ]
    # When a function's settings are read from its Lambda environment
    settings = RatingIntakeSettings.from_env(
        {
            "PROVINCE_CONFIG": GUIZHOU.to_json(),
            "TABLE_PREFIX": "haochaping-x",
            "PERSONAL_DATA_SECRET_ARN": arn,
        }
    )
    # Then the key is the secret's value, decoded
    assert settings.personal_data_secret == base64.urlsafe_b64decode(value)


def test_without_value_or_arn_the_settings_refuse_to_start():
    with pytest.raises(SettingsError, match="PERSONAL_DATA_SECRET"):
        RatingIntakeSettings.from_env({"PROVINCE_CONFIG": GUIZHOU.to_json(), "TABLE_PREFIX": "haochaping-x"})
