"""The public disclosure over HTTP and in a real browser (Debian's chromium, headless, via chromedriver):
ratings are made through the API, then `/public` shows the same figures as `/v1/public/summary`, on a
desktop and a phone-width screen, and nothing any public answer holds is personal data, whatever the
comments said. Also hot words, profiles and warnings for people, and their bad input.

The ratings are dated in February 2020, a month no other test rates in, so that the figures of that
period are exactly this module's (the summary is cached per period, so it is first read only once the
counters are complete). Screenshots go to tests/e2e/output/ (git-ignored)."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Answer, Api, bearer, issue_token, new_id

pytestmark = pytest.mark.e2e

OUTPUT = Path(__file__).with_name("output")
PROVINCE = "520000000000"
FROM, TO = "2020-02-01", "2020-02-29"
PERIOD = f"from={FROM}&to={TO}"
WAIT_SECONDS = 30.0

# 贵阳市政务服务中心 (ranked: more than 30 ratings), 六盘水市政务服务中心 (too few to rank), and the
# provincial 贵州省政务服务中心 (a provincial department row).
GUIYANG = {"department": "D52010001", "window": "W5201000101", "staff": "S520100010101"}
LIUPANSHUI = {"department": "D52020001", "window": "W5202000101", "staff": "S520200010101"}
PROVINCIAL = {"department": "D52000001", "window": "W5200000101", "staff": "S520000010101"}
OTHER_DEPARTMENT_WINDOW = "W5201000201"  # 贵阳市人力资源和社会保障局

PHONES = ["13812345678", "15987654321", "18600001111"]
ID_NUMBERS = ["520102199001011234", "52010219850505123X"]
NAMES = ["王小明", "张三丰", "李娜", "陈晓东", "欧阳娜娜"]
GOOD_COMMENTS = [
    "一次办结，工作人员{name}很耐心，电话{phone}",
    "办事指南清晰，一次办结，效率高",
    "{name}女士服务热情，一次办结，身份证{id}",
]
BAD_COMMENTS = [
    "多头跑，跑了三趟，我是{name}，电话{phone}",
    "办事指南有误，多头跑，身份证号{id}",
    "窗口的{name}态度生硬，多头跑，联系我 {phone}",
]


def plan() -> list[dict[str, Any]]:
    """The ratings to make: levels spread over the five, comments full of personal data."""
    made = []
    places = [(GUIYANG, 32), (LIUPANSHUI, 5), (PROVINCIAL, 4)]
    levels = [5, 5, 4, 3, 2, 1, 5, 4]
    n = 0
    for subjects, count in places:
        for i in range(count):
            level = levels[n % len(levels)]
            templates = GOOD_COMMENTS if level >= 3 else BAD_COMMENTS
            name, phone, id_number = NAMES[n % len(NAMES)], PHONES[n % len(PHONES)], ID_NUMBERS[n % 2]
            comment = templates[n % len(templates)].format(name=name, phone=phone, id=id_number)
            day = 10 + (i % 5)
            made.append(
                {
                    "rating_id": new_id("pub"),
                    "channel": "hall_pad",
                    "satisfaction": level,
                    "subjects": dict(subjects),
                    "comment": comment,
                    "rater": {"phone": phone, "name": name},
                    "rated_at": f"2020-02-{day:02d}T10:{n % 60:02d}:00+08:00",
                }
            )
            n += 1
    return made


@pytest.fixture(scope="module")
def ratings(api: Api, channel_headers: dict[str, str], admin_headers: dict[str, str]) -> list[dict[str, Any]]:
    made = plan()
    for body in made:
        answer = api.post_rating(body, channel_headers)
        assert answer.status == 201, answer
    # The counters follow the ratings stream, item by item: wait until every subject the summary reads
    # counts all of its ratings, hot words included (they are items of their own).
    bad = sum(1 for r in made if r["satisfaction"] < 3)
    expected = {
        f"/v1/indices/region/{PROVINCE}?{PERIOD}": len(made),
        f"/v1/indices/region/520100000000?{PERIOD}": 32,
        f"/v1/indices/region/520200000000?{PERIOD}": 5,
        f"/v1/indices/department/{PROVINCIAL['department']}?{PERIOD}": 4,
        "多头跑": bad,
    }
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        seen = {
            path: api.get(path, admin_headers).json().get("valid")
            for path in expected
            if path.startswith("/")
        }
        words = api.get(f"/v1/hotwords/region/{PROVINCE}?polarity=bad&{PERIOD}", admin_headers).json()
        seen["多头跑"] = {w["word"]: w["count"] for w in words}.get("多头跑")
        if seen == expected or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert seen == expected, f"the counters never caught up: {seen}"
    return made


@pytest.fixture(scope="module")
def summary(api: Api, ratings: list[dict[str, Any]]) -> dict[str, Any]:
    answer = api.get(f"/v1/public/summary?{PERIOD}")
    assert answer.status == 200, answer
    assert answer.headers["cache-control"].startswith("public, max-age="), answer.headers
    body: dict[str, Any] = answer.json()
    return body


def recount(ratings: list[dict[str, Any]], department: str | None = None) -> dict[str, Any]:
    chosen = [r for r in ratings if department is None or r["subjects"]["department"] == department]
    levels = Counter(str(r["satisfaction"]) for r in chosen)
    good = sum(1 for r in chosen if r["satisfaction"] >= 3)
    scores = {5: 10, 4: 8, 3: 6, 2: 4, 1: 2}
    index = (10 * 1 + sum(scores[r["satisfaction"]] for r in chosen)) / (1 + len(chosen))
    return {
        "valid": len(chosen),
        "counts": {str(level): levels.get(str(level), 0) for level in range(1, 6)},
        "good": good,
        "bad": len(chosen) - good,
        "index": round(index, 4),
    }


# --- the JSON ------------------------------------------------------------------------------------


def test_the_summary_equals_a_recount_of_the_ratings_made(
    summary: dict[str, Any], ratings: list[dict[str, Any]]
) -> None:
    rows = summary["rows"]
    assert summary["province"] == {"code": PROVINCE, "name": "贵州省"}
    assert (summary["from"], summary["to"]) == (FROM, TO)
    province = rows["province"]
    assert {k: province[k] for k in ("valid", "counts", "good", "bad", "index")} == recount(ratings)
    cities = {row["code"]: row for row in rows["cities"]}
    assert set(cities) == {"520100000000", "520200000000", "520300000000", "520400000000"}
    guiyang = cities["520100000000"]
    assert {k: guiyang[k] for k in ("valid", "counts", "good", "bad", "index")} == recount(
        ratings, GUIYANG["department"]
    )
    departments = {row["code"]: row for row in rows["departments"]}
    provincial = departments[PROVINCIAL["department"]]
    assert provincial["valid"] == 4 and provincial["name"] == "贵州省政务服务中心"
    assert provincial["rectification_rate"] is None or 0 <= provincial["rectification_rate"] <= 1


def test_rows_with_too_few_ratings_are_shown_but_not_ranked(summary: dict[str, Any]) -> None:
    minimum = summary["min_ratings_to_rank"]
    cities = {row["code"]: row for row in summary["rows"]["cities"]}
    assert cities["520100000000"]["valid"] >= minimum and cities["520100000000"]["rank"] == 1
    assert cities["520100000000"]["ranked"] is True
    for code in ("520200000000", "520300000000", "520400000000"):
        assert cities[code]["valid"] < minimum
        assert (cities[code]["rank"], cities[code]["ranked"]) == (None, False)
    assert all(row["rank"] is None for row in summary["rows"]["departments"])


def test_hot_words_are_counted_once_per_rating_by_polarity(
    summary: dict[str, Any], ratings: list[dict[str, Any]]
) -> None:
    words = summary["hot_words"]["province"]
    good = {w["word"]: w["count"] for w in words["good"]}
    bad = {w["word"]: w["count"] for w in words["bad"]}
    assert bad["多头跑"] == sum(1 for r in ratings if r["satisfaction"] < 3)
    assert good["一次办结"] == sum(
        1 for r in ratings if r["satisfaction"] >= 3 and "一次办结" in r["comment"]
    )
    assert "多头跑" not in good and "一次办结" not in bad
    guiyang = summary["hot_words"]["cities"]["520100000000"]
    assert {w["word"]: w["count"] for w in guiyang["bad"]}["多头跑"] == sum(
        1 for r in ratings if r["satisfaction"] < 3 and r["subjects"]["department"] == GUIYANG["department"]
    )


def test_no_public_answer_holds_personal_data(
    api: Api, summary: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    answers = [
        api.get(f"/v1/public/summary?{PERIOD}"),
        api.get("/v1/public/summary"),
        api.get("/public"),
        api.get(f"/v1/hotwords/region/{PROVINCE}?polarity=bad&{PERIOD}", admin_headers),
        api.get(f"/v1/hotwords/region/{PROVINCE}?polarity=good&{PERIOD}", admin_headers),
        api.get(f"/v1/profiles/staff/{GUIYANG['staff']}", admin_headers),
    ]
    for answer in answers:
        assert answer.status == 200, answer
        text = answer.text + json.dumps(
            answer.json() if answer.raw.startswith((b"{", b"[")) else "", ensure_ascii=True
        )
        for value in [*PHONES, *ID_NUMBERS, *NAMES, "****"]:
            assert value not in text, (value, str(answer))
        # a phone's last four digits standing alone (as a masked phone would leave them), not inside a
        # figure such as an index of 9.81111
        for tail in (p[-4:] for p in PHONES):
            assert not re.search(rf"(?<![\d.]){tail}(?![\d.])", text), (tail, str(answer))
    for polarity in ("good", "bad"):
        for word in summary["hot_words"]["province"][polarity]:
            assert not any(c.isdigit() for c in word["word"]), word
            assert not any(part in word["word"] for name in NAMES for part in (name, name[1:])), word


# --- the page in a browser -----------------------------------------------------------------------


def load_page(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base_url}/public?{PERIOD}")
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true"
    )


def shown(browser: Any, css: str) -> list[dict[str, str]]:
    """Every element matching `css`: its data-* values and its visible text."""
    return browser.execute_script(  # type: ignore[no-any-return]
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => "
        "({field: e.dataset.field || '', value: e.dataset.value, text: e.textContent, "
        "code: (e.closest('tr') || {dataset: {}}).dataset.code || '', word: e.dataset.word || ''}))",
        css,
    )


def same(value: str | None, expected: Any) -> bool:
    if expected is None:
        return value == ""
    return float(value or "nan") == float(expected)


def test_the_page_shows_the_apis_figures(browser: Any, base_url: str, summary: dict[str, Any]) -> None:
    # Given the page, loaded with the period in its address
    load_page(browser, base_url)
    assert browser.find_element("css selector", "html").get_attribute("lang") == "zh-CN"
    assert "贵州省" in browser.find_element("id", "title").text

    # Then the province's cards hold the API's figures
    province = summary["rows"]["province"]
    cards = {c["field"]: c for c in shown(browser, "#province-cards [data-field]")}
    assert same(cards["total"]["value"], province["valid"])
    for field in ("good", "bad", "index", "rectification_rate", "on_time_rate"):
        assert same(cards[field]["value"], province[field]), (field, cards[field], province[field])
    assert cards["index"]["text"] == f"{province['index']:.2f}"
    # and the level chart each level's count
    levels = {e["value"]: e for e in shown(browser, "#levels-chart text[data-level]")}
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('#levels-chart text[data-level]'))"
        ".map(e => [e.dataset.level, Number(e.dataset.value)])"
    )
    assert {level: n for level, n in drawn} == {k: v for k, v in province["counts"].items()}
    assert levels  # drawn as SVG text, readable without colour

    # and every city and provincial department row, with its rank or 不排名
    for table, rows in (
        ("cities", summary["rows"]["cities"]),
        ("departments", summary["rows"]["departments"]),
    ):
        cells = shown(browser, f"#{table} tbody [data-field]")
        by_code: dict[str, dict[str, dict[str, str]]] = {}
        for cell in cells:
            by_code.setdefault(cell["code"], {})[cell["field"]] = cell
        assert set(by_code) == {row["code"] for row in rows}
        for row in rows:
            mine = by_code[row["code"]]
            assert mine["name"]["text"] == row["name"]
            for field in ("valid", "good", "bad", "index", "rectification_rate", "on_time_rate"):
                assert same(mine[field]["value"], row[field]), (table, row["code"], field)
            assert mine["rank"]["text"] == (str(row["rank"]) if row["ranked"] else "不排名")

    # and the hot words, in the API's order with its counts
    for polarity in ("good", "bad"):
        listed = [(w["word"], int(w["value"])) for w in shown(browser, f"#words-{polarity} li[data-word]")]
        assert listed == [(w["word"], w["count"]) for w in summary["hot_words"]["province"][polarity]]

    OUTPUT.mkdir(exist_ok=True)
    browser.save_screenshot(str(OUTPUT / "public-desktop.png"))


def test_the_page_reads_on_a_phone(browser: Any, base_url: str, summary: dict[str, Any]) -> None:
    # Given a phone-width screen: 375 CSS pixels, as DevTools' device mode sets it
    phone = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    load_page(browser, base_url)
    width = browser.execute_script("return window.innerWidth")
    assert width == 375, width

    # Then nothing but the tables' own scroll boxes is wider than the screen
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= width, (page_width, width)
    # the figures are all there, the text large enough to read
    cards = {c["field"]: c for c in shown(browser, "#province-cards [data-field]")}
    assert same(cards["total"]["value"], summary["rows"]["province"]["valid"])
    font = browser.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 16
    # and every input has a label
    unlabeled = browser.execute_script(
        "return Array.from(document.querySelectorAll('input')).filter(i => !i.labels || !i.labels.length).length"
    )
    assert unlabeled == 0

    OUTPUT.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**phone, "height": int(height)})
    browser.save_screenshot(str(OUTPUT / "public-375.png"))
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- hot words, profiles and warnings for people ------------------------------------------------


def test_hot_words_of_a_subject_in_scope(api: Api, ratings: list[dict[str, Any]]) -> None:
    headers = bearer(issue_token("department", GUIYANG["department"]))
    answer = api.get(f"/v1/hotwords/department/{GUIYANG['department']}?polarity=bad&{PERIOD}", headers)
    assert answer.status == 200, answer
    words = {w["word"]: w["count"] for w in answer.json()}
    assert words["多头跑"] == sum(
        1 for r in ratings if r["satisfaction"] < 3 and r["subjects"]["department"] == GUIYANG["department"]
    )
    assert all(set(w) == {"word", "count"} for w in answer.json())


def test_a_profile_has_tags_trend_and_rank_among_peers(
    api: Api, admin_headers: dict[str, str], ratings: list[dict[str, Any]]
) -> None:
    answer = api.get(f"/v1/profiles/window/{GUIYANG['window']}", admin_headers)
    assert answer.status == 200, answer
    profile = answer.json()
    assert profile["code"] == GUIYANG["window"] and profile["department"]["code"] == GUIYANG["department"]
    assert len(profile["trend"]) == 12 and all(
        {"month", "valid", "index"} <= set(m) for m in profile["trend"]
    )
    assert profile["valid"] >= 32 and profile["rank"] == 1 and profile["peers"] >= 2


def test_warnings_for_people_in_scope(api: Api, admin_headers: dict[str, str]) -> None:
    answer = api.get("/v1/warnings?date=2020-02-12", admin_headers)
    assert answer.status == 200, answer
    body = answer.json()
    assert body["region"] == PROVINCE and body["departments_checked"] >= 3
    assert "ticket_due" in body["rules"] and body["pending_rules"] == []
    assert all(w["rule"] != "ticket_due" or w["ticket_id"] for w in body["warnings"])
    department = bearer(issue_token("department", GUIYANG["department"]))
    mine = api.get("/v1/warnings", department)
    assert mine.status == 200 and mine.json()["departments_checked"] == 1, mine


# --- bad input -----------------------------------------------------------------------------------


def error(answer: Answer, status: int, code: str) -> dict[str, Any]:
    assert answer.status == status, answer
    body: dict[str, Any] = answer.json()
    assert body["error"] == code and body["message"], body
    return body


@pytest.mark.parametrize(
    "query",
    ["from=2020-02-29&to=2020-02-01", "from=2020-2-1", "to=yesterday", "from=2020-02-30"],
)
def test_summary_dates_malformed_or_out_of_order_are_400(api: Api, query: str) -> None:
    error(api.get(f"/v1/public/summary?{query}"), 400, "validation")


def test_bad_input_of_hot_words_and_profiles(api: Api, admin_headers: dict[str, str]) -> None:
    department = bearer(issue_token("department", GUIYANG["department"]))
    body = error(
        api.get(f"/v1/hotwords/region/{PROVINCE}?polarity=neutral", admin_headers), 400, "validation"
    )
    assert "polarity" in body["fields"]
    error(api.get(f"/v1/hotwords/region/{PROVINCE}", admin_headers), 400, "validation")
    error(api.get("/v1/hotwords/department/D99999999?polarity=good", admin_headers), 404, "not_found")
    error(api.get("/v1/hotwords/region/110000?polarity=good", admin_headers), 422, "unknown_subject")
    error(
        api.get(f"/v1/hotwords/region/{PROVINCE}?polarity=good&from=2020-03-01&to=2020-02-01", admin_headers),
        400,
        "validation",
    )
    error(api.get("/v1/profiles/window/W9999999999", admin_headers), 404, "not_found")
    error(api.get(f"/v1/profiles/department/{GUIYANG['department']}", admin_headers), 400, "validation")
    error(api.get(f"/v1/profiles/window/{OTHER_DEPARTMENT_WINDOW}", department), 403, "forbidden")
    error(api.get(f"/v1/profiles/staff/{LIUPANSHUI['staff']}", department), 403, "forbidden")
    error(
        api.get(f"/v1/hotwords/department/{LIUPANSHUI['department']}?polarity=bad", department),
        403,
        "forbidden",
    )
    error(api.get("/v1/warnings?date=2020-13-01", admin_headers), 400, "validation")
    error(api.get("/v1/warnings?region=520200000000", department), 403, "forbidden")
