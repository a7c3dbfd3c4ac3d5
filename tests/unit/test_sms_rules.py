"""The SMS channel's pure rules: quiet hours, expiry, what a completed case must say, inbound texts."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.core.domain.errors import ValidationFailed
from functions.sms.rules import (
    MAX_INBOUND_CHARS,
    expiry,
    parse_case_request,
    parse_inbound,
    release_time,
    render,
)
from infra.provinces import GUIZHOU

SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))
NIGHT = GUIZHOU.sms._replace(quiet_start="21:00", quiet_end="08:00")
LUNCH = GUIZHOU.sms._replace(quiet_start="12:00", quiet_end="14:00")


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=CST)


@pytest.mark.parametrize(
    ("now", "texts", "expected"),
    [
        (at(10), NIGHT, at(10)),
        (at(20, 59), NIGHT, at(20, 59)),
        (at(21), NIGHT, at(8, day=13)),
        (at(23, 30), NIGHT, at(8, day=13)),
        (at(0, 5), NIGHT, at(8)),
        (at(7, 59), NIGHT, at(8)),
        (at(8), NIGHT, at(8)),
        (at(12, 30), LUNCH, at(14)),
        (at(14), LUNCH, at(14)),
        (at(23), GUIZHOU.sms._replace(quiet_start="00:00", quiet_end="00:00"), at(23)),
    ],
)
def test_quiet_hours_hold_an_invitation_until_they_end(now, texts, expected):
    assert release_time(now, texts, SHANGHAI) == expected


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(CST)))
def test_no_invitation_is_ever_released_inside_the_quiet_hours(now):
    released = release_time(now, NIGHT, SHANGHAI).astimezone(CST)
    assert released >= now and released - now <= timedelta(hours=11)
    assert not (released.hour >= 21 or released.hour < 8)


def test_an_invitation_is_open_for_the_provinces_period():
    assert expiry(at(10), GUIZHOU.sms) == at(10) + timedelta(days=GUIZHOU.sms.invitation_valid_days)


CASE = {
    "case_no": "GY-2026-0001",
    "item": "I5201000101",
    "department": "D52010001",
    "region": "520100",
    "applicant_phone": "+86 139-1234-5678",
    "completed_at": "2026-10-12T09:00:00+08:00",
}


def test_a_completed_case_is_read_and_normalised():
    case = parse_case_request(CASE, at(10))
    assert case.phone == "13912345678"
    assert {k.value: v for k, v in case.subjects.items()} == {
        "item": "I5201000101",
        "department": "D52010001",
        "region": "520100000000",
    }
    # the fingerprint changes with the content, never holds the phone
    assert case.fingerprint("h1") != case.fingerprint("h2")
    assert "13912345678" not in case.fingerprint("h1")


def test_every_problem_of_a_case_is_reported_at_once():
    with pytest.raises(ValidationFailed) as refused:
        parse_case_request(
            {"case_no": "", "applicant_phone": "12345", "completed_at": "2099-01-01T00:00:00+08:00"}, at(10)
        )
    assert set(refused.value.fields) == {
        "case_no",
        "item",
        "department",
        "region",
        "applicant_phone",
        "completed_at",
    }


def test_inbound_texts_are_checked():
    assert parse_inbound({"from": "13912345678", "body": "５"}) == ("13912345678", "５")
    for body in (
        {"from": "13912345678", "body": ""},
        {"from": "13912345678", "body": "很" * (MAX_INBOUND_CHARS + 1)},
    ):
        with pytest.raises(ValidationFailed):
            parse_inbound(body)


def test_a_template_never_loses_a_text_to_a_missing_placeholder():
    assert render("{item}（{case_no}）{unknown}", item="企业开办", case_no="1") == "企业开办（1）{unknown}"


def test_the_sms_settings_name_a_provider_and_what_it_needs():
    from functions.core.settings import SettingsError
    from functions.sms.wiring import SmsSettings

    topic = {
        "TABLE_PREFIX": "gz",
        "SMS_OUTBOUND_TOPIC_ARN": "arn:aws-cn:sns:cn-northwest-1:123456789012:haochaping-sms-outbound",
    }
    assert SmsSettings.from_env({**topic, "SMS_PROVIDER": "sns"}).provider == "sns"
    china = SmsSettings.from_env(
        {
            **topic,
            "SMS_PROVIDER": "http",
            "SMS_PROVIDER_URL": "https://sms.example.cn/send",
            "SMS_PROVIDER_KEY_SECRET_ARN": "k",
        }
    )
    assert china.provider == "http" and china.provider_key_secret_arn == "k"
    for env in (
        {**topic, "SMS_PROVIDER": "http"},
        {**topic, "SMS_PROVIDER": "pigeon"},
        {"SMS_PROVIDER": "sns"},
    ):
        with pytest.raises(SettingsError):
            SmsSettings.from_env(env)
