"""The upward export in AWS, in both partitions: its table, the schedules of the sender and the daily
reconciliation, the reconcile queue with its dead letters, the targets' key in Secrets Manager (granted,
named by ARN, never in the environment), the targets in the environment, and the alarms."""

from __future__ import annotations

import pytest

from functions.export.targets import targets_from_json
from infra.provinces import DEPLOYMENTS
from tests.infra.test_functions import _as_list, _functions, _named, _policy_statements


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_the_export_runs_on_a_schedule_its_stream_and_its_queue_with_dead_letters(synthesized, province):
    template = synthesized.templates[province]
    prefix = f"haochaping-{province}"
    functions = _functions(template)
    # one HTTP function and one event function (stream, schedule and queue): a stack holds 500 resources
    assert sorted(n for n in functions if n.startswith(f"{prefix}-export")) == [
        f"{prefix}-export",
        f"{prefix}-export-events",
    ]
    events, _ = functions[f"{prefix}-export-events"]
    rules = [
        r["Properties"]
        for r in template.find_resources("AWS::Events::Rule").values()
        if r["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [events, "Arn"]}
    ]
    assert [r["ScheduleExpression"] for r in rules] == ["rate(1 minute)"]
    stream_mappings = [
        m["Properties"]
        for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": events} and "StartingPosition" in m["Properties"]
    ]
    assert len(stream_mappings) == 1 and stream_mappings[0]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    queue = _named(template, "AWS::SQS::Queue", "QueueName", f"{prefix}-export-reconcile")
    dead = _named(template, "AWS::SQS::Queue", "QueueName", f"{prefix}-export-dlq")
    redrive = template.find_resources("AWS::SQS::Queue")[queue]["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]}, "maxReceiveCount": 3}
    (mapping,) = [
        m["Properties"]
        for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": events} and "StartingPosition" not in m["Properties"]
    ]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_the_targets_key_is_a_secret_read_by_arn_and_the_targets_are_configuration(synthesized, province):
    template = synthesized.templates[province]
    prefix = f"haochaping-{province}"
    secret = _named(template, "AWS::SecretsManager::Secret", "Name", f"{prefix}/export-target-key")
    _, props = _functions(template)[f"{prefix}-export-events"]
    env = props["Environment"]["Variables"]
    assert env["EXPORT_TARGET_KEY_SECRET_ARN"] == {"Ref": secret}
    assert targets_from_json(env["EXPORT_TARGETS"]) == DEPLOYMENTS[province].export_targets
    # the targets only where they are read (Lambda's environment holds 4 KB in all)
    for name, (_, fn) in _functions(template).items():
        if not name.startswith(f"{prefix}-export"):
            assert "EXPORT_TARGETS" not in fn.get("Environment", {}).get("Variables", {})
    statements = _policy_statements(template, props["Role"]["Fn::GetAtt"][0])
    granted = [s["Resource"] for s in statements if "secretsmanager:GetSecretValue" in _as_list(s["Action"])]
    assert {"Ref": secret} in granted
    # only the export's functions may read the targets' key
    readers = {
        name
        for name, (_, fn) in _functions(template).items()
        if {"Ref": secret}
        in [
            s["Resource"]
            for s in _policy_statements(template, fn["Role"]["Fn::GetAtt"][0])
            if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
        ]
    }
    assert readers and all(name.startswith(f"{prefix}-export") for name in readers)


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_the_export_is_alarmed_unacknowledged_after_t_plus_1_and_its_dead_letters(synthesized, province):
    template = synthesized.templates[province]
    alarms = [a["Properties"] for a in template.find_resources("AWS::CloudWatch::Alarm").values()]
    names = [a["AlarmName"] for a in alarms]
    assert any("export-unacknowledged" in n for n in names)
    assert any("export-reconcile" in n and "DLQ" in n.upper() for n in names), names
    (filter_,) = [
        f["Properties"]
        for f in template.find_resources("AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == "ExportUnacknowledged"
    ]
    assert "export unacknowledged after T+1" in filter_["FilterPattern"]
