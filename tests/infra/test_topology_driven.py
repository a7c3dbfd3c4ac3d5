"""Whatever lands in the topology later deploys by being there alone: a stack synthesized from a
topology with stream and queue consumers, a subscription and a state machine (what the tickets, index
and sms functions will add) gets their functions, mappings, roles, queues, machine and alarms, and
still passes cdk-nag."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infra import topology
from infra.topology import EventSource, Needs, StateMachine, Subscription

ASL = Path(__file__).parent / "fixtures" / "workflow.asl.json"
HANDLER = "functions.rate.app:app"  # any importable handler: these tests never run the code


@pytest.fixture(scope="module")
def future(tmp_path_factory):
    from aws_cdk.assertions import Template

    from infra.app import build_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAOCHAPING_BUNDLE", "source")
        patch.setattr(topology, "TOPICS", (*topology.TOPICS, "ticket-events"))
        patch.setattr(topology, "QUEUES", (*topology.QUEUES, "sms-notifications", "ticket-tasks"))
        patch.setattr(topology, "SUBSCRIPTIONS", (Subscription("ticket-events", "sms-notifications"),))
        patch.setattr(
            topology,
            "EVENT_SOURCES",
            (
                EventSource(
                    "index", HANDLER, "dynamodb-stream", "ratings", batch_size=500, max_retry_attempts=5
                ),
                EventSource(
                    "tickets", HANDLER, "dynamodb-stream", "ratings", needs=Needs(starts=("ticket",))
                ),
                EventSource(
                    "sms", HANDLER, "sqs", "sms-notifications", batch_size=10, needs=Needs(reads=("cases",))
                ),
            ),
        )
        patch.setattr(
            topology,
            "STATE_MACHINES",
            (
                StateMachine(
                    "ticket",
                    str(ASL),
                    needs=Needs(writes=("ratings",), publishes=("ticket-events",), sends=("ticket-tasks",)),
                ),
            ),
        )
        app = build_app(outdir=str(tmp_path_factory.mktemp("future")), provinces=["ningxia"], nag=True)
        app.synth()
        return Template.from_stack(app.node.find_child("haochaping-ningxia"))


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
    for name, batch, retries in (("index", 500, 5), ("tickets", 100, 3)):
        logical_id, _ = _function(future, name)
        (mapping,) = [
            m["Properties"]
            for m in mappings.values()
            if m["Properties"]["FunctionName"] == {"Ref": logical_id}
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
    logical_id, fn = _function(future, "sms")
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
        if q["Properties"]["QueueName"] == "haochaping-ningxia-sms-notifications"
    ]
    assert queue["VisibilityTimeout"] >= 6 * fn["Properties"]["Timeout"]
    assert "RedrivePolicy" in queue


def test_the_subscription_delivers_raw_messages_to_the_queue(future):
    subscriptions = [
        s["Properties"]
        for s in future.find_resources("AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "sqs"
    ]
    assert len(subscriptions) == 1 and subscriptions[0]["RawMessageDelivery"] is True


def test_the_state_machine_is_the_asl_file_with_its_placeholders_filled_its_own_role_and_logs(future):
    (machine,) = future.find_resources("AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    substitutions = props["DefinitionSubstitutions"]
    assert set(substitutions) >= {"RatingsTable", "TicketEventsTopicArn", "TicketTasksQueueUrl", "Partition"}
    assert substitutions["Partition"] == {"Ref": "AWS::Partition"}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert props.get("TracingConfiguration", {}).get("Enabled") in (None, False)  # no X-Ray in aws-cn
    role = props["RoleArn"]["Fn::GetAtt"][0]
    lambda_roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in future.find_resources("AWS::Lambda::Function").values()
    }
    assert role not in lambda_roles


def test_grants_follow_needs_only(future):
    def actions_of(function_name):
        _, fn = _function(future, function_name)
        role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
        policies = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in future.find_resources("AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ]
        return {
            a
            for statements in policies
            for s in statements
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        }

    tickets = actions_of("tickets")
    assert "states:StartExecution" in tickets and "states:SendTaskSuccess" in tickets
    assert not any(
        a.startswith("dynamodb:PutItem") for a in tickets
    )  # the stream is read, the table not written
    sms = actions_of("sms")
    assert "dynamodb:GetItem" in sms and "dynamodb:PutItem" not in sms
    assert not any(a.startswith("states:") for a in sms)
    index = actions_of("index")
    assert "dynamodb:GetRecords" in index and not any(a.startswith("sns:") for a in index)


def test_new_resources_get_their_alarms(future):
    names = {a["Properties"]["AlarmName"] for a in future.find_resources("AWS::CloudWatch::Alarm").values()}
    prefix = "haochaping-ningxia"
    for function in ("index", "tickets", "sms"):
        assert f"{prefix}-{function}-Fault-Count-Critical" in names
    assert any(n.startswith(f"{prefix}-index-") and "Iterator" in n for n in names)
    for queue in ("sms-notifications", "ticket-tasks"):
        assert f"{prefix}-{queue}-DLQ-Queue-Message-Count-Max-Critical" in names
        assert f"{prefix}-{queue}-Queue-Message-Age-Max-Warning" in names
    assert any(n.startswith(f"{prefix}-ticket-") and "Fail" in n for n in names)
    assert any(
        n.startswith(f"{prefix}-ticket-") and "Timeout" in n.replace("TimedOut", "Timeout") for n in names
    )


os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
