"""What a province costs at list price: per million ratings, and a month at 500,000 ratings a day.

Measured here (the same code paths `make bench` measures): DynamoDB write and read units per rating of
the benchmark mix (tests.bench.dynamodb_cost's computation from the items the code sends), the rate
function's time per request in this process, and the share of bad ratings in the mix (each opens a
ticket). Read from the synthesized stack: the function's memory, the number of alarms, dashboards,
custom metrics, web ACL rules, the API cache, keys and secrets. Everything else is an assumption,
printed as one.

Prices: DESIGN.md's cost model (us-east-1, late 2026), and AWS's published list prices for the rest
(CloudWatch, WAF, API cache, KMS, Secrets Manager, SQS, X-Ray). China regions bill in CNY at other
prices: the figures are for comparing designs, not a quote.

Run alone: .venv/bin/python -m tests.bench.cost_model"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from functions.core.domain.channels import Channel
from tests.bench import dynamodb_cost
from tests.bench.figures import heading, line, note
from tests.bench.harness import CallRecorder, in_process_stack
from tests.bench.workload import RatingMix, demo_subjects, province

RATINGS_PER_DAY = 500_000
DAYS_PER_MONTH = 30
MIX_RATINGS = 200

# --- Prices (USD, us-east-1 list) -------------------------------------------------------------------
API_PER_MILLION = 3.50  # REST API requests
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_GB_SECOND_ARM = 0.0000133334
WRITE_UNIT_PER_MILLION = dynamodb_cost.DOLLARS_PER_MILLION_WRITE_UNITS
READ_UNIT_PER_MILLION = dynamodb_cost.DOLLARS_PER_MILLION_READ_UNITS
STATE_TRANSITION = 0.025 / 1000
SQS_PER_MILLION = 0.40
SNS_PUBLISH_PER_MILLION = 0.50
WAF_PER_MILLION = 0.60
WAF_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
API_CACHE_HOUR_05GB = 0.020
CUSTOM_METRIC_MONTH = 0.30
ALARM_METRIC_MONTH = 0.10
DASHBOARD_MONTH = 3.00
LOG_INGEST_PER_GB = 0.50
LOG_STORE_PER_GB_MONTH = 0.03
KMS_KEY_MONTH = 1.00
SECRET_MONTH = 0.40
XRAY_PER_MILLION_TRACES = 5.00

# --- Assumptions (not measured here) ----------------------------------------------------------------
DYNAMODB_ROUND_TRIP_S = 0.008  # per DynamoDB call inside the region, added to the in-process time
STREAM_BATCH = 100  # records per stream-consumer invocation at this rate (batch windows fill up)
STREAM_CONSUMERS = 2  # index and tickets read the ratings stream
CONSUMER_SECONDS_PER_BATCH = 0.5  # a consumer's billed time per batch of 100 (counters merged per batch)
CONSUMER_MEMORY_GB = 1.0
# Index counters: one UpdateItem per distinct (subject, day) in a batch; a hall's ratings share most
# of their paths, so a batch of 100 touches about this many counters per rating on average.
COUNTER_WRITES_PER_RATING = 3.0
# statemachines/ticket.asl.json: per stage Wait, Await, Route, NextStage (+3 when a reminder fires),
# three stages (contact, reply, revisit) and the end.
TRANSITIONS_PER_TICKET = 14
# The benchmark mix rates badly far more often than the public does; the month is also shown at this.
LOW_BAD_SHARE = 0.01
SQS_REQUESTS_PER_TICKET = 6  # task-token sends, receives and deletes
SNS_PUBLISHES_PER_TICKET = 3  # opened, replied, closed (reminders are rarer)
LOG_BYTES_PER_RATING = 700  # one JSON log line of the function + one access-log line
XRAY_SAMPLED_SHARE = 0.06  # the default rule: 1 request/s reservoir + 5 % of the rest


@dataclass(frozen=True)
class Measured:
    write_units: float
    read_units: float
    dynamodb_calls: float
    function_seconds: float
    bad_share: float


def measure() -> Measured:
    subjects = demo_subjects()
    with in_process_stack() as stack:
        recorder = CallRecorder(stack.client)
        stack.new_execution_environment()
        mix = RatingMix(subjects, province())
        costs, seconds, bad = [], [], 0
        for body in itertools.islice(mix, MIX_RATINGS):
            began = time.perf_counter()
            cost = dynamodb_cost.measure(stack, recorder, body)
            seconds.append(time.perf_counter() - began)
            costs.append(cost)
            bad += body["satisfaction"] <= 2
    operations = sum((c.operations for c in costs), Counter())
    return Measured(
        write_units=sum(c.write_units for c in costs) / len(costs),
        read_units=sum(dynamodb_cost.read_units(s) for c in costs for s in c.directory_reads) / len(costs),
        dynamodb_calls=sum(operations.values()) / len(costs),
        function_seconds=statistics.median(seconds),
        bad_share=bad / len(costs),
    )


@dataclass(frozen=True)
class Deployed:
    rate_memory_gb: float
    alarm_metrics: int
    dashboards: int
    waf_rules: int
    api_cache: bool
    keys: int
    secrets: int
    custom_metrics: int
    tracing: bool


def deployed(province_name: str = "guizhou") -> Deployed:
    """Counted from the synthesized stack (the fast code asset: the template is the same)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.environ["HAOCHAPING_BUNDLE"] = "source"
    from infra.app import build_app, stack_name

    with tempfile.TemporaryDirectory() as outdir:
        app = build_app(outdir=outdir, provinces=[province_name], nag=False)
        app.synth()
        template = json.loads((Path(outdir) / f"{stack_name(province_name)}.template.json").read_text())
    resources = template["Resources"].values()

    def of(kind: str) -> list[dict[str, Any]]:
        return [r["Properties"] for r in resources if r["Type"] == kind]

    rate = next(f for f in of("AWS::Lambda::Function") if f["FunctionName"].endswith("-rate"))
    alarm_metrics = sum(
        max(1, sum(1 for m in alarm.get("Metrics", []) if "MetricStat" in m))
        for alarm in of("AWS::CloudWatch::Alarm")
    )
    acls = of("AWS::WAFv2::WebACL")
    stages = of("AWS::ApiGateway::Stage")
    return Deployed(
        rate_memory_gb=rate["MemorySize"] / 1024,
        alarm_metrics=alarm_metrics,
        dashboards=len(of("AWS::CloudWatch::Dashboard")),
        waf_rules=sum(len(acl["Rules"]) for acl in acls),
        api_cache=any(stage.get("CacheClusterEnabled") for stage in stages),
        keys=len(of("AWS::KMS::Key")),
        secrets=len(of("AWS::SecretsManager::Secret")),
        # RatingAccepted by channel and polarity, the two log-derived rating metrics, TicketOverdue.
        custom_metrics=len(Channel) * 2 + len(of("AWS::Logs::MetricFilter")) + 1,
        tracing=rate.get("TracingConfig", {}).get("Mode") == "Active",
    )


def per_million(m: Measured, d: Deployed) -> dict[str, float]:
    """USD per million accepted ratings, by service."""
    billed_seconds = m.function_seconds + m.dynamodb_calls * DYNAMODB_ROUND_TRIP_S
    tickets = m.bad_share * 1_000_000
    consumer_batches = STREAM_CONSUMERS * 1_000_000 / STREAM_BATCH
    return {
        "API Gateway (REST)": API_PER_MILLION,
        "WAF requests": WAF_PER_MILLION,
        "Lambda requests (rate + stream batches)": LAMBDA_REQUEST_PER_MILLION * (1 + consumer_batches / 1e6),
        "Lambda duration (rate)": 1_000_000 * billed_seconds * d.rate_memory_gb * LAMBDA_GB_SECOND_ARM,
        "Lambda duration (stream consumers)": consumer_batches
        * CONSUMER_SECONDS_PER_BATCH
        * CONSUMER_MEMORY_GB
        * LAMBDA_GB_SECOND_ARM,
        "DynamoDB writes (rating, case claim)": m.write_units * WRITE_UNIT_PER_MILLION,
        "DynamoDB reads (directory, cold caches)": m.read_units * READ_UNIT_PER_MILLION,
        "DynamoDB writes (index counters)": COUNTER_WRITES_PER_RATING * WRITE_UNIT_PER_MILLION,
        "Step Functions (tickets)": tickets * TRANSITIONS_PER_TICKET * STATE_TRANSITION,
        "SQS + SNS (tickets)": tickets
        * (SQS_REQUESTS_PER_TICKET * SQS_PER_MILLION + SNS_PUBLISHES_PER_TICKET * SNS_PUBLISH_PER_MILLION)
        / 1e6,
        "CloudWatch Logs (ingest + a year kept)": LOG_BYTES_PER_RATING
        * 1_000_000
        / 1e9
        * (LOG_INGEST_PER_GB + 12 * LOG_STORE_PER_GB_MONTH),
        "X-Ray traces": (XRAY_SAMPLED_SHARE * XRAY_PER_MILLION_TRACES) if d.tracing else 0.0,
    }


def fixed_per_month(d: Deployed) -> dict[str, float]:
    return {
        "CloudWatch alarms": d.alarm_metrics * ALARM_METRIC_MONTH,
        "CloudWatch dashboard": d.dashboards * DASHBOARD_MONTH,
        "custom metrics": d.custom_metrics * CUSTOM_METRIC_MONTH,
        "WAF web ACL and rules": WAF_ACL_MONTH + d.waf_rules * WAF_RULE_MONTH if d.waf_rules else 0.0,
        "API cache (0.5 GB)": API_CACHE_HOUR_05GB * 24 * DAYS_PER_MONTH if d.api_cache else 0.0,
        "KMS key": d.keys * KMS_KEY_MONTH,
        "Secrets Manager": d.secrets * SECRET_MONTH,
    }


def main() -> None:
    heading("cost model: USD at list price (us-east-1) per million ratings and per month")
    m = measure()
    d = deployed()
    line("measured: DynamoDB write units", f"{m.write_units:.2f}", "WRU/rating", "benchmark mix, from cold")
    line("measured: DynamoDB read units", f"{m.read_units:.3f}", "RRU/rating")
    line("measured: DynamoDB calls", f"{m.dynamodb_calls:.2f}", "per rating")
    line("measured: rate function, in process", f"{m.function_seconds * 1000:.1f}", "ms median", "on moto")
    line("measured: bad ratings in the mix", f"{m.bad_share:.1%}", note="each opens a ticket")
    line("deployed: rate memory", f"{d.rate_memory_gb:.2f}", "GB")
    line(
        "deployed: alarm metrics / dashboards / WAF rules",
        f"{d.alarm_metrics} / {d.dashboards} / {d.waf_rules}",
    )
    variable = per_million(m, d)
    print()
    for name, dollars in sorted(variable.items(), key=lambda kv: -kv[1]):
        line(name, f"${dollars:,.2f}", "per million ratings")
    total = sum(variable.values())
    line("TOTAL per million ratings", f"${total:,.2f}")
    fixed = fixed_per_month(d)
    print()
    for name, dollars in fixed.items():
        line(name, f"${dollars:,.2f}", "per month")
    monthly_ratings = RATINGS_PER_DAY * DAYS_PER_MONTH
    month = total * monthly_ratings / 1e6 + sum(fixed.values())
    line(
        f"MONTH at {RATINGS_PER_DAY:,} ratings/day",
        f"${month:,.0f}",
        note=f"{monthly_ratings / 1e6:.0f} M ratings x ${total:.2f} + ${sum(fixed.values()):.0f} fixed",
    )
    low = sum(per_million(replace(m, bad_share=LOW_BAD_SHARE), d).values())
    line(
        f"MONTH at {RATINGS_PER_DAY:,} ratings/day, {LOW_BAD_SHARE:.0%} bad",
        f"${low * monthly_ratings / 1e6 + sum(fixed.values()):,.0f}",
        note=f"${low:.2f} per million ratings: tickets dominate the variable cost",
    )
    note(
        f"assumed: {DYNAMODB_ROUND_TRIP_S * 1000:.0f} ms per DynamoDB call added to the in-process time; "
        f"{COUNTER_WRITES_PER_RATING:g} counter writes per rating after merging per batch of {STREAM_BATCH}; "
        f"{TRANSITIONS_PER_TICKET} transitions per ticket; {LOG_BYTES_PER_RATING} log bytes per rating"
    )
    note("excluded: data transfer out, free tiers, people reading (authorizer, queries), China-region prices")


if __name__ == "__main__":
    main()
