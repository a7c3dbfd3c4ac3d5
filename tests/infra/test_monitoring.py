"""The operators' view: one dashboard per province, and every alarm named in issue 10 sending to the
province's alarm topic, which the province config subscribes."""

from __future__ import annotations

import pytest

from infra.constructs.functions import deployed_functions
from infra.provinces import DEPLOYMENTS


def _alarms(template):
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_every_alarm_goes_to_the_alarm_topic_that_the_config_subscribes(synthesized, province):
    template = synthesized.templates[province]
    topics = template.find_resources("AWS::SNS::Topic")
    (alarm_topic,) = [
        t for t, p in topics.items() if p["Properties"]["TopicName"] == f"haochaping-{province}-alarms"
    ]
    for props in _alarms(template).values():
        assert props["AlarmActions"] == [{"Ref": alarm_topic}]
    emails = {
        s["Properties"]["Endpoint"]
        for s in template.find_resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "email"
    }
    assert emails == set(DEPLOYMENTS[province].alarm_emails)


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_one_dashboard_per_province(synthesized, province):
    dashboards = synthesized.templates[province].find_resources("AWS::CloudWatch::Dashboard")
    assert len(dashboards) == 1


def test_the_api_each_function_and_the_failure_queue_are_watched(template):
    names = set(_alarms(template))
    prefix = "haochaping-guizhou"
    assert f"{prefix}-api-Fault-Count-Critical" in names  # 5xx
    assert f"{prefix}-api-Latency-P99-Warning" in names
    for function in [f.name for f in deployed_functions()] + ["authorizer"]:
        for alarm in ("Fault-Count-Critical", "Throttled-Count-Warning", "Latency-P99-Warning"):
            assert f"{prefix}-{function}-{alarm}" in names
    assert f"{prefix}-stream-failures-Queue-Message-Count-Max-Critical" in names


def test_overdue_tickets_and_a_bad_rate_spike_page_the_operators(template):
    alarms = _alarms(template)
    overdue = alarms["haochaping-guizhou-province-tickets-overdue-Warning"]
    (metric,) = [m for m in overdue["Metrics"] if "MetricStat" in m]
    assert metric["MetricStat"]["Metric"]["Namespace"] == "Haochaping"
    assert metric["MetricStat"]["Metric"]["MetricName"] == "TicketOverdue"
    assert "Dimensions" not in metric["MetricStat"]["Metric"]  # low cardinality: none at all

    spike = alarms["haochaping-guizhou-province-bad-rate-spike-Warning"]
    assert spike["Threshold"] == DEPLOYMENTS["guizhou"].bad_rate_spike_ratio
    expressions = [m["Expression"] for m in spike["Metrics"] if "Expression" in m]
    assert any("bad / total" in e for e in expressions)
    filters = template.find_resources("AWS::Logs::MetricFilter")
    names = {f["Properties"]["MetricTransformations"][0]["MetricName"] for f in filters.values()}
    assert names == {"RatingsAll", "RatingsBad", "TicketOverdue", "TicketStalled", "ExportUnacknowledged"}
    for f in filters.values():
        assert "Dimensions" not in f["Properties"]["MetricTransformations"][0]


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_a_stalled_ticket_pages_the_operators_with_the_resume_command(synthesized, province):
    template = synthesized.templates[province]
    stalled = _alarms(template)[f"haochaping-{province}-province-tickets-stalled-Critical"]
    (metric,) = [m for m in stalled["Metrics"] if "MetricStat" in m]
    assert metric["MetricStat"]["Metric"]["MetricName"] == "TicketStalled"
    assert "python -m functions.tickets.resume <ticket_id>" in stalled["AlarmDescription"]
    # counted from the ticket state machine's own log, whose only Fail state is Stalled
    (stall_filter,) = [
        f["Properties"]
        for f in template.find_resources("AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "TicketStalled"
    ]
    assert stall_filter["FilterPattern"] == '{ $.type = "FailStateEntered" }'
    groups = template.find_resources("AWS::Logs::LogGroup")
    (machine_log,) = [
        g
        for g, p in groups.items()
        if p["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/haochaping-{province}-ticket"
    ]
    assert stall_filter["LogGroupName"] == {"Ref": machine_log}
