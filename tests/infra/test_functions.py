"""Every function of the topology: arm64, Python 3.12, its own role granted what it needs, its own log
group kept at least 180 days; China without X-Ray; partition-aware ARNs."""

from __future__ import annotations

import json

import pytest

from infra import topology
from infra.constructs.functions import deployed_functions
from infra.provinces import DEPLOYMENTS


def _functions(template):
    return {
        f["Properties"]["FunctionName"]: (logical_id, f["Properties"])
        for logical_id, f in template.find_resources("AWS::Lambda::Function").items()
    }


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_each_topology_function_and_the_authorizer_runs_on_arm64_python312_with_its_own_role(
    synthesized, province
):
    functions = _functions(synthesized.templates[province])
    expected = {f"haochaping-{province}-{f.name}" for f in deployed_functions()} | {
        f"haochaping-{province}-authorizer",
    }
    assert set(functions) == expected
    roles = [props["Role"]["Fn::GetAtt"][0] for _, props in functions.values()]
    assert len(set(roles)) == len(roles)  # one role each
    for _, props in functions.values():
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.12"


def test_handlers_are_the_topologys_references(template):
    handlers = {props["Handler"] for _, props in _functions(template).values()}
    for function in topology.HTTP_FUNCTIONS:
        assert function.app.replace(":", ".") in handlers
    assert topology.AUTHORIZER.replace(":", ".") in handlers


def test_the_rate_function_may_write_its_tables_queue_its_jobs_and_read_its_secret_and_nothing_else(
    template, synthesized
):
    logical_id, props = _functions(template)["haochaping-guizhou-rate"]
    env = props["Environment"]["Variables"]
    for name in ("RATINGS_TABLE", "CASES_TABLE", "DIRECTORY_TABLE", "PERSONAL_DATA_SECRET_ARN"):
        assert name in env
    # The province's configuration is a file of the code asset (the environment's 4 KB would not hold it)
    assert "PROVINCE_CONFIG" not in env
    assert env["PROVINCE_CONFIG_FILE"] == "/var/task/province.json"
    asset = synthesized.outdir / f"asset.{props['Code']['S3Key'].removesuffix('.zip')}"
    assert json.loads((asset / "province.json").read_text(encoding="utf-8"))["code"] == "520000000000"
    assert props["ReservedConcurrentExecutions"] == 200
    role = props["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"dynamodb:PutItem", "dynamodb:GetItem", "secretsmanager:GetSecretValue"} <= actions
    assert not any(a.startswith(("sns:", "states:", "s3:")) for a in actions)
    assert {a for a in actions if a.startswith("sqs:")} <= {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    for statement in statements:
        assert statement["Resource"] != "*" or statement["Action"][0].startswith("xray:")


def test_the_authorizer_touches_no_data(template):
    _, props = _functions(template)["haochaping-guizhou-authorizer"]
    role = props["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (console_key,) = [i for i in template.find_resources("AWS::SecretsManager::Secret") if "ConsoleKey" in i]
    (own_key,) = [i for i in template.find_resources("AWS::KMS::Key") if "ConsoleKeyEncryption" in i]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.startswith("dynamodb:") for a in actions)
        if any(a.startswith("kms:") for a in actions):
            # Only the console secret's own key, to decrypt it: never a data key.
            assert statement["Resource"] == {"Fn::GetAtt": [own_key, "Arn"]}
            assert set(actions) == {"kms:Decrypt"}
        if any(a.startswith("secretsmanager:") for a in actions):
            # Only the console plan's key (people's usageIdentifierKey), read-only.
            assert statement["Resource"] == {"Ref": console_key}
            assert set(actions) <= {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_every_log_group_is_kept_at_least_180_days(synthesized, province):
    groups = synthesized.templates[province].find_resources("AWS::Logs::LogGroup")
    assert len(groups) >= len(deployed_functions()) + 2  # functions, authorizer, API access logs
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] >= 180
        assert group["DeletionPolicy"] == "Retain"
    for _, props in _functions(synthesized.templates[province]).values():
        assert "LoggingConfig" in props  # each function writes to its own group above


def test_x_ray_where_the_partition_has_it_and_not_in_china(template, china):
    for _, props in _functions(template).values():
        assert props["TracingConfig"] == {"Mode": "Active"}
    for _, props in _functions(china).values():
        assert props.get("TracingConfig", {"Mode": "PassThrough"}) == {"Mode": "PassThrough"}


def test_no_arn_hard_codes_a_partition(synthesized):
    for province in DEPLOYMENTS:
        text = synthesized.template_file(province).read_text(encoding="utf-8")
        assert "arn:aws:" not in text and "arn:aws-cn:" not in text


def test_stacks_are_pinned_to_their_account_and_region(synthesized):
    for province, deploy in DEPLOYMENTS.items():
        stack = synthesized.stacks[province]
        assert (stack.account, stack.region) == (deploy.account, deploy.region)
    assert DEPLOYMENTS["ningxia"].partition == "aws-cn" and DEPLOYMENTS["ningxia"].region.startswith("cn-")


def test_topics_queues_secrets_and_buckets_are_encrypted_and_refuse_plain_http(template):
    for topic in template.find_resources("AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in topic["Properties"]
    for queue in template.find_resources("AWS::SQS::Queue").values():
        assert "KmsMasterKeyId" in queue["Properties"]
    for secret in template.find_resources("AWS::SecretsManager::Secret").values():
        assert "KmsKeyId" in secret["Properties"] and "SecretString" not in secret["Properties"]
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy")
        for p in template.find_resources(kind).values()
    ]
    for statements in policies:
        assert any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )


def test_the_evidence_bucket_is_versioned_private_and_encrypted_with_the_province_key(template):
    buckets = template.find_resources("AWS::S3::Bucket")
    (evidence,) = [b["Properties"] for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert evidence["VersioningConfiguration"] == {"Status": "Enabled"}
    assert evidence["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = evidence["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"


def _named(template, kind, name_property, name):
    (logical_id,) = [
        logical_id
        for logical_id, r in template.find_resources(kind).items()
        if r["Properties"].get(name_property) == name
    ]
    return logical_id


def _policy_statements(template, role):
    return [
        s
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("province", sorted(DEPLOYMENTS))
def test_two_way_sms_replies_reach_the_inbound_handler_through_a_lambda_subscription_with_a_dlq(
    synthesized, province
):
    from aws_cdk.assertions import Match

    template = synthesized.templates[province]
    prefix = f"haochaping-{province}"
    topic = _named(template, "AWS::SNS::Topic", "TopicName", f"{prefix}-sms-inbound")
    dlq = _named(template, "AWS::SQS::Queue", "QueueName", f"{prefix}-sms-dlq")
    fn_id, props = _functions(template)[f"{prefix}-sms-inbound"]
    assert props["Handler"] == "functions.sms.handlers.inbound"

    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "lambda",
            "TopicArn": {"Ref": topic},
            "Endpoint": {"Fn::GetAtt": [fn_id, "Arn"]},
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]}},
        },
    )
    # Only this topic may invoke it ...
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [fn_id, "Arn"]},
            "Principal": "sns.amazonaws.com",
            "SourceArn": {"Ref": topic},
        },
    )
    # ... only this topic may drop what it cannot deliver into the DLQ ...
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": dlq}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sqs:SendMessage",
                                "Effect": "Allow",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}},
                            }
                        )
                    ]
                )
            },
        },
    )
    # ... and what the function still fails after Lambda's retries lands there too.
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": fn_id},
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [dlq, "Arn"]}}},
        },
    )
    # Least privilege: the inbound function sends to that DLQ only, publishes texts only to sms-outbound,
    # and is no stream or queue consumer (no event-source mapping).
    statements = _policy_statements(template, props["Role"]["Fn::GetAtt"][0])
    sqs_resources = [
        s["Resource"] for s in statements if any(a.startswith("sqs:") for a in _as_list(s["Action"]))
    ]
    assert sqs_resources == [{"Fn::GetAtt": [dlq, "Arn"]}]
    outbound = _named(template, "AWS::SNS::Topic", "TopicName", f"{prefix}-sms-outbound")
    sns_resources = [
        s["Resource"] for s in statements if any(a.startswith("sns:") for a in _as_list(s["Action"]))
    ]
    assert sns_resources == [{"Ref": outbound}]
    assert not [
        m
        for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]


def test_the_china_sender_reads_the_gateway_key_from_its_secret_never_from_the_environment(china):
    secret = _named(china, "AWS::SecretsManager::Secret", "Name", "haochaping-ningxia/sms-provider-key")
    _, props = _functions(china)["haochaping-ningxia-sms-sender"]
    env = props["Environment"]["Variables"]
    assert env["SMS_PROVIDER"] == "http" and env["SMS_PROVIDER_URL"].startswith("https://")
    assert env["SMS_PROVIDER_KEY_SECRET_ARN"] == {"Ref": secret}
    statements = _policy_statements(china, props["Role"]["Fn::GetAtt"][0])
    granted = [s["Resource"] for s in statements if "secretsmanager:GetSecretValue" in _as_list(s["Action"])]
    assert {"Ref": secret} in granted
    # No plain key anywhere in any function's environment.
    for _, fn in _functions(china).values():
        assert "SMS_PROVIDER_KEY" not in fn.get("Environment", {}).get("Variables", {})


def test_only_the_two_way_sms_service_of_this_account_may_publish_replies_where_it_exists(template, china):
    from aws_cdk.assertions import Match

    topic = _named(template, "AWS::SNS::Topic", "TopicName", "haochaping-guizhou-sms-inbound")
    same_account = {"StringEquals": {"aws:SourceAccount": DEPLOYMENTS["guizhou"].account}}
    publish = Match.object_like(
        {
            "Action": "sns:Publish",
            "Effect": "Allow",
            "Principal": {"Service": "sms-voice.amazonaws.com"},
            "Resource": {"Ref": topic},
            "Condition": same_account,
        }
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {"Topics": [{"Ref": topic}], "PolicyDocument": {"Statement": Match.array_with([publish])}},
    )
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Principal": {"Service": "sms-voice.amazonaws.com"}, "Condition": same_account}
                        )
                    ]
                )
            }
        },
    )
    # China has no SNS SMS: no outside service may publish there.
    assert "sms-voice.amazonaws.com" not in json.dumps(china.to_json())
