"""China's own rules in the stack: the API under the province's ICP-filed domain with its certificate,
and every dashboard and alarm linking the console of the stack's own partition."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from infra.provinces import DEPLOYMENTS


def test_the_china_stack_serves_its_api_under_its_filed_domain_only(china):
    domain = DEPLOYMENTS["ningxia"].domain
    assert domain is not None
    (props,) = [d["Properties"] for d in china.find_resources("AWS::ApiGateway::DomainName").values()]
    assert props["DomainName"] == domain.name
    certificate = json.dumps(props["RegionalCertificateArn"])
    assert (
        '{"Ref": "AWS::Partition"}' in certificate and f":certificate/{domain.certificate_id}" in certificate
    )
    assert props["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert props["SecurityPolicy"] == "TLS_1_2"
    assert len(china.find_resources("AWS::ApiGateway::BasePathMapping")) == 1
    (api,) = china.find_resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["DisableExecuteApiEndpoint"] is True
    outputs = china.to_json()["Outputs"]
    (target,) = [o for name, o in outputs.items() if name.startswith("ApiApiDomainTarget")]
    assert domain.name in target["Description"] and domain.icp_filing in target["Description"]


def test_without_a_domain_the_global_stack_keeps_its_gateway_endpoint(template):
    assert template.find_resources("AWS::ApiGateway::DomainName") == {}
    (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"].get("DisableExecuteApiEndpoint", False) is False


def test_a_china_deployment_without_its_filed_domain_is_refused():
    with pytest.raises(ValueError, match="ICP-filed domain"):
        replace(DEPLOYMENTS["ningxia"], domain=None)
    domain = DEPLOYMENTS["ningxia"].domain
    assert domain is not None
    wrong = replace(domain, certificate_id="arn:aws:acm:us-east-1:222222222222:certificate/x")
    with pytest.raises(ValueError, match="an ACM certificate id"):
        replace(DEPLOYMENTS["ningxia"], domain=wrong)


CONSOLES = {"aws": "console.aws.amazon.com", "aws-cn": "console.amazonaws.cn"}


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_alarms_and_the_dashboard_link_the_console_of_the_stacks_partition(synthesized, province):
    template = synthesized.templates[province]
    deploy = DEPLOYMENTS[province]
    own = f"https://{deploy.region}.{CONSOLES[deploy.partition]}/"
    other = next(c for p, c in CONSOLES.items() if p != deploy.partition)
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    assert alarms
    for alarm in alarms:
        description = alarm["Properties"]["AlarmDescription"]
        assert f"{own}cloudwatch/home?region={deploy.region}#alarmsV2:" in description
        assert other not in description
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert f"{own}states/home?region={deploy.region}" in body and other not in body
