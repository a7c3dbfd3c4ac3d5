"""The operators' view of a province: one dashboard and the alarms, every alarm to one SNS topic whose
subscribers the province config names.

Built with cdk-monitoring-constructs' MonitoringFacade rather than hand-written alarms: each
`monitor_*` call gives the dashboard widgets and the alarms of one resource with the metric names,
statistics and periods that resource publishes, so adding a function or queue to the topology adds its
alarms by the same loop, and the thresholds are all that is ours to choose."""

from __future__ import annotations

import json
from collections.abc import Mapping

import cdk_monitoring_constructs as mc
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.provinces.deploy import PARTITIONS, DeployConfig

NAMESPACE = "Haochaping"
# One per stage that went overdue: counted from the ticket-events log (the state machine publishes an
# `escalated` event when a stage's deadline passes; functions/tickets/events.py logs each event), no
# dimension.
TICKET_OVERDUE = "TicketOverdue"
EXPORT_UNACKNOWLEDGED = "ExportUnacknowledged"
# The line functions/export/handlers.py logs for a day with records unacknowledged after T+1.
EXPORT_UNACKNOWLEDGED_LOG = "export unacknowledged after T+1"
# Derived from the rate function's "rating accepted" log line (which carries `good`), without dimension:
# the ratio of the two is the province's bad rate.
# One per execution that entered a Fail state, from the state machine's own log (`FailStateEntered`
# events are logged at level ALL, without execution data): the ticket ASL's only Fail state is
# `Stalled`, entered when a service call still failed after its retries.
TICKET_STALLED = "TicketStalled"
RESUME_COMMAND = "python -m functions.tickets.resume <ticket_id>"
RATINGS_ALL = "RatingsAll"
RATINGS_BAD = "RatingsBad"


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        prefix: str,
        deploy: DeployConfig,
        key: kms.IKey,
        api: apigateway.RestApi,
        functions: Mapping[str, lambda_.Function],
        stream_consumers: list[str],
        timeouts: Mapping[str, int],
        failure_queues: Mapping[str, sqs.IQueue],
        work_queues: Mapping[str, tuple[sqs.IQueue, sqs.IQueue]],
        machines: Mapping[str, sfn.IStateMachine],
        rating_log_group: logs.ILogGroup | None,
        ticket_events_log_group: logs.ILogGroup | None = None,
        machine_log_groups: Mapping[str, logs.ILogGroup] | None = None,
        export_log_group: logs.ILogGroup | None = None,
    ) -> None:
        super().__init__(scope, cid)
        self._machine_log_groups = dict(machine_log_groups or {})
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", topic_name=f"{prefix}-alarms", master_key=key, enforce_ssl=True
        )
        for address in deploy.alarm_emails:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(address))

        self.facade = mc.MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=mc.AlarmFactoryDefaults(
                # Each alarm's description links the alarms page of the stack's own partition's console
                # (console.amazonaws.cn for China accounts, which cannot sign in to the global one).
                documentation_link=deploy.facts.console_url(deploy.region, "cloudwatch/home#alarmsV2:"),
                actions_enabled=True,
                alarm_name_prefix=prefix,
                action=mc.SnsAlarmActionStrategy(on_alarm_topic=self.alarm_topic),
                datapoints_to_alarm=1,
                evaluation_periods=1,
            ),
            metric_factory_defaults=mc.MetricFactoryDefaults(),
            dashboard_factory=mc.DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=prefix,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )
        facade = self.facade
        facade.add_large_header(f"{prefix}: 政务服务好差评")
        console = deploy.facts.console_url
        facade.add_widget(
            cloudwatch.TextWidget(
                markdown=" · ".join(
                    f"[{label}]({console(deploy.region, path)})"
                    for label, path in (
                        ("alarms", "cloudwatch/home#alarmsV2:"),
                        ("ticket executions", "states/home#/statemachines"),
                        ("logs", "cloudwatch/home#logsV2:log-groups"),
                        ("tables", "dynamodbv2/home#tables"),
                        ("dead-letter queues", "sqs/v3/home#/queues"),
                    )
                ),
                width=24,
                height=1,
            )
        )
        facade.monitor_api_gateway(
            api=api,
            api_stage=deploy.stage_name,
            alarm_friendly_name="api",
            add5_xx_fault_count_alarm={"Critical": mc.ErrorCountThreshold(max_error_count=5)},
            add_latency_p99_alarm={
                "Warning": mc.LatencyThreshold(max_latency=Duration.millis(deploy.api_latency_p99_ms))
            },
        )
        for name, fn in functions.items():
            iterator = name in stream_consumers
            facade.monitor_lambda_function(
                lambda_function=fn,
                alarm_friendly_name=name,
                add_fault_count_alarm={"Critical": mc.ErrorCountThreshold(max_error_count=1)},
                add_throttles_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=1)},
                # Duration near the timeout: the function is about to be cut off.
                add_latency_p99_alarm={
                    "Warning": mc.LatencyThreshold(
                        max_latency=Duration.millis(int(timeouts[name] * 1000 * 0.8))
                    )
                },
                is_iterator=iterator,
                add_max_iterator_age_alarm=(
                    {"Critical": mc.MaxAgeThreshold(max_age_in_millis=15 * 60 * 1000)} if iterator else None
                ),
            )
        for name, queue in failure_queues.items():
            facade.monitor_sqs_queue(
                queue=queue,
                alarm_friendly_name=name,
                add_queue_max_size_alarm={"Critical": mc.MaxMessageCountThreshold(max_message_count=0)},
            )
        for name, (queue, dead_letters) in work_queues.items():
            facade.monitor_sqs_queue_with_dlq(
                queue=queue,
                dead_letter_queue=dead_letters,
                alarm_friendly_name=name,
                add_dead_letter_queue_max_size_alarm={
                    "Critical": mc.MaxMessageCountThreshold(max_message_count=0)
                },
                add_queue_max_message_age_alarm={
                    "Warning": mc.MaxMessageAgeThreshold(max_age_in_seconds=900)
                },
            )
        for name, machine in machines.items():
            facade.monitor_step_function(
                state_machine=machine,
                alarm_friendly_name=name,
                add_failed_execution_count_alarm={"Critical": mc.ErrorCountThreshold(max_error_count=0)},
                add_timed_out_execution_count_alarm={"Critical": mc.ErrorCountThreshold(max_error_count=0)},
                add_aborted_execution_count_alarm={"Warning": mc.ErrorCountThreshold(max_error_count=0)},
            )
        self._business(prefix, deploy, rating_log_group, ticket_events_log_group)
        if export_log_group is not None:
            self._export(export_log_group)
        self._console_links_of_partition(deploy)

    def _console_links_of_partition(self, deploy: DeployConfig) -> None:
        """cdk-monitoring-constructs links each widget to the global partition's console: in another
        partition the dashboards link its own (China accounts cannot sign in to the global console)."""
        own = deploy.facts.console_url(deploy.region, "").split("/?")[0]
        global_console = PARTITIONS["aws"].console_url(deploy.region, "").split("/?")[0]
        if own == global_console:
            return
        stack = Stack.of(self)
        for node in self.node.find_all():
            if isinstance(node, cloudwatch.CfnDashboard):
                body = json.dumps(stack.resolve(node.dashboard_body))
                fixed = body.replace(global_console, own).replace(
                    "https://console.aws.amazon.com", own.replace(f"{deploy.region}.", "", 1)
                )
                if fixed != body:
                    node.add_property_override("DashboardBody", json.loads(fixed))

    def _export(self, log_group: logs.ILogGroup) -> None:
        """A record unacknowledged after T+1 (the daily reconciliation logs each such day and target)."""
        logs.MetricFilter(
            self,
            "ExportUnacknowledgedFilter",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.literal(f'"{EXPORT_UNACKNOWLEDGED_LOG}"'),
            metric_namespace=NAMESPACE,
            metric_name=EXPORT_UNACKNOWLEDGED,
            metric_value="1",
            default_value=0,
        )
        unacknowledged = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=EXPORT_UNACKNOWLEDGED,
            statistic="Sum",
            period=Duration.hours(1),
            label="days with records unacknowledged after T+1",
        )
        self.facade.monitor_custom(
            alarm_friendly_name="export",
            human_readable_name="upward export",
            metric_groups=[
                mc.CustomMetricGroup(
                    title="Export",
                    metrics=[
                        mc.CustomMetricWithAlarm(
                            metric=unacknowledged,
                            alarm_friendly_name="export-unacknowledged",
                            add_alarm={
                                "Critical": mc.CustomThreshold(
                                    threshold=0,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                                )
                            },
                        )
                    ],
                )
            ],
        )

    def _log_count(
        self,
        metric_name: str,
        log_group: logs.ILogGroup | None,
        pattern: str,
        period: Duration,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """A metric without dimension counting the log lines that match `pattern` (no filter when the
        log group is absent: the metric then stays empty and never alarms)."""
        if log_group is not None:
            logs.MetricFilter(
                self,
                f"{metric_name}Filter",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(pattern),
                metric_namespace=NAMESPACE,
                metric_name=metric_name,
                metric_value="1",
                default_value=0,
            )
        return cloudwatch.Metric(
            namespace=NAMESPACE, metric_name=metric_name, statistic="Sum", period=period, label=label
        )

    def _business(
        self,
        prefix: str,
        deploy: DeployConfig,
        rating_log_group: logs.ILogGroup | None,
        ticket_events_log_group: logs.ILogGroup | None,
    ) -> None:
        overdue = self._log_count(
            TICKET_OVERDUE,
            ticket_events_log_group,
            '"ticket event" "escalated"',
            Duration.hours(1),
            "tickets overdue",
        )
        ticket_metrics: list[object] = [_any_alarm(overdue, "tickets-overdue", "Warning")]
        machine_log = self._machine_log_groups.get("ticket")
        if machine_log is not None:
            stalled = self._log_count(
                TICKET_STALLED,
                machine_log,
                '{ $.type = "FailStateEntered" }',
                Duration.minutes(5),
                "tickets stalled",
            )
            ticket_metrics.append(
                _any_alarm(
                    stalled,
                    "tickets-stalled",
                    "Critical",
                    "A ticket's workflow stopped: a DynamoDB, SNS or SQS call still failed after its "
                    "retries. The ticket shows `stalled` (GET /v1/tickets/{id}); once the cause is fixed, "
                    f"run `{RESUME_COMMAND}` (README, A ticket's closed loop).",
                )
            )
        groups = [mc.CustomMetricGroup(title="Tickets", metrics=ticket_metrics)]
        if rating_log_group is not None:
            hour = Duration.hours(1)
            everything = self._log_count(
                RATINGS_ALL, rating_log_group, '{ $.message = "rating accepted" }', hour
            )
            bad = self._log_count(
                RATINGS_BAD,
                rating_log_group,
                '{ ($.message = "rating accepted") && ($.good IS FALSE) }',
                hour,
            )
            # The share of bad ratings in the hour, counted only when there are enough ratings to mean
            # something (otherwise 0, which never alarms).
            bad_rate = cloudwatch.MathExpression(
                expression=f"IF(total >= {deploy.bad_rate_min_ratings}, bad / total, 0)",
                using_metrics={"bad": bad, "total": everything},
                period=hour,
                label="bad-rating share",
            )
            groups.append(
                mc.CustomMetricGroup(
                    title="Ratings",
                    metrics=[
                        everything,
                        bad,
                        mc.CustomMetricWithAlarm(
                            metric=bad_rate,
                            alarm_friendly_name="bad-rate-spike",
                            add_alarm={
                                "Warning": mc.CustomThreshold(
                                    threshold=deploy.bad_rate_spike_ratio,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                                )
                            },
                        ),
                    ],
                )
            )
        self.facade.monitor_custom(
            alarm_friendly_name="province",
            human_readable_name=f"{prefix}: tickets and ratings",
            metric_groups=groups,
        )


def _any_alarm(
    metric: cloudwatch.Metric, name: str, severity: str, description: str | None = None
) -> mc.CustomMetricWithAlarm:
    """An alarm on any count above zero in a period (no data: not breaching)."""
    return mc.CustomMetricWithAlarm(
        metric=metric,
        alarm_friendly_name=name,
        add_alarm={
            severity: mc.CustomThreshold(
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                additional_description=description,
            )
        },
    )
