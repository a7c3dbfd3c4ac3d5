"""Least privilege, read from the synthesized templates of both partitions and compared with the
topology that wires each function (infra/topology.py `needs`, topology.TABLE_ACTIONS) and with the
ASL the state machine runs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from functions.core.storage.tables import TABLES
from infra import topology
from infra.constructs.functions import deployed_functions
from infra.constructs.workflow import machine_actions
from infra.provinces import DEPLOYMENTS

PROVINCES = sorted(DEPLOYMENTS)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_statements(template: Any, role: str) -> list[dict[str, Any]]:
    return [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _function_roles(template: Any, province: str) -> dict[str, str]:
    prefix = f"haochaping-{province}-"
    return {
        f["Properties"]["FunctionName"].removeprefix(prefix): f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["FunctionName"].startswith(prefix)
    }


def _tables(template: Any, province: str) -> dict[str, str]:
    """table logical id in the template → the table's logical name in the specs."""
    by_name = {spec.physical_name(f"haochaping-{province}"): spec.logical_name for spec in TABLES}
    return {
        logical_id: by_name[t["Properties"]["TableName"]]
        for logical_id, t in template.find_resources("AWS::DynamoDB::GlobalTable").items()
    }


def _dynamodb_grants(template: Any, province: str, role: str) -> dict[str, set[str]]:
    """table → the item actions the role may call on it (stream reads, which the event-source
    mapping needs, are not item actions and are left out)."""
    tables = _tables(template, province)
    found: dict[str, set[str]] = {}
    for statement in _role_statements(template, role):
        actions = {a for a in _as_list(statement["Action"]) if a.startswith("dynamodb:")}
        actions -= {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
        actions -= {"dynamodb:ListStreams"}
        if not actions:
            continue
        assert statement["Effect"] == "Allow"
        for logical_id in set(re.findall(r'"(Data[A-Za-z0-9]+)"', json.dumps(statement["Resource"]))):
            found.setdefault(tables[logical_id], set()).update(actions)
    return found


@pytest.mark.parametrize("province", PROVINCES)
def test_each_function_may_call_exactly_the_table_actions_its_topology_needs_name(synthesized, province):
    template = synthesized.templates[province]
    roles = _function_roles(template, province)
    for function in deployed_functions():
        granted = _dynamodb_grants(template, province, roles[function.name])
        assert granted == topology.table_actions(function.needs), function.name
    assert _dynamodb_grants(template, province, roles["authorizer"]) == {}


@pytest.mark.parametrize("province", PROVINCES)
def test_nothing_deletes_scans_or_batch_writes_where_nothing_does(synthesized, province):
    template = synthesized.templates[province]
    roles = _function_roles(template, province)
    where: dict[str, set[tuple[str, str]]] = {"DeleteItem": set(), "Scan": set(), "BatchWriteItem": set()}
    for function, role in roles.items():
        for table, actions in _dynamodb_grants(template, province, role).items():
            for action in where:
                if f"dynamodb:{action}" in actions:
                    where[action].add((function, table))
    # the directory-move lock released in a transaction; the tickets' open and listed scans; uploads
    # (and a device's pairing code, spent in the transaction that activates the device)
    assert where["DeleteItem"] == {("rate", "jobs"), ("rate-directory-jobs", "jobs"), ("devices", "devices")}
    assert where["Scan"] == {("tickets", "tickets"), ("tickets-events", "tickets")}
    assert where["BatchWriteItem"] == {("rate", "directory"), ("rate-directory-jobs", "directory")}
    # and the trail is put-only for everyone (store.py's promise, held by IAM)
    for role in roles.values():
        trail = _dynamodb_grants(template, province, role).get("ticket-trail", set())
        assert trail <= {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"}


@pytest.mark.parametrize("province", PROVINCES)
def test_the_state_machine_role_may_call_only_what_its_asl_calls(synthesized, province):
    template = synthesized.templates[province]
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    assert _dynamodb_grants(template, province, role) == {
        "tickets": {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    }
    (ticket,) = topology.STATE_MACHINES
    assert machine_actions(ticket) == {
        "table:tickets": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
        "topic:ticket-events": {"sns:Publish"},
        "queue:ticket-tasks": {"sqs:SendMessage"},
    }
    actions = {a for s in _role_statements(template, role) for a in _as_list(s["Action"])}
    assert {a for a in actions if a.split(":")[0] in ("sns", "sqs", "states", "s3", "secretsmanager")} <= {
        "sns:Publish",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }


def _secret_readers(template: Any, province: str, name: str) -> set[str]:
    (secret,) = [
        logical_id
        for logical_id, s in template.find_resources("AWS::SecretsManager::Secret").items()
        if s["Properties"].get("Name") == f"haochaping-{province}/{name}"
    ]
    return {
        function
        for function, role in _function_roles(template, province).items()
        for s in _role_statements(template, role)
        if "secretsmanager:GetSecretValue" in _as_list(s["Action"])
        and {"Ref": secret} in _as_list(s["Resource"])
    }


@pytest.mark.parametrize("province", PROVINCES)
def test_the_gateway_key_is_the_senders_alone_and_the_personal_data_key_only_where_raters_data_is_sealed(
    synthesized, province
):
    template = synthesized.templates[province]
    assert _secret_readers(template, province, topology.SMS_PROVIDER_KEY) == {"sms-sender"}
    personal = {f.name for f in deployed_functions() if topology.PERSONAL in f.needs.secrets}
    assert _secret_readers(template, province, topology.PERSONAL) == personal
    assert not personal & {
        "index",
        "tickets",
        "tickets-events",
        "ticket-tasks",
        "ticket-events-log",
        "console",
    }
    assert not personal & {"index-events", "index-case-counts", "index-warnings"}


@pytest.mark.parametrize("province", PROVINCES)
def test_texting_phones_never_reaches_the_stacks_own_topics(synthesized, province):
    template = synthesized.templates[province]
    texting = {f.name for f in deployed_functions() if f.needs.texts_phones}
    for function, role in _function_roles(template, province).items():
        statements = _role_statements(template, role)
        wildcard = [
            s
            for s in statements
            if s["Effect"] == "Allow" and "sns:Publish" in _as_list(s["Action"]) and s["Resource"] == "*"
        ]
        if not wildcard:
            continue
        assert function in texting and DEPLOYMENTS[province].sns_sms
        (deny,) = [s for s in statements if s["Effect"] == "Deny"]
        assert _as_list(deny["Action"]) == ["sns:Publish"]
        assert (
            f":sns:{DEPLOYMENTS[province].region}:{DEPLOYMENTS[province].account}:haochaping-{province}-*"
            in json.dumps(deny["Resource"])
        )
        # every topic of the stack, the inbound one above all, falls under the denied pattern
        for t in template.find_resources("AWS::SNS::Topic").values():
            assert t["Properties"]["TopicName"].startswith(f"haochaping-{province}-")


def _key_statements(template: Any) -> list[dict[str, Any]]:
    return [
        s
        for k in template.find_resources("AWS::KMS::Key").values()
        for s in k["Properties"]["KeyPolicy"]["Statement"]
    ]


@pytest.mark.parametrize("province", PROVINCES)
def test_services_use_the_keys_only_on_behalf_of_this_account_and_its_resources(synthesized, province):
    template = synthesized.templates[province]
    account = DEPLOYMENTS[province].account
    services = [s for s in _key_statements(template) if "Service" in s.get("Principal", {})]
    assert services
    for statement in services:
        condition = statement.get("Condition", {})
        assert condition.get("StringEquals", {}).get("aws:SourceAccount") == account, statement
        if statement["Principal"]["Service"] in ("sns.amazonaws.com", "cloudwatch.amazonaws.com"):
            assert f"haochaping-{province}-*" in json.dumps(condition["ArnLike"]["aws:SourceArn"]), statement


@pytest.mark.parametrize("province", PROVINCES)
def test_the_access_log_bucket_expires_old_versions(synthesized, province):
    buckets = synthesized.templates[province].find_resources("AWS::S3::Bucket")
    (logs,) = [b for b in buckets.values() if "LoggingConfiguration" not in b["Properties"]]
    (rule,) = logs["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 90
    assert rule["ExpirationInDays"] == 400


_VIA_SERVICE = re.compile(r'"kms:ViaService": (\{.*?\]\]\}|"[^"]*")')


@pytest.mark.parametrize("province", PROVINCES)
def test_every_via_service_is_spelled_with_the_partitions_domain(synthesized, province):
    """kms:ViaService names a service endpoint: `<service>.<region>.amazonaws.com` in the global
    partition, `.amazonaws.com.cn` in China. Every value is built from AWS::URLSuffix, never a literal."""
    text = json.dumps(synthesized.templates[province].to_json())
    values = _VIA_SERVICE.findall(text)
    assert values
    for value in values:
        parsed = json.loads(value)
        assert isinstance(parsed, dict), f"a literal kms:ViaService: {value}"
        (parts,) = [p for p in parsed["Fn::Join"][1:]]
        assert parts[1:] == [{"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}], value
        assert parts[0] in {"dynamodb.", "secretsmanager.", "s3."}, value


# The service principals a stack may name, each checked for both partitions: in aws-cn these services
# are spelled `<service>.amazonaws.com` as in aws (the China spelling `.amazonaws.com.cn` belongs to
# older EC2-era principals none of which the stack uses). A new principal fails here until checked.
PRINCIPALS = {
    "aws": {
        "apigateway.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "lambda.amazonaws.com",
        "logging.s3.amazonaws.com",
        "sms-voice.amazonaws.com",  # two-way SMS: only where the partition has SNS SMS
        "sns.amazonaws.com",
        "states.amazonaws.com",
    },
    "aws-cn": {
        "apigateway.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "lambda.amazonaws.com",
        "logging.s3.amazonaws.com",
        "sns.amazonaws.com",
        "states.amazonaws.com",
    },
}


@pytest.mark.parametrize("province", PROVINCES)
def test_every_service_principal_is_one_checked_for_the_partition(synthesized, province):
    text = json.dumps(synthesized.templates[province].to_json())
    named: set[str] = set()
    for value in re.findall(r'"Service": (\[[^\]]*\]|"[^"]*")', text):
        parsed = json.loads(value)
        named.update(parsed if isinstance(parsed, list) else [parsed])
    assert named <= PRINCIPALS[DEPLOYMENTS[province].partition]
