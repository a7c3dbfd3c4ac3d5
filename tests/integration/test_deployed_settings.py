"""In AWS a function's secrets come from Secrets Manager by the ARN the CDK stack passes
(`PERSONAL_DATA_SECRET_ARN`), never as a value in the environment or a template."""

from __future__ import annotations

import base64

import boto3
import pytest

from functions.core.settings import SettingsError, secret_key


def test_the_personal_data_key_is_read_from_the_secret_the_stack_generated(moto_aws):
    # Given a secret like the one the stack generates (64 letters and digits: 48 bytes as base64)
    value = "A1b2C3d4" * 8
    arn = boto3.client("secretsmanager").create_secret(Name="haochaping-x/personal-data", SecretString=value)[
        "ARN"
    ]
    # When a function reads it from its Lambda environment, as the stack sets it
    key = secret_key({"PERSONAL_DATA_SECRET_ARN": arn}, "personal-data")
    # Then the key is the secret's value, decoded
    assert key == base64.urlsafe_b64decode(value)


def test_without_the_arn_a_function_refuses_to_start():
    with pytest.raises(SettingsError, match="PERSONAL_DATA_SECRET_ARN"):
        secret_key({}, "personal-data")
