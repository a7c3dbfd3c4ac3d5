"""Province configuration and function settings: typed, validated once, refused when wrong."""

import base64
import json
from dataclasses import replace

import pytest

from functions.core.domain.province import ProvinceConfig
from functions.core.settings import SettingsError
from functions.core.storage.tables import RATINGS
from functions.rate.settings import RateSettings
from infra.provinces import GUIZHOU, PROVINCES

SECRET = base64.b64encode(b"s" * 32).decode()


def test_every_province_survives_a_round_trip_through_json():
    for province in PROVINCES.values():
        assert ProvinceConfig.from_json(province.to_json()) == province


def test_the_demo_province_follows_the_published_rules():
    assert GUIZHOU.code == "520000000000"
    assert dict(GUIZHOU.index.scores) == {5: 10, 4: 8, 3: 6, 2: 4, 1: 2}
    assert (GUIZHOU.index.initial, GUIZHOU.index.prior_weight) == (10.0, 1.0)
    assert (GUIZHOU.deadlines.contact, GUIZHOU.deadlines.simple, GUIZHOU.deadlines.general) == (1, 1, 5)
    assert GUIZHOU.deadlines.complex == 15
    assert "服务态度好" in GUIZHOU.tags.good and "服务态度生硬" in GUIZHOU.tags.bad


@pytest.mark.parametrize(
    "change",
    [
        {"code": "520100000000"},  # a city, not a province
        {"code": "52"},
        {"index": GUIZHOU.index._replace(scores={5: 10, 4: 8})},
        {"index": GUIZHOU.index._replace(prior_weight=-1)},
        {"tags": GUIZHOU.tags._replace(bad=("服务态度好",))},
        {"deadlines": GUIZHOU.deadlines._replace(general=0)},
    ],
)
def test_an_inconsistent_province_is_refused(change):
    with pytest.raises(ValueError):
        replace(GUIZHOU, **change)


SECRET_ARN = "arn:aws-cn:secretsmanager:cn-northwest-1:123456789012:secret:gz/personal-data-AbCdEf"
SECRETS = {SECRET_ARN: SECRET, "arn:short": base64.b64encode(b"short").decode(), "arn:text": "not base64 !!"}


def environment(**changes):
    env = {
        "PROVINCE_CONFIG": GUIZHOU.to_json(),
        "TABLE_PREFIX": "gz",
        "PERSONAL_DATA_SECRET_ARN": SECRET_ARN,
        "DIRECTORY_JOBS_QUEUE_URL": "https://sqs.cn-northwest-1.amazonaws.com.cn/123456789012/gz-directory-jobs",
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def settings_from(env):
    """The rate function's settings, with Secrets Manager answered from SECRETS."""
    return RateSettings.from_env(env, fetch=SECRETS.__getitem__)


def test_settings_read_the_environment_once_with_the_tables_of_the_shared_specs():
    settings = settings_from(environment())
    assert settings.ratings_table == RATINGS.physical_name("gz") == "gz-ratings"
    assert settings.directory_table == "gz-directory" and settings.cases_table == "gz-cases"
    assert settings.province == GUIZHOU
    assert settings.personal_data_secret == b"s" * 32
    assert SECRET not in repr(settings) and str(b"s" * 32) not in repr(settings)


def test_the_province_may_come_from_a_file(tmp_path):
    path = tmp_path / "province.json"
    path.write_text(GUIZHOU.to_json(), encoding="utf-8")
    settings = settings_from(environment(PROVINCE_CONFIG=None, PROVINCE_CONFIG_FILE=str(path)))
    assert settings.province == GUIZHOU


@pytest.mark.parametrize(
    "changes",
    [
        {"PROVINCE_CONFIG": None},
        {"PROVINCE_CONFIG": "{}"},
        {"PROVINCE_CONFIG": json.dumps({**json.loads(GUIZHOU.to_json()), "code": "520100000000"})},
        {"TABLE_PREFIX": None},  # no default name: a forgotten prefix would write to another stack's tables
        {"TABLE_PREFIX": " "},
        {"PERSONAL_DATA_SECRET_ARN": None},
        {"PERSONAL_DATA_SECRET_ARN": "arn:short"},
        {"PERSONAL_DATA_SECRET_ARN": "arn:text"},
        {"DIRECTORY_CACHE_SECONDS": "soon"},
        {"DIRECTORY_JOBS_QUEUE_URL": None},
    ],
)
def test_wrong_or_missing_settings_stop_the_function_at_start(changes):
    with pytest.raises(SettingsError):
        settings_from(environment(**changes))


def test_a_secret_is_never_read_from_a_plain_environment_variable():
    # Given the key itself in the environment, as a careless deployment might set it
    env = environment(PERSONAL_DATA_SECRET_ARN=None, PERSONAL_DATA_SECRET=SECRET)
    # Then the function refuses to start rather than use it
    with pytest.raises(SettingsError, match="PERSONAL_DATA_SECRET_ARN"):
        settings_from(env)


def test_the_token_command_refuses_a_scope_that_is_no_code_in_one_line(capsys):
    from infra.local.__main__ import main

    # When a reviewer token is asked for with a scope that is not a region code
    status = main(["token", "--role", "reviewer", "--scope", "52ab"])

    # Then it exits 2 with one line saying why, and no traceback
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "region code" in err and "Traceback" not in err
