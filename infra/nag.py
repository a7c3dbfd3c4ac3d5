"""cdk-nag's AwsSolutions findings this stack accepts, each with its reason, on the construct it concerns.

Every acknowledgment is computed from the same topology the resources are, so a new function's role
gets the same (and only the same) acknowledgments as the others; anything else cdk-nag finds fails the
synthesis (tests/infra/test_nag.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

if TYPE_CHECKING:
    from infra.stack import ProvinceStack

# rule → reason, one place, so the report lists them (tests/infra and the README read this).
REASONS: dict[str, str] = {
    "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]": (
        "CDK's grant on the province key for encrypted tables, queues and topics: writing needs a data "
        "key of either kind (with or without plaintext); the resource is the one key, not '*'."
    ),
    "AwsSolutions-IAM5[Action::kms:ReEncrypt*]": (
        "CDK's read-write grant on the province key: DynamoDB re-encrypts items under the table key; "
        "the resource is the one key, not '*'."
    ),
    "AwsSolutions-IAM5[index]": (
        "Queries on a table's global secondary indexes: the grant is to that table's indexes only "
        "(<table>/index/*), which is how IAM names them."
    ),
    "AwsSolutions-IAM5[sms]": (
        "SNS SMS: Publish to a phone number has no resource ARN; only the SMS sender function has it, and "
        "only in partitions with SNS SMS (China regions text through the province's gateway instead)."
    ),
    "AwsSolutions-IAM5[xray+sms]": (
        "Two actions without a resource ARN: X-Ray's PutTraceSegments/PutTelemetryRecords, and SNS SMS "
        "Publish to a phone number (this is the SMS sender, in a partition with SNS SMS)."
    ),
    "AwsSolutions-IAM5[xray]": (
        "X-Ray's PutTraceSegments/PutTelemetryRecords take no resource ARN; AWS documents '*' for them."
    ),
    "AwsSolutions-IAM5[log-delivery]": (
        "A state machine's role: CloudWatch Logs' delivery actions (CreateLogDelivery, "
        "PutResourcePolicy, DescribeLogGroups, ...) and, where tracing is on, X-Ray's PutTraceSegments "
        "take no resource ARN; AWS documents '*' for them."
    ),
    "AwsSolutions-IAM5[executions]": (
        "DescribeExecution on the executions of one state machine (<machine>:*): an execution's ARN is "
        "its machine's plus the execution name, which is the ticket's, known only at run time."
    ),
    "AwsSolutions-IAM5[uploads]": (
        "Presigned uploads of evidence: PutObject on the evidence bucket's objects (<bucket>/*, keys are "
        "ticket ids known only at run time) and Abort* to end a failed multipart upload; no read, no delete."
    ),
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]": (
        "API Gateway's account-level logging role: the AWS managed policy is the one AWS maintains for "
        "exactly this service role, and the role can be assumed only by API Gateway."
    ),
    "AwsSolutions-L1": (
        "Pinned to Python 3.12: the code asset's wheels (cp312, manylinux aarch64) and precompiled .pyc are "
        "built for it and `make bench` measures cold starts on it; moving runtime is a reviewed change of "
        "infra/bundle.py and this constant together, not an automatic one."
    ),
    "AwsSolutions-SMG4": (
        "The personal-data key seals raters' phones and names at rest; rotating it would leave every "
        "sealed value unreadable. Rotation is a procedure (new key version, re-seal, retire), in the "
        "README, not a scheduled Lambda."
    ),
    "AwsSolutions-COG4": (
        "No Cognito: China regions have none (DESIGN.md). People authenticate with JWTs from the "
        "province's identity provider, checked by the Lambda REQUEST authorizer against its JWKS; "
        "channels by API keys in per-kind usage plans; public routes are public by law (政务公开)."
    ),
    "AwsSolutions-APIG4[public]": (
        "A PUBLIC route (the OpenAPI document, the public disclosure page and its JSON): open by design, "
        "cached at the stage and rate-limited by the web ACL."
    ),
    "AwsSolutions-APIG4[channel]": (
        "A CHANNEL (or channel-or-person) route: callers are authenticated by an API key in their "
        "channel kind's usage plan (API Gateway checks it; throttle and quota per kind)."
    ),
    "AwsSolutions-APIG2": (
        "Path parameters are validated by API Gateway (a request validator on every method); bodies are "
        "validated by the function, which reports every problem at once in the contract's error shape "
        "(API.md) — a gateway model would answer in another shape. Body size is bounded by the web ACL."
    ),
    "AwsSolutions-S1": (
        "The bucket that receives the evidence bucket's server access logs: logging it into itself "
        "would loop."
    ),
    "AwsSolutions-SQS3": (
        "This queue is the dead-letter queue of another queue (or the stream's on-failure destination "
        "is watched by an alarm): a dead-letter queue of a dead-letter queue only hides failures."
    ),
    "AwsSolutions-SF2": (
        "X-Ray is not offered for this partition's Step Functions (China regions): executions are "
        "logged (level ALL, without execution data) instead."
    ),
}


def acknowledge(construct: IConstruct, rule: str, finding: str | None = None) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding or rule, reason=REASONS[rule]))


def suppress(stack: ProvinceStack) -> None:
    from infra.constructs.functions import deployed_functions

    texting = {f.name for f in deployed_functions() if f.needs.texts_phones}
    for name, fn in stack.functions.functions.items():
        role = fn.role
        assert isinstance(role, iam.Role), name
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is None:
            continue
        target = policy.node.default_child or policy
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(target, f"AwsSolutions-IAM5[Action::{action}]")
        _acknowledge_indexes(stack, target)
        texts = name in texting and stack.deploy.facts.sns_sms
        if stack.deploy.facts.xray_lambda and texts:
            acknowledge(target, "AwsSolutions-IAM5[xray+sms]", "AwsSolutions-IAM5[Resource::*]")
        elif stack.deploy.facts.xray_lambda:
            acknowledge(target, "AwsSolutions-IAM5[xray]", "AwsSolutions-IAM5[Resource::*]")
        elif texts:
            acknowledge(target, "AwsSolutions-IAM5[sms]", "AwsSolutions-IAM5[Resource::*]")
        for machine in stack.workflow.machines:
            arn = f"arn:<AWS::Partition>:states:{stack.region}:{stack.account}:execution:{stack.stack_name}-{machine}:*"
            acknowledge(target, "AwsSolutions-IAM5[executions]", f"AwsSolutions-IAM5[Resource::{arn}]")
        for bucket in stack.messaging.buckets.values():
            bucket_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                target, "AwsSolutions-IAM5[uploads]", f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]"
            )
            acknowledge(target, "AwsSolutions-IAM5[uploads]", "AwsSolutions-IAM5[Action::s3:Abort*]")
        acknowledge(fn, "AwsSolutions-L1")
    for machine in stack.workflow.machines.values():
        role = machine.role
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            target = policy.node.default_child or policy
            for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
                acknowledge(target, f"AwsSolutions-IAM5[Action::{action}]")
            _acknowledge_indexes(stack, target)
            acknowledge(target, "AwsSolutions-IAM5[log-delivery]", "AwsSolutions-IAM5[Resource::*]")
        if not stack.deploy.facts.xray_lambda:
            acknowledge(machine, "AwsSolutions-SF2")

    rule = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]"
    cloud_watch_role = stack.api.api.node.try_find_child("CloudWatchRole")
    if cloud_watch_role is not None:
        acknowledge(cloud_watch_role, rule)
    acknowledge(stack.api.api, "AwsSolutions-APIG2")
    for (_path, _method), method in stack.api.methods.items():
        acknowledge(method, "AwsSolutions-COG4")
    for route in stack.api.routes:
        method = stack.api.methods[(route.path, route.method)]
        if route.access == "public":
            acknowledge(method, "AwsSolutions-APIG4[public]", "AwsSolutions-APIG4")
        elif route.access in ("channel", "channel_or_person"):
            acknowledge(method, "AwsSolutions-APIG4[channel]", "AwsSolutions-APIG4")
    for secret in stack.messaging.secrets.values():
        acknowledge(secret, "AwsSolutions-SMG4")
    acknowledge(stack.messaging.access_logs, "AwsSolutions-S1")
    for queue in stack.messaging.failure_queues.values():
        acknowledge(queue, "AwsSolutions-SQS3")


def _acknowledge_indexes(stack: Stack, target: IConstruct) -> None:
    from infra.stack import ProvinceStack

    assert isinstance(stack, ProvinceStack)
    for table in stack.data.tables.values():
        table_id = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            target, "AwsSolutions-IAM5[index]", f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]"
        )
