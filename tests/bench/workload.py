"""What the benchmarks send: rating bodies drawn from the demo province's directory, in a seeded mix.

The mix follows what channels send in the field: mostly good ratings, a fifth bad ones (each names
its ticket); about half carry a case number (一事一评: the write then also claims the case), a quarter
a named rater (their phone is sealed before it is stored); subjects are a hall window and its staff
member, a department and one of its service items, or only a region (an online service)."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from functions.core.domain.province import ProvinceConfig
from infra.provinces import PROVINCES, demo_directory_csv

PROVINCE = "guizhou"
# Satisfaction 5 … 1 (3 and above is good): roughly the share of levels seen in provincial reports.
LEVELS = (5, 4, 3, 2, 1)
LEVEL_WEIGHTS = (50, 20, 10, 12, 8)


@dataclass(frozen=True)
class DemoSubjects:
    """Subject combinations that agree with the demo directory, so every rating is accepted."""

    window_staff: tuple[dict[str, str], ...]  # department, window, staff
    department_item: tuple[dict[str, str], ...]  # department, item
    regions: tuple[dict[str, str], ...]  # region only
    depth: dict[str, int]  # code → how many ancestors it has up to the province

    def deepest_window_staff(self) -> dict[str, str]:
        """The combination with the longest paths: the largest rating item the mix can produce."""
        return max(self.window_staff, key=lambda subjects: self.depth[subjects["staff"]])

    @classmethod
    def from_csv(cls, text: str) -> DemoSubjects:
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        window_department = {r["code"]: r["parent"] for r in rows if r["kind"] == "window"}
        window_staff = tuple(
            {"department": window_department[r["parent"]], "window": r["parent"], "staff": r["code"]}
            for r in rows
            if r["kind"] == "staff" and r["parent"] in window_department
        )
        department_item = tuple(
            {"department": r["parent"], "item": r["code"]} for r in rows if r["kind"] == "item"
        )
        # The province itself is a region too, but nobody rates "贵州省" alone: keep the ones below it.
        regions = tuple({"region": r["code"]} for r in rows if r["kind"] == "region" and r["parent"])
        parent = {r["code"]: r["parent"] for r in rows}
        depth: dict[str, int] = {}

        def depth_of(code: str) -> int:
            if code not in depth:
                depth[code] = 1 + depth_of(parent[code]) if parent.get(code) else 0
            return depth[code]

        for code in parent:
            depth_of(code)
        return cls(window_staff, department_item, regions, depth)


def demo_subjects() -> DemoSubjects:
    return DemoSubjects.from_csv(demo_directory_csv(PROVINCE))


def province() -> ProvinceConfig:
    return PROVINCES[PROVINCE]


def long_comment(characters: int = 500) -> str:
    """The longest comment the contract accepts, in Chinese (3 UTF-8 bytes a character, as in the
    field): the worst case for item size."""
    text = "窗口工作人员解释不清楚材料要求，让我来回跑了三趟，希望改进。"
    return (text * (characters // len(text) + 1))[:characters]


class RatingMix:
    """An endless, reproducible stream of valid rating bodies.

    Case numbers and rating ids carry a per-run prefix: a stack that lives across two runs (or two
    benchmarks in one process) would otherwise answer 409 case_already_rated or replay an old
    rating."""

    def __init__(self, subjects: DemoSubjects, config: ProvinceConfig, seed: int = 2026) -> None:
        self._subjects = subjects
        self._tags = config.tags
        self._random = random.Random(seed)
        self.run = uuid.uuid4().hex[:8]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        index = 0
        while True:
            yield self.body(index)
            index += 1

    def body(self, index: int) -> dict[str, Any]:
        rng = self._random
        satisfaction = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
        good = satisfaction >= 3
        shape = index % 3
        if shape == 0:
            channel, subjects = "hall_pad", rng.choice(self._subjects.window_staff)
        elif shape == 1:
            channel, subjects = rng.choice(("pc", "mobile")), rng.choice(self._subjects.department_item)
        else:
            channel, subjects = "qrcode", rng.choice(self._subjects.regions)
        body: dict[str, Any] = {"channel": channel, "satisfaction": satisfaction, "subjects": dict(subjects)}
        if index % 2 == 0:
            body["case_no"] = f"BENCH{self.run}-{index:07d}"
        if index % 5 == 0:
            # Channels that retry send their own idempotency key; the others let the server pick one.
            body["rating_id"] = f"bench-{self.run}-{index:07d}"
        pool = self._tags.good if good else self._tags.bad
        # A bad rating gives its reason (the demo province requires one): a bad tag at least.
        tags = rng.sample(pool, rng.randint(0 if good else 1, 2))
        if tags:
            body["tags"] = tags
        # Half the bad ratings write why; the demo province requires a reason of the others' tags.
        if not good and (rng.random() < 0.5 or not tags):
            body["comment"] = "排队时间太长，窗口只开了一个。"
        if index % 4 == 1:
            rater: dict[str, str] = {"phone": f"139{rng.randrange(10**8):08d}"}
            if rng.random() < 0.5:
                rater["name"] = "张三"
            body["rater"] = rater
        return body
