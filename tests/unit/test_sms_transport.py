"""A province states how its texts leave (DeployConfig.sms_transport), and a choice that cannot work in
its region stops synthesis with a sentence saying why, instead of a stack whose texts never leave."""

from __future__ import annotations

from dataclasses import replace

import pytest

from infra.provinces import DEPLOYMENTS
from infra.provinces.deploy import SNS_SMS_REGIONS

GLOBAL = DEPLOYMENTS["guizhou"]
CHINA = DEPLOYMENTS["ningxia"]


def test_sns_sms_in_a_region_without_it_is_refused_with_the_reason_and_the_way_out():
    with pytest.raises(ValueError) as refused:
        replace(GLOBAL, region="ap-east-1", sms_transport="sns")
    sentence = str(refused.value)
    assert "SNS sends no SMS there" in sentence and "ap-east-1" in sentence
    assert "sms_transport 'http'" in sentence  # what to do instead


def test_the_china_partition_has_no_sns_sms_in_any_region():
    for region in ("cn-north-1", "cn-northwest-1"):
        with pytest.raises(ValueError, match="SNS sends no SMS there"):
            replace(CHINA, region=region, sms_transport="sns")


def test_the_gateway_transport_needs_its_https_url():
    with pytest.raises(ValueError, match="https sms_provider_url"):
        replace(GLOBAL, sms_transport="http", sms_provider_url=None)
    with pytest.raises(ValueError, match="https sms_provider_url"):
        replace(GLOBAL, sms_transport="http", sms_provider_url="http://sms.example.gov.cn/send")
    assert replace(GLOBAL, region="ap-east-1", sms_transport="http", sms_provider_url="https://g.example/s")


def test_an_unknown_transport_is_refused():
    with pytest.raises(ValueError, match="sms_transport must be one of sns, http"):
        replace(GLOBAL, sms_transport="carrier-pigeon")


def test_every_shipped_province_picks_a_transport_that_works_where_it_is_deployed():
    for name, deploy in DEPLOYMENTS.items():
        if deploy.sms_transport == "sns":
            assert deploy.region in SNS_SMS_REGIONS and deploy.facts.sns_sms, name
        else:
            assert (deploy.sms_provider_url or "").startswith("https://"), name
    assert GLOBAL.sms_transport == "sns" and CHINA.sms_transport == "http"
