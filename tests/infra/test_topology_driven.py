"""Whatever lands in the topology later deploys by being there alone: a stack synthesized from a
topology with stream and queue consumers, a subscription and a state machine (what the tickets, index
and sms functions added, and whatever comes next) gets their functions, mappings, roles, queues, machine and alarms, and
still passes cdk-nag."""

from __future__ import annotations

import json
import os

import pytest

from infra import topology
from infra.topology import EventSource, Needs, Subscription

HANDLER = "functions.rate.app:app"  # any importable handler: these tests never run the code


@pytest.fixture(scope="module")
def future(tmp_path_factory):
    """The real topology (ticket state machine, stream and queue consumers, a subscription) plus
    what a later capability would add: a queue subscribed to a topic, its consumer, a stream consumer."""
    from aws_cdk.assertions import Template

    from infra.app import build_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAOCHAPING_BUNDLE", "source")
        patch.setattr(topology, "QUEUES", (*topology.QUEUES, "sms-receipts"))
        patch.setattr(
            topology,
            "SUBSCRIPTIONS",
            (*topology.SUBSCRIPTIONS, Subscription("sms-outbound", "sms-receipts")),
        )
        patch.setattr(
            topology,
            "EVENT_SOURCES",
            (
                *topology.EVENT_SOURCES,
                EventSource(
                    "audit-stream",
                    HANDLER,
                    "dynamodb-stream",
                    "ratings",
                    batch_size=500,
                    max_retry_attempts=5,
                ),
                EventSource(
                    "receipts", HANDLER, "sqs", "sms-receipts", batch_size=10, needs=Needs(reads=("cases",))
                ),
            ),
        )
        app = build_app(outdir=str(tmp_path_factory.mktemp("future")), provinces=["ningxia"], nag=True)
        app.synth()
        # The topology stays extended while this module's tests read it.
        yield Template.from_stack(app.node.find_child("haochaping-ningxia"))


def _function(template, name):
    functions = template.find_resources("AWS::Lambda::Function")
    (found,) = [
        (logical_id, f)
        for logical_id, f in functions.items()
        if f["Properties"]["FunctionName"] == f"haochaping-ningxia-{name}"
    ]
    return found


def test_each_stream_consumer_is_a_function_with_a_bounded_mapping_and_an_on_failure_queue(future):
    queues = future.find_resources("AWS::SQS::Queue")
    (failures,) = [
        q for q, p in queues.items() if p["Properties"]["QueueName"] == "haochaping-ningxia-stream-failures"
    ]
    mappings = future.find_resources("AWS::Lambda::EventSourceMapping")
    from infra.constructs.functions import deployed_functions

    consumers = [
        (f.name, s.batch_size, s.max_retry_attempts)
        for f in deployed_functions()
        for s in f.sources
        if s.kind == "dynamodb-stream"
    ]
    assert ("audit-stream", 500, 5) in consumers
    for name, batch, retries in consumers:
        logical_id, _ = _function(future, name)
        # its stream mapping (a function may also have a queue's: the export's one event function)
        (mapping,) = [
            m["Properties"]
            for m in mappings.values()
            if m["Properties"]["FunctionName"] == {"Ref": logical_id}
            and "StartingPosition" in m["Properties"]
        ]
        assert mapping["BatchSize"] == batch
        assert mapping["MaximumRetryAttempts"] == retries
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["MaximumRecordAgeInSeconds"] == 6 * 3600
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [failures, "Arn"]}
        assert "StreamArn" in str(mapping["EventSourceArn"])


def test_a_queue_consumer_reports_item_failures_and_its_queue_outlasts_its_timeout(future):
    logical_id, fn = _function(future, "receipts")
    mappings = future.find_resources("AWS::Lambda::EventSourceMapping")
    (mapping,) = [
        m["Properties"] for m in mappings.values() if m["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queues = future.find_resources("AWS::SQS::Queue")
    (queue,) = [
        q["Properties"]
        for q in queues.values()
        if q["Properties"]["QueueName"] == "haochaping-ningxia-sms-receipts"
    ]
    assert queue["VisibilityTimeout"] >= 6 * fn["Properties"]["Timeout"]
    assert "RedrivePolicy" in queue


def test_the_subscription_delivers_raw_messages_to_the_queue(future):
    subscriptions = [
        s["Properties"]
        for s in future.find_resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "sqs"
    ]
    assert len(subscriptions) == len(topology.SUBSCRIPTIONS)  # the extended list, while patched
    assert all(s["RawMessageDelivery"] is True for s in subscriptions)


def test_the_state_machine_is_the_asl_file_with_its_placeholders_filled_its_own_role_and_logs(future):
    from infra import statemachines

    (machine,) = future.find_resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    rendered = json.dumps(props["DefinitionString"])
    for placeholder in statemachines.placeholders("ticket"):
        assert "${" + placeholder + "}" not in rendered
    assert '{"Ref": "AWS::Partition"}' in rendered
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props.get("TracingConfiguration", {}).get("Enabled") in (None, False)  # no X-Ray in aws-cn
    role = props["RoleArn"]["Fn::GetAtt"][0]
    lambda_roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in future.find_resources("AWS::Lambda::Function").values()
    }
    assert role not in lambda_roles
    actions = {
        a
        for p in future.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"dynamodb:UpdateItem", "sqs:SendMessage", "sns:Publish"} <= actions
    assert not any(a.startswith(("lambda:", "s3:", "secretsmanager:")) for a in actions)


def _actions(template, function_name):
    _, fn = _function(template, function_name)
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return {
        a
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


def test_grants_follow_needs_only(future):
    tickets = _actions(future, "tickets-events")  # the stream consumer of the tickets side
    assert {"states:StartExecution", "states:SendTaskSuccess", "states:DescribeExecution"} <= tickets
    assert "sns:Publish" in tickets and "s3:PutObject" in tickets and "s3:DeleteObject" not in tickets
    # a cited evidence file is checked and served by exact actions, never s3:* or s3:GetObject*
    assert {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucketVersions"} <= tickets
    assert not any(a.endswith("*") and a.startswith("s3:Get") for a in tickets)
    sms = _actions(future, "receipts")
    assert "dynamodb:GetItem" in sms and "dynamodb:PutItem" not in sms
    assert not any(a.startswith(("states:", "secretsmanager:")) for a in sms)
    index = _actions(future, "index-events")
    assert "dynamodb:GetRecords" in index and not any(a.startswith(("sns:", "states:", "s3:")) for a in index)
    log = _actions(future, "ticket-events-log")
    assert not any(a.startswith(("dynamodb:", "secretsmanager:", "sns:")) for a in log)


def test_new_resources_get_their_alarms(future):
    names = {a["Properties"]["AlarmName"] for a in future.find_resources("AWS::CloudWatch::Alarm").values()}
    prefix = "haochaping-ningxia"
    for function in ("index-events", "tickets-events", "receipts", "audit-stream"):
        assert f"{prefix}-{function}-Fault-Count-Critical" in names
        if function != "receipts":
            assert f"{prefix}-{function}-Iterator-Age-Max-Critical" in names
    for queue in ("sms-receipts", "ticket-tasks", "sms-notifications"):
        assert f"{prefix}-{queue}-DLQ-Queue-Message-Count-Max-Critical" in names
        assert f"{prefix}-{queue}-Queue-Message-Age-Max-Warning" in names
    assert any(n.startswith(f"{prefix}-ticket-") and "Fail" in n for n in names)
    assert any(
        n.startswith(f"{prefix}-ticket-") and "Timeout" in n.replace("TimedOut", "Timeout") for n in names
    )


os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
