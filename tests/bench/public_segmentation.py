"""Segmentation throughput for hot words: comments per second through the whole path a comment takes
(personal data removed, cut and tagged with the domain dictionary, filtered), for rjieba (the choice)
and jieba 0.42.1 (the original, for comparison), each in a fresh interpreter so that load times are
cold.

Comments are drawn, seeded, from phrases people write in 好差评 comments, with a phone number, an ID
number or a name in one comment of five; 4 to 60 characters, as most comments are short.

Run alone: .venv/bin/python -m tests.bench.public_segmentation"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from tests.bench.figures import heading, line, note

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMENTS = 5000
ROUNDS = 3

PHRASES = (
    "工作人员态度很好",
    "服务热情周到",
    "一次办结",
    "效率高",
    "办事指南清晰",
    "材料要求繁琐",
    "多头跑",
    "排队时间长",
    "等了两个小时",
    "系统经常卡顿",
    "网上办理很方便",
    "窗口引导到位",
    "办事指南有误",
    "超过法定办理时间",
    "与承诺不一致",
    "跑了三趟还没办好",
    "企业开办一件事很快",
    "社会保障卡申领顺利",
    "营业执照当天就拿到了",
    "不动产登记要的材料太多",
    "自助终端用不了",
    "预约办理节省时间",
    "耐心解答问题",
    "态度生硬",
    "推诿扯皮",
    "电话打不通",
    "环境整洁",
    "希望增加窗口",
    "点赞",
)
PERSONAL = ("电话13812345678", "身份证520102199001011234", "王小明先生", "刘师傅", "我叫李娜")


def comments(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        parts = rng.sample(PHRASES, rng.randint(1, 4))
        if rng.random() < 0.2:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(PERSONAL))
        made.append("，".join(parts) + rng.choice(("", "。", "！")))
    return made


MEASURE = """
import json, sys, time
started = time.perf_counter()
from functions.index.segmenter import Segmenter
segmenter = Segmenter(domain_words=["企业开办一件事", "社会保障卡申领"], backend=sys.argv[1])
load = time.perf_counter() - started
from tests.bench.public_segmentation import COMMENTS, ROUNDS, comments
texts = comments(COMMENTS)
rates = []
for round in range(ROUNDS):
    began = time.perf_counter()
    for text in texts:
        segmenter._words(text)  # uncached: every comment is cut
    rates.append(len(texts) / (time.perf_counter() - began))
print(json.dumps({"load": load, "rates": rates}))
"""


def measure(backend: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, backend],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    heading("hot-word segmentation (comments per second, one core)")
    note(f"{COMMENTS} seeded comments, {ROUNDS} rounds each, best round shown; fresh interpreter per library")
    for backend in ("rjieba", "jieba"):
        result = measure(backend)
        rates = result["rates"]
        assert isinstance(rates, list)
        line(
            f"{backend} throughput",
            max(rates),
            "comments/s",
            f"rounds: {', '.join(f'{r:,.0f}' for r in rates)}",
        )
        load = result["load"]
        assert isinstance(load, float)
        line(f"{backend} load (import + dictionary)", load * 1000, "ms")


if __name__ == "__main__":
    main()
