"""Topics, queues, subscriptions, buckets and secrets of a province's stack, every one from the topology
(infra/topology.py), none named twice. All encrypted with the province's key, all refusing plain HTTP."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import topology
from infra.naming import construct_id

# A message that failed this many receives moves to the queue's dead-letter queue.
MAX_RECEIVES = 5
# What an operator has to look at a failed record before it is gone.
RETENTION = Duration.days(14)


class Messaging(Construct):
    def __init__(
        self, scope: Construct, cid: str, *, prefix: str, key: kms.IKey, sns_sms: bool = False
    ) -> None:
        super().__init__(scope, cid)
        self.prefix = prefix
        # SNS delivers to encrypted queues, and CloudWatch alarms publish to the encrypted alarm topic,
        # only when the key lets those services use it: on behalf of this account's topics and alarms
        # of this stack alone (aws:SourceAccount, and aws:SourceArn by the stack's name prefix: an ARN
        # pattern, not a reference, which would make the key depend on the topics it encrypts).
        stack = Stack.of(self)
        for service, source in (
            ("sns.amazonaws.com", stack.format_arn(service="sns", resource=f"{prefix}-*")),
            (
                "cloudwatch.amazonaws.com",
                stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=f"{prefix}-*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
            ),
        ):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": source},
                    },
                )
            )
        self.topics: dict[str, sns.Topic] = {
            name: sns.Topic(
                self,
                construct_id(name, "Topic"),
                topic_name=f"{prefix}-{name}",
                master_key=key,
                enforce_ssl=True,
            )
            for name in topology.TOPICS
        }
        if sns_sms:
            # The two-way SMS service publishes replies to its topic (encrypted: it needs the key too),
            # on behalf of this account only.
            same_account = {"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            for name, service in topology.SERVICE_PUBLISHERS.items():
                publisher = iam.ServicePrincipal(service)
                self.topics[name].add_to_resource_policy(
                    iam.PolicyStatement(
                        principals=[publisher],
                        actions=["sns:Publish"],
                        resources=[self.topics[name].topic_arn],
                        conditions=same_account,
                    )
                )
                key.add_to_resource_policy(
                    iam.PolicyStatement(
                        principals=[publisher],
                        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                        resources=["*"],
                        conditions=same_account,
                    )
                )
        self.queues: dict[str, sqs.Queue] = {}
        # queue → its dead-letter queue: the topology's DEAD_LETTERS where it names one (a shared DLQ
        # is a queue of the topology too), else a `<queue>-dlq` of its own.
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        named = dict(getattr(topology, "DEAD_LETTERS", {}))
        shared = {dlq for dlq, _ in named.values()}
        for name in sorted(shared):
            self.queues[name] = self._plain(name, key)
        for name in topology.QUEUES:
            if name in shared:
                continue
            if name in named:
                dlq_name, receives = named[name]
                dead_letters = self.queues[dlq_name]
            else:
                dlq_name, receives = f"{name}-dlq", MAX_RECEIVES
                dead_letters = self._plain(dlq_name, key)
            self.dead_letter_queues[name] = dead_letters
            self.queues[name] = self._queue(name, key, dead_letters, receives)
        # Queues that only receive what failed elsewhere (no dead-letter queue of their own).
        self.dead_letter_only: dict[str, sqs.Queue] = {
            **{name: self.queues[name] for name in sorted(shared)},
            **{f"{name}-dlq": dlq for name, dlq in self.dead_letter_queues.items() if name not in named},
        }
        # What the stream mappings could not process: any message there is for an operator. (Work
        # queues' dead letters are watched with their queue, below.)
        self.failure_queues: dict[str, sqs.Queue] = {
            topology.STREAM_FAILURE_QUEUE: self.queues[topology.STREAM_FAILURE_QUEUE],
            f"{topology.STREAM_FAILURE_QUEUE}-dlq": self.dead_letter_queues[topology.STREAM_FAILURE_QUEUE],
        }
        self.work_queues: dict[str, tuple[sqs.Queue, sqs.Queue]] = {
            name: (self.queues[name], self.dead_letter_queues[name])
            for name in topology.QUEUES
            if name not in shared and name != topology.STREAM_FAILURE_QUEUE
        }
        for link in topology.SUBSCRIPTIONS:
            self.topics[link.topic].add_subscription(
                subscriptions.SqsSubscription(self.queues[link.queue], raw_message_delivery=True)
            )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logs can only be delivered to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            # Versioned (a deleted log stays recoverable for a while), so old versions must expire too,
            # or the bucket keeps every overwritten and deleted log forever.
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(400),
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )
        self.buckets: dict[str, s3.Bucket] = {
            name: s3.Bucket(
                self,
                construct_id(name, "Bucket"),
                encryption=s3.BucketEncryption.KMS,
                encryption_key=key,
                bucket_key_enabled=True,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{name}/",
                removal_policy=RemovalPolicy.RETAIN,
                # The console's page uploads evidence straight to its pre-signed URLs (another origin):
                # the signature, not the origin, is what authorises a write.
                cors=[
                    s3.CorsRule(
                        allowed_methods=[s3.HttpMethods.PUT, s3.HttpMethods.POST],
                        allowed_origins=["*"],
                        allowed_headers=["*"],
                        max_age=3000,
                    )
                ],
            )
            for name in topology.BUCKETS
        }
        self.secrets: dict[str, secretsmanager.Secret] = {
            name: secretsmanager.Secret(
                self,
                construct_id(name, "Secret"),
                secret_name=f"{prefix}/{name}",
                description=f"{prefix}: {name} (generated at deploy time, 48 bytes of randomness)",
                encryption_key=key,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=64, exclude_punctuation=True, include_space=False
                ),
                removal_policy=RemovalPolicy.RETAIN,
            )
            for name in topology.SECRETS
        }

    def _plain(self, name: str, key: kms.IKey) -> sqs.Queue:
        """A dead-letter queue: kept 14 days, no dead-letter queue of its own."""
        return sqs.Queue(
            self,
            construct_id(name, "DeadLetterQueue"),
            queue_name=f"{self.prefix}-{name}",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=RETENTION,
        )

    def _queue(self, name: str, key: kms.IKey, dead_letters: sqs.IQueue, receives: int) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id(name, "Queue"),
            queue_name=f"{self.prefix}-{name}",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=RETENTION,
            # Lambda's advice: six times the consumer's timeout, so a batch in flight is not redelivered.
            visibility_timeout=Duration.seconds(6 * _consumer_timeout(name)),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=receives, queue=dead_letters),
        )


def _consumer_timeout(queue: str) -> int:
    timeouts = [
        source.sizing.timeout_seconds
        for source in topology.EVENT_SOURCES
        if source.kind == "sqs" and source.source == queue
    ]
    return max(timeouts, default=30)
