"""What a province costs at list price: per million ratings, and a month at 500,000 ratings a day.

Measured here (the same code paths `make bench` measures): DynamoDB write and read units per rating of
the benchmark mix (tests.bench.dynamodb_cost's computation from the items the code sends), the rate
function's time per request in this process and the bytes it logs, the items it stores; the indices'
consumer driven at production's shape (tests.bench.index_counters: a year of shards, the batch the
configured window gives at Jiangsu's rate) for its UpdateItem and write units per rating, progress
reads, log bytes and stored bytes. Read from the synthesized stack: the function's memory, tracing,
the number of alarms, dashboards, custom metrics, web ACL rules, the API cache, keys and secrets.
Everything else is a stated figure with its source; every line prints with its source.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.core.domain.channels import Channel
from infra import topology
from tests.bench import dynamodb_cost, index_counters
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

DYNAMODB_STORAGE_GB_MONTH = 0.25  # DESIGN.md, turn 3
PITR_GB_MONTH = 0.20  # point-in-time recovery, us-east-1 list price
CHINA_DYNAMODB_FACTOR = 2.5  # DESIGN.md: about ¥11.15/M write units, about 2.5x us-east-1
SMS_PART_CNY = (0.032, 0.05)  # DESIGN.md: domestic SMS gateways per 70-character part
CNY_PER_USD = 7.1

# --- Stated figures, each with its source --------------------------------------------------------
JIANGSU_RATE = 6.6  # ratings/s, the audit's figure (issue 17)
JIANGSU_BAD_SHARE = 0.0001  # 0.003-0.01 % bad (issue 17): the upper end
SHARDS_SEEN = 105  # about a year of Jiangsu's stream (issue 17's table)
DYNAMODB_ROUND_TRIP_S = 0.008  # per DynamoDB call inside the region, added to the in-process time
CONSUMER_MEMORY_GB = 1.0  # infra/topology.py Sizing default
# python -m tests.bench.tickets: 16-23 transitions per ticket on its paths; the most is priced.
TRANSITIONS_PER_TICKET = 23
SQS_REQUESTS_PER_TICKET = 6  # task-token sends, receives and deletes (tests.bench.tickets' requests)
SNS_PUBLISHES_PER_TICKET = 3  # opened, replied, closed (contract 3 events)
SMS_PARTS_PER_TICKET = 2  # the department's notice and the rater's reply notice (province texts)
LAMBDA_PLATFORM_LOG_BYTES = 300  # START, END and REPORT lines per invocation
MONTHS_STORED_IN_TOTAL = 1  # storage is a stock: the total carries the first month, shown per month too


def xray_sampled_share(rate: float) -> float:
    """X-Ray's default rule: the first request each second, then 5 % of the rest (DESIGN.md)."""
    return (min(rate, 1.0) + 0.05 * max(0.0, rate - 1.0)) / rate


def sms_parts(text: str) -> int:
    """70 characters fit one part; a longer text goes in parts of 67 (the concatenation header)."""
    return 1 if len(text) <= 70 else -(-len(text) // 67)


@dataclass(frozen=True)
class Measured:
    write_units: float
    read_units: float
    dynamodb_calls: float
    function_seconds: float
    bad_share: float
    log_bytes: float  # what the rate function logged per rating (JSON lines and EMF)
    stored_bytes: float  # rating and case items per rating, with DynamoDB's 100 bytes per item


def measure() -> Measured:
    subjects = demo_subjects()
    with in_process_stack() as stack, index_counters.counted_logs() as logged:
        recorder = CallRecorder(stack.client)
        stack.new_execution_environment()
        mix = RatingMix(subjects, province())
        costs, seconds, bad = [], [], 0
        logged.bytes = 0
        for body in itertools.islice(mix, MIX_RATINGS):
            began = time.perf_counter()
            cost = dynamodb_cost.measure(stack, recorder, body)
            seconds.append(time.perf_counter() - began)
            costs.append(cost)
            bad += body["satisfaction"] <= 2
        log_bytes = logged.bytes
    operations = sum((c.operations for c in costs), Counter())
    return Measured(
        write_units=sum(c.write_units for c in costs) / len(costs),
        read_units=sum(dynamodb_cost.read_units(s) for c in costs for s in c.directory_reads) / len(costs),
        dynamodb_calls=sum(operations.values()) / len(costs),
        function_seconds=statistics.median(seconds),
        bad_share=bad / len(costs),
        log_bytes=log_bytes / len(costs),
        stored_bytes=sum(c.rating_item + 100 + (c.case_item + 100 if c.case_item else 0) for c in costs)
        / len(costs),
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
    access_log_bytes: int  # one access-log line: the stage's format with values of about its own size


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
        # RatingAccepted by channel and polarity, and the log-derived metrics (ratings, overdue tickets).
        custom_metrics=len(Channel) * 2 + len(of("AWS::Logs::MetricFilter")),
        tracing=rate.get("TracingConfig", {}).get("Mode") == "Active",
        access_log_bytes=2
        * max((len(str(st.get("AccessLogSetting", {}).get("Format", ""))) for st in stages), default=0),
    )


Line = tuple[float, str]  # USD per million ratings, and where the figure comes from


def per_million(
    m: Measured,
    d: Deployed,
    c: index_counters.ShapeFigures,
    *,
    bad_share: float,
    rate: float = JIANGSU_RATE,
    dynamodb_factor: float = 1.0,
    tracing: bool | None = None,
) -> dict[str, Line]:
    """USD per million accepted ratings, by service, each with its source."""
    million = 1_000_000
    billed_seconds = m.function_seconds + m.dynamodb_calls * DYNAMODB_ROUND_TRIP_S
    tickets = bad_share * million
    index_batches = million / (c.ratings / c.batches)
    # The consumer's billed time: its DynamoDB round trips over its 8 writer threads, per batch.
    calls_per_batch = (c.updates + c.reads) / c.batches
    index_seconds = calls_per_batch * DYNAMODB_ROUND_TRIP_S / 8 + 0.05
    write_price = WRITE_UNIT_PER_MILLION * dynamodb_factor
    read_price = READ_UNIT_PER_MILLION * dynamodb_factor
    traced = d.tracing if tracing is None else tracing
    log_bytes = (
        m.log_bytes
        + d.access_log_bytes
        + LAMBDA_PLATFORM_LOG_BYTES
        + (c.log_bytes / c.ratings)
        + LAMBDA_PLATFORM_LOG_BYTES * index_batches / million
    )
    storage_gb = (m.stored_bytes + c.stored_bytes / (c.ratings * (1 + 1 / max(1, c.batches)))) * million / 1e9
    batch = c.batch
    return {
        "API Gateway (REST)": (API_PER_MILLION, "DESIGN.md price, one request per rating"),
        "WAF requests": (WAF_PER_MILLION, "DESIGN.md price, every API request"),
        "Lambda requests": (
            LAMBDA_REQUEST_PER_MILLION * (million + index_batches + tickets) / million,
            f"rate 1 per rating + index 1 per batch ({c.ratings / c.batches:.0f} measured) + tickets only "
            "per bad rating (filtered)",
        ),
        "Lambda duration (rate)": (
            million * billed_seconds * d.rate_memory_gb * LAMBDA_GB_SECOND_ARM,
            f"measured {m.function_seconds * 1000:.1f} ms in process + {m.dynamodb_calls:.2f} calls x "
            f"{DYNAMODB_ROUND_TRIP_S * 1000:.0f} ms, {d.rate_memory_gb:g} GB (template)",
        ),
        "Lambda duration (index consumer)": (
            index_batches * index_seconds * CONSUMER_MEMORY_GB * LAMBDA_GB_SECOND_ARM,
            f"measured {calls_per_batch:.0f} DynamoDB calls per batch over 8 threads + 50 ms",
        ),
        "DynamoDB writes (rating, case claim)": (
            m.write_units * write_price,
            f"measured {m.write_units:.2f} WRU/rating, benchmark mix",
        ),
        "DynamoDB reads (directory, cold caches)": (
            m.read_units * read_price,
            f"measured {m.read_units:.3f} RRU/rating",
        ),
        "DynamoDB writes (index counters)": (
            c.units_per_rating * write_price,
            f"measured {c.units_per_rating:.2f} WRU/rating ({c.updates_per_rating:.2f} UpdateItem) at "
            f"{c.shards} shards, batch {batch:.0f} (index_counters)",
        ),
        "DynamoDB reads (index progress)": (
            c.reads / c.ratings * read_price * 2,
            f"measured {c.reads / c.ratings:.3f} reads/rating, consistent (1 RRU)",
        ),
        "DynamoDB storage + PITR (first month)": (
            storage_gb * (DYNAMODB_STORAGE_GB_MONTH + PITR_GB_MONTH) * MONTHS_STORED_IN_TOTAL,
            f"measured {storage_gb:.2f} GB per million (items + 100 B each); "
            f"${storage_gb * (DYNAMODB_STORAGE_GB_MONTH + PITR_GB_MONTH):.2f} each month kept",
        ),
        "Step Functions (tickets)": (
            tickets * TRANSITIONS_PER_TICKET * STATE_TRANSITION,
            f"{bad_share:.3%} bad x {TRANSITIONS_PER_TICKET} transitions (tests.bench.tickets: 16-23)",
        ),
        "SQS + SNS (tickets)": (
            tickets
            * (SQS_REQUESTS_PER_TICKET * SQS_PER_MILLION + SNS_PUBLISHES_PER_TICKET * SNS_PUBLISH_PER_MILLION)
            / million,
            f"{SQS_REQUESTS_PER_TICKET} SQS requests + {SNS_PUBLISHES_PER_TICKET} publishes per ticket",
        ),
        "CloudWatch Logs (ingest + a year kept)": (
            log_bytes * million / 1e9 * (LOG_INGEST_PER_GB + 12 * LOG_STORE_PER_GB_MONTH),
            f"measured {m.log_bytes:.0f} B rate + {c.log_bytes / c.ratings:.0f} B index per rating; "
            f"access line {d.access_log_bytes} B (stage format); platform {LAMBDA_PLATFORM_LOG_BYTES} B",
        ),
        "X-Ray traces": (
            (xray_sampled_share(rate) * XRAY_PER_MILLION_TRACES) if traced else 0.0,
            f"default rule at {rate:g} requests/s: {xray_sampled_share(rate):.1%} sampled"
            + ("" if traced else "; tracing off here"),
        ),
    }


def sms_per_rating(province_name: str = "guizhou") -> dict[str, Line]:
    """SMS, priced apart: per SMS-channel rating (its invitation) and per ticket, at the provider's
    price (CNY per part, converted)."""
    from infra.provinces import PROVINCES

    texts = PROVINCES[province_name].sms
    invitation = texts.invitation.format(
        item="不动产登记",
        department="市政务服务中心",
        case_no="BJ202609300001",
        valid_days=texts.invitation_valid_days,
    )
    parts = sms_parts(invitation)
    low, high = (price / CNY_PER_USD for price in SMS_PART_CNY)
    return {
        "SMS per SMS-channel rating (invitation)": (
            parts * high,
            f"{parts} part(s) of {len(invitation)} characters ({province_name}'s text) x "
            f"¥{SMS_PART_CNY[0]}-{SMS_PART_CNY[1]} (${parts * low:.4f}-{parts * high:.4f})",
        ),
        "SMS per ticket": (SMS_PARTS_PER_TICKET * high, f"{SMS_PARTS_PER_TICKET} notices of one part each"),
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


def print_lines(lines: dict[str, Line], unit: str = "per million ratings") -> float:
    for name, (dollars, source) in sorted(lines.items(), key=lambda kv: -kv[1][0]):
        line(name, f"${dollars:,.2f}", unit, source)
    return sum(dollars for dollars, _ in lines.values())


def main() -> None:
    heading(
        "cost model: USD at list price per million ratings and per month (python -m tests.bench.cost_model)"
    )
    m = measure()
    d = deployed()
    batch = index_counters.window_batch(JIANGSU_RATE, 1)
    c = index_counters.production_shape(SHARDS_SEEN, batch)
    line("measured: DynamoDB write units", f"{m.write_units:.2f}", "WRU/rating", "benchmark mix, from cold")
    line("measured: rate function, in process", f"{m.function_seconds * 1000:.1f}", "ms median", "on moto")
    line("measured: bad ratings in the mix", f"{m.bad_share:.1%}", note="each opens a ticket")
    line(
        "measured: index counters",
        f"{c.units_per_rating:.2f}",
        "WRU/rating",
        f"{SHARDS_SEEN} shards, batch {batch} = {JIANGSU_RATE:g}/s x {topology.INDEX_BATCHING_WINDOW_SECONDS} s window",
    )
    line("deployed: rate memory / tracing", f"{d.rate_memory_gb:.2f} GB / {d.tracing}")
    line(
        "deployed: alarm metrics / dashboards / WAF rules",
        f"{d.alarm_metrics} / {d.dashboards} / {d.waf_rules}",
    )
    fixed = fixed_per_month(d)
    monthly_ratings = RATINGS_PER_DAY * DAYS_PER_MONTH
    for label, bad_share in (("Jiangsu's mix", JIANGSU_BAD_SHARE), ("the benchmark mix", m.bad_share)):
        for partition, factor, tracing in (
            ("aws (us-east-1)", 1.0, None),
            ("aws-cn", CHINA_DYNAMODB_FACTOR, False),
        ):
            heading(f"per million ratings at {label} ({bad_share:.3%} bad), partition {partition}")
            total = print_lines(
                per_million(m, d, c, bad_share=bad_share, dynamodb_factor=factor, tracing=tracing)
            )
            line(
                "TOTAL per million ratings",
                f"${total:,.2f}",
                note="goal: at most $7 at Jiangsu's mix" if bad_share == JIANGSU_BAD_SHARE else "",
            )
            line(
                f"MONTH at {RATINGS_PER_DAY:,} ratings/day",
                f"${total * monthly_ratings / 1e6 + sum(fixed.values()):,.0f}",
                note=f"{monthly_ratings / 1e6:.0f} M ratings x ${total:.2f} + ${sum(fixed.values()):.0f} fixed",
            )
    heading(f"SMS, priced apart (provider's price, CNY converted at {CNY_PER_USD:.1f})")
    print_lines(sms_per_rating(), unit="each")
    heading("fixed per month")
    for name, dollars in fixed.items():
        line(name, f"${dollars:,.2f}", "per month")
    note(
        "aws-cn: DynamoDB at about 2.5x (DESIGN.md), no X-Ray on Lambda; the other services at us-east-1 "
        "prices (their China prices are not checked here). Excluded: data transfer out, free tiers, people "
        "reading (authorizer, queries), the cases stream's consumer."
    )


if __name__ == "__main__":
    main()
