"""The rater's side: page weight of each screen, AWS requests and cost per rating through a device and
through a QR code, and a tablet's monthly cost while idle.

- Page weight: every file a screen loads, as the devices function serves it (bytes as sent and gzipped,
  and the number of requests), read from the function's own answers.
- Requests per rating: the devices and rate functions' services, in this process on moto, with every
  DynamoDB call counted on their client and write units computed from the items sent (the rules of
  tests/bench/dynamodb_cost.py). Warm functions: the directory is in their cache, as in steady state.
- Cost: those requests at us-east-1 list prices (tests/bench/cost_model.py), plus API Gateway, WAF,
  Lambda (1 GB arm64 at the duration given) and, for a device, the uncached authorizer call of its route.
  What the ratings stream costs downstream (indices, tickets) is the same for every channel: see
  `python -m tests.bench.cost_model`.

Run alone: .venv/bin/python -m tests.bench.rater_screens"""

from __future__ import annotations

import base64
import gzip
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.bench import cost_model, dynamodb_cost
from tests.bench.figures import heading, line, note
from tests.bench.harness import AWS_ENVIRONMENT, environment

RATINGS = 30
LAMBDA_SECONDS = 0.03  # a warm rate or devices request, 1 GB (make bench's rate_inprocess measures it)
AUTHORIZER_SECONDS = 0.005  # a device credential's shape check: no JWT, no I/O
# What a screen loads, in order (the terminal's service worker also fetches /terminal/sw.js).
SCREENS = {
    "terminal (first load)": [
        "/terminal",
        "/terminal/style.css",
        "/terminal/screen.js",
        "/terminal/app.js",
        "/terminal/manifest.webmanifest",
        "/terminal/sw.js",
    ],
    "rate (phone, QR code)": ["/rate", "/terminal/style.css", "/terminal/screen.js", "/rate/app.js"],
}


class Calls:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.write_units = 0
        self.read_units = 0.0

    def watch(self, client: Any) -> Any:
        def counted(model: Any, params: dict[str, Any], **_: Any) -> None:
            self.calls[model.name] += 1
            if model.name in ("PutItem",):
                self.write_units += dynamodb_cost.write_units(dynamodb_cost.item_size(params["Item"]))
            elif model.name == "UpdateItem":
                self.write_units += 1  # a flood counter or a case claim: well under 1 KB
            elif model.name == "TransactWriteItems":
                for entry in params["TransactItems"]:
                    item = entry.get("Put", {}).get("Item")
                    units = dynamodb_cost.write_units(dynamodb_cost.item_size(item)) if item else 1
                    self.write_units += 2 * units  # transactions cost twice
            elif model.name in ("GetItem",):
                self.read_units += 1.0 if params.get("ConsistentRead") else 0.5
            elif model.name in ("Query", "BatchGetItem"):
                self.read_units += 1.0

        client.meta.events.register("provide-client-params.dynamodb.*", counted)
        return client

    def take(self) -> tuple[Counter[str], int, float]:
        taken = (self.calls, self.write_units, self.read_units)
        self.calls, self.write_units, self.read_units = Counter(), 0, 0.0
        return taken


def page_weights() -> dict[str, tuple[int, int, int]]:
    from functions.devices import pages

    heading("rater screens: page weight (bytes as served, gzipped; requests)")
    weights = {}
    for screen, paths in SCREENS.items():
        sizes = []
        for path in paths:
            if path == "/rate":
                body = pages.rate_page({"window": "综合受理窗口1号", "department": "贵阳市政务服务中心"}).body
            else:
                body = pages.serve(path).body
            raw = body.encode("utf-8") if isinstance(body, str) else body
            sizes.append((len(raw), len(gzip.compress(raw, 9))))
        total, zipped = sum(s for s, _ in sizes), sum(z for _, z in sizes)
        weights[screen] = (total, zipped, len(paths))
        line(f"{screen}", f"{total} B ({zipped} B gzipped)", "", f"{len(paths)} requests")
    note("the terminal then loads its profile (GET /v1/devices/me, about 1 KB) once per start; reloads and")
    note("offline starts are answered by its service worker from the cache (0 requests to the stack)")
    return weights


def per_rating() -> dict[str, tuple[Counter[str], float, float]]:
    import boto3
    from moto import mock_aws

    from functions.core.domain.devices import Link, sign_link
    from functions.core.storage.tables import TABLES
    from functions.devices import wiring as device_wiring
    from functions.devices.settings import DeviceSettings
    from functions.rate import wiring as rate_wiring
    from functions.rate.settings import RateSettings
    from infra.provinces import GUIZHOU, demo_directory_csv

    heading("rater screens: DynamoDB requests per rating (in process, moto, warm)")
    results = {}
    with environment(AWS_ENVIRONMENT), mock_aws():
        calls = Calls()
        dynamodb = calls.watch(boto3.client("dynamodb"))
        for spec in TABLES:
            dynamodb.create_table(**spec.create_table_request(spec.physical_name("bench")))
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        env = {
            "TABLE_PREFIX": "bench",
            "PROVINCE_CONFIG": GUIZHOU.to_json(),
            "PERSONAL_DATA_SECRET_ARN": "arn:bench:personal-data",
            "DIRECTORY_JOBS_QUEUE_URL": "https://sqs.invalid/directory-jobs",
            "QR_SIGNING_SECRET_ARN": "arn:bench:qr-signing",
        }
        rate = rate_wiring.build(RateSettings.from_env(env, fetch=lambda _arn: key), dynamodb)
        rate.directory.import_csv(demo_directory_csv("guizhou"))
        qr_key = secrets.token_bytes(32)
        devices = device_wiring.build(
            DeviceSettings.from_env(env, fetch=lambda _arn: key), dynamodb, keys=lambda: [qr_key]
        )
        from functions.core.domain.scopes import Person, Role

        _, code, _ = devices.devices.enrol(
            Person(Role.ADMIN, None), {"window": "W5201000101", "channel": "hall_pad"}
        )
        _, token = devices.devices.pair({"pairing_code": code})

        def device_rating(n: int) -> None:
            device = rate.devices.authenticate(token)
            body = rate.devices.device_rating(device, {"rating_id": f"bench-dev-{n:05d}", "satisfaction": 5})
            rate.ratings.accept(body, channel_key=f"device:{device.device_id}")

        window_token = sign_link(Link("window", "W5201000101", _qr()), [qr_key])

        def qr_rating(n: int) -> None:
            browser = f"bench{n:019d}"
            _, body = devices.links.rating_body(
                {"t": window_token, "satisfaction": 4}, browser, f"10.1.0.{n}"
            )
            devices.ratings.accept(body, channel_key="link:window")

        def case_rating(n: int) -> None:
            case_no = f"BENCH-CASE-{n:05d}"
            dynamodb.put_item(
                TableName="bench-cases",
                Item={
                    "case_no": {"S": case_no},
                    "department": {"S": "D52010001"},
                    "item": {"S": "I5201000101"},
                    "region": {"S": "520100000000"},
                    "completed_at": {"S": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
                    "paths": {"L": [{"S": "department#D52010001"}]},
                },
            )
            calls.take()
            link = sign_link(
                Link("case", case_no, _qr(), int(datetime.now(UTC).timestamp()) + 86400), [qr_key]
            )
            _, body = devices.links.rating_body({"t": link, "satisfaction": 5}, None, "10.1.2.3")
            devices.ratings.accept(body, channel_key="link:case")

        for name, rate_one in (
            ("device (hall_pad)", device_rating),
            ("window QR (qrcode)", qr_rating),
            ("case QR (qrcode)", case_rating),
        ):
            rate_one(0)  # warm: directory cache, imports
            calls.take()
            total: Counter[str] = Counter()
            units, reads = 0, 0.0
            for n in range(1, RATINGS + 1):
                rate_one(n)
                counted, w, r = calls.take()
                total += counted
                units += w
                reads += r
            per = Counter({k: v / RATINGS for k, v in total.items()})
            results[name] = (per, units / RATINGS, reads / RATINGS)
            shown = ", ".join(f"{k} {v:g}" for k, v in sorted(per.items()))
            line(name, shown, "", f"{units / RATINGS:g} WCU, {reads / RATINGS:g} RCU")
    return results


def _qr() -> Any:
    from functions.core.domain.channels import Channel

    return Channel.QRCODE


def costs(
    weights: dict[str, tuple[int, int, int]], results: dict[str, tuple[Counter[str], float, float]]
) -> None:
    heading("rater screens: cost per rating (USD per million ratings, us-east-1 list prices)")
    lam = cost_model.LAMBDA_REQUEST_PER_MILLION + 1e6 * LAMBDA_SECONDS * cost_model.LAMBDA_GB_SECOND_ARM
    authorizer = (
        cost_model.LAMBDA_REQUEST_PER_MILLION + 1e6 * AUTHORIZER_SECONDS * cost_model.LAMBDA_GB_SECOND_ARM
    )
    per_request = cost_model.API_PER_MILLION + cost_model.WAF_PER_MILLION + lam
    page_requests = weights["rate (phone, QR code)"][2]
    for name, (_, wcu, rcu) in results.items():
        dynamo = wcu * cost_model.WRITE_UNIT_PER_MILLION + rcu * cost_model.READ_UNIT_PER_MILLION
        if name.startswith("device"):
            requests = 1
            total = per_request + authorizer + dynamo
            detail = "1 API request + 1 authorizer call (its route is uncached) + the rate function"
        else:
            # The phone loads the form (its page and files, each an API request and a function call),
            # then posts the rating.
            requests = 1 + page_requests
            total = requests * per_request + dynamo
            detail = f"{page_requests} page requests + the POST, each API + WAF + Lambda"
        line(name, f"${total:.2f}", "per million", f"{requests} requests; DynamoDB ${dynamo:.2f}/M; {detail}")
    # An idle tablet: the terminal sends nothing while its queue is empty (the 15 s timer only looks at
    # IndexedDB); a start (say one a day, when the hall opens) loads the profile and revalidates its files.
    starts_per_month = 30
    requests_per_start = 1 + weights["terminal (first load)"][2]
    idle = starts_per_month * requests_per_start * per_request / 1e6
    storage = 1e-6 * 0.25  # the device's item (< 1 KB) at $0.25/GB-month
    line(
        "a tablet idle for a month",
        f"${idle + storage:.6f}",
        "",
        f"{starts_per_month * requests_per_start} requests ({starts_per_month} starts x {requests_per_start})",
    )
    note("no per-device metric or alarm (a dimension per device would cost $0.30 each a month)")


def main() -> None:
    weights = page_weights()
    results = per_rating()
    costs(weights, results)


if __name__ == "__main__":
    main()
