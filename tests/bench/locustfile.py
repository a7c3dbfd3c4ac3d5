"""A compressed Jiangsu-shaped day of a hall, for locust (run by tests.bench.load_day, never alone on
anything but the local stack at 127.0.0.1).

The hall's ten opening hours (08:00-18:00, the morning and afternoon peaks) pass in
LOAD_HOUR_SECONDS each; users follow the hour's share of the day's traffic (LoadShape). Channels in
the field's proportions: window tablets most, then the app and the web, hall kiosks, QR codes, and
SMS invitations answered by a reply (POST /v1/cases, then POST /local/sms/inbound). About 3 % of
ratings are bad (each with a bad tag, as the province requires a reason). Each rating is dated in its
compressed hour of the day. What was accepted is written to LOAD_OUTPUT when the run stops, for the
recount."""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, LoadTestShape, between, events, task

from functions.sms.service import sms_rating_id
from tests.bench.workload import demo_subjects, province

HOUR_SHARES = (6, 11, 12, 9, 5, 8, 11, 10, 7, 4)  # 08-09 ... 17-18: two peaks, a lunch dip
FIRST_HOUR = 8
DAY = "2026-12-03"
HOUR_SECONDS = float(os.environ.get("LOAD_HOUR_SECONDS", "4"))
PEAK_USERS = int(os.environ.get("LOAD_PEAK_USERS", "8"))
BAD_SHARE = 0.03
CHANNELS = {"hall_pad": 50, "mobile": 18, "pc": 10, "hall_terminal": 10, "qrcode": 5, "sms": 7}
KEY = {"x-api-key": "local-demo-key", "content-type": "application/json"}
RUN = uuid.uuid4().hex[:8]

SUBJECTS = demo_subjects()
TAGS = province().tags
# The probe's staff member is the benchmark's own (its lag probes): the load never rates it.
PROBE_STAFF = os.environ.get("LOAD_PROBE_STAFF", "")
WINDOW_STAFF = [s for s in SUBJECTS.window_staff if s["staff"] != PROBE_STAFF]
accepted: list[dict[str, Any]] = []
# Sent, but their answer was lost (the run stopped mid-request, a timeout): the recount asks the stack.
unanswered: list[dict[str, Any]] = []
in_flight: dict[str, dict[str, Any]] = {}
started_at: list[float] = []


def compressed_hour(elapsed: float) -> int:
    return min(len(HOUR_SHARES) - 1, int(elapsed // HOUR_SECONDS))


class LoadShape(LoadTestShape):
    """Users per compressed hour in proportion to the hour's share of the day; stops after the day."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        if elapsed >= HOUR_SECONDS * len(HOUR_SHARES):
            return None
        share = HOUR_SHARES[compressed_hour(elapsed)] / max(HOUR_SHARES)
        return max(1, round(PEAK_USERS * share)), PEAK_USERS


class Channel(HttpUser):
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.rng = random.Random(f"{RUN}-{id(self)}")
        self.count = 0

    def _rated_at(self) -> str:
        hour = FIRST_HOUR + compressed_hour(time.monotonic() - (started_at or [time.monotonic()])[0])
        return f"{DAY}T{hour:02d}:{self.rng.randrange(60):02d}:{self.rng.randrange(60):02d}+08:00"

    def _body(self, channel: str, rating_id: str) -> dict[str, Any]:
        bad = self.rng.random() < BAD_SHARE
        satisfaction = self.rng.choice((1, 2)) if bad else self.rng.choices((5, 4, 3), (70, 20, 10))[0]
        if channel in ("hall_pad", "hall_terminal"):
            subjects = dict(self.rng.choice(WINDOW_STAFF))
        elif channel in ("pc", "mobile"):
            subjects = dict(self.rng.choice(SUBJECTS.department_item))
        else:
            subjects = dict(self.rng.choice(SUBJECTS.regions))
        body: dict[str, Any] = {
            "rating_id": rating_id,
            "channel": channel,
            "satisfaction": satisfaction,
            "subjects": subjects,
            "rated_at": self._rated_at(),
        }
        if bad:
            body["tags"] = [self.rng.choice(TAGS.bad)]
        return body

    @task
    def rate(self) -> None:
        self.count += 1
        channel = self.rng.choices(list(CHANNELS), list(CHANNELS.values()))[0]
        if channel == "sms":
            self._sms()
            return
        rating_id = f"load-{RUN}-{id(self) % 100000:05d}-{self.count:06d}"
        body = self._body(channel, rating_id)
        in_flight[rating_id] = {"rating_id": rating_id, "good": body["satisfaction"] >= 3}
        with self.client.post(
            "/v1/ratings", json=body, headers=KEY, name="POST /v1/ratings", catch_response=True
        ) as answer:
            in_flight.pop(rating_id, None)
            if answer.status_code == 201:
                accepted.append({"rating_id": rating_id, "good": body["satisfaction"] >= 3})
            else:
                if answer.status_code == 0 or answer.status_code >= 500:
                    unanswered.append({"rating_id": rating_id, "good": body["satisfaction"] >= 3})
                answer.failure(f"{answer.status_code}")

    def _sms(self) -> None:
        case_no = f"LOAD{RUN}-{id(self) % 100000:05d}-{self.count:06d}"
        phone = f"139{self.rng.randrange(10**8):08d}"
        subjects = self.rng.choice(SUBJECTS.department_item)
        region = subjects["department"][1:7]  # demo departments are coded D<their region><n>
        case = {
            "case_no": case_no,
            "item": subjects["item"],
            "department": subjects["department"],
            "region": region,
            "applicant_phone": phone,
            "completed_at": f"{DAY}T09:00:00+08:00",
        }
        answer = self.client.post("/v1/cases", json=case, headers=KEY, name="POST /v1/cases")
        if answer.status_code != 202:
            return
        satisfaction = 1 if self.rng.random() < BAD_SHARE else 5
        rating = {"rating_id": sms_rating_id(case_no), "good": satisfaction >= 3, "sms": True}
        in_flight[case_no] = rating
        reply = {"from": phone, "body": f"{satisfaction} 谢谢" if satisfaction == 5 else "1 多头跑"}
        answer = self.client.post("/local/sms/inbound", json=reply, name="POST /local/sms/inbound")
        in_flight.pop(case_no, None)
        outcome = answer.json() if answer.status_code == 200 else {}
        if outcome.get("outcome") == "rated":
            accepted.append(rating)
        elif answer.status_code == 0 or answer.status_code >= 500:
            unanswered.append(rating)


@events.test_start.add_listener
def remember_start(**_: Any) -> None:
    started_at.append(time.monotonic())


@events.test_stop.add_listener
def write_accepted(**_: Any) -> None:
    output = os.environ.get("LOAD_OUTPUT")
    if output:
        with open(output, "w", encoding="utf-8") as sink:
            # What was still on the wire when the users were stopped counts as unanswered too.
            json.dump({"accepted": accepted, "unanswered": unanswered + list(in_flight.values())}, sink)
