"""The rater's side on the local stack: window tablets and kiosks (enrol, pair, rate, revoke), the
terminal screen offline first in Debian's chromium (DevTools network emulation), QR codes of windows
and cases on a phone-sized screen, and their bad input. axe-core checks the terminal and QR pages;
screenshots go to tests/e2e/output/.

Windows used here are used by no other test: 自然资源窗口 (W5201000301, 贵阳市自然资源局) for the
terminal, 市场监管窗口 (W5200000201, 贵州省市场监督管理局) for QR codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Answer, Api, bearer, issue_token, new_id

pytestmark = pytest.mark.e2e

OUTPUT = Path(__file__).with_name("output")
CST = timezone(timedelta(hours=8))
TERMINAL_DEPARTMENT, TERMINAL_WINDOW, TERMINAL_STAFF = "D52010003", "W5201000301", "S520100030101"
QR_DEPARTMENT, QR_WINDOW, QR_ITEM = "D52000002", "W5200000201", "I5200000201"
OTHER_WINDOW = "W5201000101"  # 贵阳市政务服务中心's


@pytest.fixture(scope="module")
def terminal_department() -> dict[str, str]:
    return bearer(issue_token("department", TERMINAL_DEPARTMENT))


@pytest.fixture(scope="module")
def qr_department() -> dict[str, str]:
    return bearer(issue_token("department", QR_DEPARTMENT))


def enrol(
    api: Api, headers: dict[str, str], window: str = TERMINAL_WINDOW, channel: str = "hall_pad"
) -> Answer:
    return api.send_json("POST", "/v1/devices", {"window": window, "channel": channel}, headers)


def pair(api: Api, code: str) -> Answer:
    return api.send_json("POST", "/v1/devices/pair", {"pairing_code": code})


def paired_device(api: Api, headers: dict[str, str]) -> dict[str, str]:
    enrolled = enrol(api, headers)
    assert enrolled.status == 201, enrolled
    paired = pair(api, enrolled.json()["pairing_code"])
    assert paired.status == 200, paired
    body: dict[str, str] = paired.json()
    return body


def device_rates(api: Api, token: str, body: dict[str, Any]) -> Answer:
    return api.send_json("POST", "/v1/ratings", body, bearer(token))


# --- devices over HTTP ---------------------------------------------------------------------------


def test_a_device_is_enrolled_paired_once_rates_its_window_only_and_is_refused_once_revoked(
    api: Api,
    terminal_department: dict[str, str],
    department_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    # A department cannot enrol a tablet for another department's window; a channel key cannot at all
    assert enrol(api, department_headers).status == 403
    assert enrol(api, {"x-api-key": "local-demo-key"}).status in (401, 403)
    assert enrol(api, terminal_department, channel="sms").status == 400

    # Given a tablet enrolled by its department and paired with its code
    enrolled = enrol(api, terminal_department)
    assert enrolled.status == 201, enrolled
    code = enrolled.json()["pairing_code"]
    assert re.fullmatch(r"[0-9A-Z]{10}", code)
    paired = pair(api, code.lower())  # typed in lower case, still the code
    assert paired.status == 200, paired
    device = paired.json()
    assert device["window"] == TERMINAL_WINDOW
    # A code pairs once; a forged one never
    assert pair(api, code).status == 400
    forged = pair(api, "ABCDEFGHJK")
    assert forged.status == 400 and forged.json()["error"] == "validation"

    # The department names who serves at the window
    staff = api.send_json(
        "PUT",
        f"/v1/devices/{device['device_id']}/staff",
        {"staff": TERMINAL_STAFF, "title": "综合受理员"},
        terminal_department,
    )
    assert staff.status == 200, staff
    assert (
        api.send_json(
            "PUT", f"/v1/devices/{device['device_id']}/staff", {"staff": "S520100010101"}, terminal_department
        ).status
        == 422
    )
    profile = api.get("/v1/devices/me", bearer(device["device_token"])).json()
    assert profile["staff"] == {"code": TERMINAL_STAFF, "name": "工号 0015", "title": "综合受理员"}
    assert profile["window"]["name"] == "自然资源窗口" and "服务态度生硬" in profile["tags"]["bad"]

    # When it rates: channel, window, department and staff come from the device
    rating_id = new_id("dev")
    answer = device_rates(api, device["device_token"], {"rating_id": rating_id, "satisfaction": 4})
    assert answer.status == 201, answer
    stored = api.get(f"/v1/ratings/{rating_id}", admin_headers).json()
    assert stored["channel"] == "hall_pad"
    assert stored["subjects"] == {
        "department": TERMINAL_DEPARTMENT,
        "window": TERMINAL_WINDOW,
        "staff": TERMINAL_STAFF,
    }
    assert stored["channel_key"] == f"device:{device['device_id']}"
    # The same rating again is the same rating
    assert (
        device_rates(api, device["device_token"], {"rating_id": rating_id, "satisfaction": 4}).status == 200
    )

    # Bad input: another window; a tampered credential; a clock far in the future; a queue too old
    other = device_rates(
        api, device["device_token"], {"satisfaction": 5, "subjects": {"window": OTHER_WINDOW}}
    )
    assert other.status == 403, other
    tampered = device["device_token"][:-4] + (
        "AAAA" if not device["device_token"].endswith("AAAA") else "BBBB"
    )
    assert device_rates(api, tampered, {"satisfaction": 5}).status == 401
    future = (datetime.now(CST) + timedelta(days=30)).isoformat(timespec="seconds")
    answer = device_rates(api, device["device_token"], {"satisfaction": 5, "rated_at": future})
    assert answer.status == 400 and "rated_at" in answer.json()["fields"], answer
    old = (datetime.now(CST) - timedelta(days=8)).isoformat(timespec="seconds")
    answer = device_rates(api, device["device_token"], {"satisfaction": 5, "rated_at": old})
    assert answer.status == 400 and "rated_at" in answer.json()["fields"], answer

    # The devices are listed for their department, never with their credential
    listed = api.get(f"/v1/devices?department={TERMINAL_DEPARTMENT}", terminal_department)
    assert listed.status == 200
    assert device["device_id"] in {d["device_id"] for d in listed.json()["devices"]}
    assert "token" not in listed.text and device["device_token"] not in listed.text
    assert api.get(f"/v1/devices?department={TERMINAL_DEPARTMENT}", department_headers).status == 403

    # When it is revoked, its very next rating is refused
    revoked = api.request("DELETE", f"/v1/devices/{device['device_id']}", headers=terminal_department)
    assert revoked.status == 204
    refused = device_rates(api, device["device_token"], {"satisfaction": 5})
    assert refused.status == 401 and refused.json()["error"] == "unauthenticated"
    assert api.get("/v1/devices/me", bearer(device["device_token"])).status == 401
    # A device credential is no person's token
    assert api.get(f"/v1/ratings/{rating_id}", bearer(device["device_token"])).status in (401, 403)


# --- QR codes over HTTP --------------------------------------------------------------------------


def window_link(api: Api, headers: dict[str, str]) -> str:
    answer = api.get(f"/v1/qrcodes/window/{QR_WINDOW}?format=json", headers)
    assert answer.status == 200, answer
    assert answer.json()["expires_at"] is None
    url: str = answer.json()["url"]
    return url


def token_of(url: str) -> str:
    return urlsplit(url).query.removeprefix("t=")


def qr_rating(api: Api, body: dict[str, Any], cookie: str | None = None) -> Answer:
    headers = {"Cookie": f"hcp_b={cookie}"} if cookie else {}
    return api.send_json("POST", "/v1/qr-ratings", body, headers)


def test_window_codes_are_drawn_for_people_in_scope_and_refuse_forgeries_and_floods(
    api: Api, qr_department: dict[str, str], department_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    # The code is drawn as SVG and PNG, for people in scope only
    svg = api.get(f"/v1/qrcodes/window/{QR_WINDOW}", qr_department)
    assert svg.status == 200 and svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.raw
    png = api.get(f"/v1/qrcodes/window/{QR_WINDOW}?format=png", {**qr_department, "Accept": "image/png"})
    assert png.status == 200 and png.raw.startswith(b"\x89PNG")
    assert api.get(f"/v1/qrcodes/window/{QR_WINDOW}?format=json", department_headers).status == 403
    assert (
        api.get(f"/v1/qrcodes/window/{QR_WINDOW}?format=json", {"x-api-key": "local-demo-key"}).status == 403
    )

    url = window_link(api, qr_department)
    token = token_of(url)
    # The page for a good link sets the browser's cookie and carries the project's headers
    page = api.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert page.status == 200 and "市场监管窗口" in page.text
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"

    # Forged, tampered and malformed links: a clear page in Chinese and a 400, nothing stored
    payload = token.split(".")[2]
    forged_payload = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    for bad in (token[:-3] + "abc", token.replace(payload, forged_payload), "v1.deadbeef.e30.AAAA", "x"):
        shown = api.get(f"/rate?t={bad}", {"Accept": "text/html,application/xhtml+xml"})
        assert shown.status == 400 and "评价链接无效" in shown.text, bad
        assert shown.headers["content-type"].startswith("text/html")
        as_json = api.get(f"/rate?t={bad}")
        assert as_json.status == 400 and as_json.json()["error"] == "invalid_link"
        refused = qr_rating(api, {"t": bad, "satisfaction": 5}, "b" * 24)
        assert refused.status == 400 and refused.json()["error"] == "invalid_link"

    # A flood from one browser: the province's limit per browser and window per day, then 429
    browser = new_id("b").replace("-", "")[:24]
    made = []
    for _ in range(3):
        answer = qr_rating(api, {"t": token, "satisfaction": 5}, browser)
        assert answer.status == 201, answer
        made.append(answer.json()["rating_id"])
    flood = qr_rating(api, {"t": token, "satisfaction": 5}, browser)
    assert flood.status == 429 and flood.json()["error"] == "throttled" and flood.headers.get("retry-after")
    # and no cookie at all is refused too (the page sets one)
    assert qr_rating(api, {"t": token, "satisfaction": 5}).status == 429
    stored = api.get(f"/v1/ratings/{made[0]}", admin_headers).json()
    assert stored["channel"] == "qrcode" and stored["subjects"]["window"] == QR_WINDOW


def record_case(api: Api, completed: datetime, phone: str = "13900001234") -> str:
    case_no = new_id("QR")
    body = {
        "case_no": case_no,
        "item": QR_ITEM,
        "department": QR_DEPARTMENT,
        "region": "520000",
        "window": QR_WINDOW,
        "applicant_phone": phone,
        "completed_at": completed.isoformat(timespec="seconds"),
    }
    api.remember({"phone": phone})
    answer = api.send_json("POST", "/v1/cases", body, {"x-api-key": "local-demo-key"})
    assert answer.status == 202, answer
    return case_no


def test_a_case_code_rates_its_case_once_and_an_online_link_rates_on_its_channel(
    api: Api, qr_department: dict[str, str], admin_headers: dict[str, str]
) -> None:
    case_no = record_case(api, datetime.now(CST) - timedelta(hours=1))
    # The case system's channel key draws a case's code; its link expires with the rating period
    answer = api.get(f"/v1/qrcodes/case/{case_no}?format=json", {"x-api-key": "local-demo-key"})
    assert answer.status == 200, answer
    expires = datetime.fromisoformat(answer.json()["expires_at"])
    assert timedelta(days=14) < expires - datetime.now(CST) < timedelta(days=15)
    token = token_of(answer.json()["url"])
    first = qr_rating(api, {"t": token, "satisfaction": 2, "tags": ["多头跑"]})
    assert first.status == 201, first
    assert first.json()["ticket_id"]
    again = qr_rating(api, {"t": token, "satisfaction": 5})
    assert again.status == 409 and again.json()["error"] == "case_already_rated"
    stored = api.get(f"/v1/ratings/{first.json()['rating_id']}", admin_headers).json()
    assert stored["channel"] == "qrcode" and stored["case_no"] == case_no

    # An online case's signed link (一事一评) rates on channel mobile
    online = record_case(api, datetime.now(CST) - timedelta(hours=2))
    link = api.get(f"/v1/qrcodes/case/{online}?format=json&channel=mobile", qr_department)
    assert link.status == 200, link
    rated = qr_rating(api, {"t": token_of(link.json()["url"]), "satisfaction": 5})
    assert rated.status == 201, rated
    assert api.get(f"/v1/ratings/{rated.json()['rating_id']}", admin_headers).json()["channel"] == "mobile"

    # A case past its rating period gets no link; an unknown case none either
    late = record_case(api, datetime.now(CST) - timedelta(days=16))
    expired = api.get(f"/v1/qrcodes/case/{late}?format=json", qr_department)
    assert expired.status == 400 and expired.json()["error"] == "invalid_link"
    assert api.get("/v1/qrcodes/case/NO-SUCH-CASE?format=json", qr_department).status == 404


# --- the screens in a browser --------------------------------------------------------------------


def start_chromium(width: int, height: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture()
def tablet() -> Iterator[Any]:
    driver = start_chromium(1280, 800)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture()
def phone() -> Iterator[Any]:
    driver = start_chromium(500, 900)
    # Headless chromium's window is at least 500 px wide: the phone's 375 px come from device emulation.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, condition: Any, seconds: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)


def body_data(driver: Any, name: str) -> str | None:
    return driver.execute_script("return document.body.dataset[arguments[0]]", name)  # type: ignore[no-any-return]


def step(driver: Any) -> str | None:
    return driver.execute_script("var r = document.getElementById('rating'); return r && r.dataset.step")  # type: ignore[no-any-return]


def shot(driver: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{name}.png"))


def offline(driver: Any, off: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": off, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def tap_rating(driver: Any, level: int, tags: int = 0, comment: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    wait(driver, lambda d: step(d) == "levels")
    driver.find_element(By.CSS_SELECTOR, f"button[data-level='{level}']").click()
    wait(driver, lambda d: step(d) == "details")
    for box in driver.find_elements(By.CSS_SELECTOR, "label.tag")[:tags]:
        box.click()
    if comment:
        driver.find_element(By.ID, "comment").send_keys(comment)
    driver.find_element(By.ID, "submit").click()


def back_to_start(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    wait(driver, lambda d: step(d) == "thanks")
    driver.find_element(By.ID, "again").click()


def queued(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_async_script(  # type: ignore[no-any-return]
        """
        const done = arguments[0];
        const r = indexedDB.open("haochaping-terminal");
        r.onsuccess = () => {
          const q = r.result.transaction("queue").objectStore("queue").getAll();
          q.onsuccess = () => done(q.result);
        };
        """
    )


def test_the_terminal_pairs_rates_and_keeps_ratings_through_an_outage_and_a_reload(
    tablet: Any, base_url: str, api: Api, terminal_department: dict[str, str], admin_headers: dict[str, str]
) -> None:
    from selenium.webdriver.common.by import By

    # Given a tablet enrolled by its department, with who serves at the window
    enrolled = enrol(api, terminal_department).json()
    # When the pairing code is typed on the tablet
    tablet.get(f"{base_url}/terminal")
    wait(tablet, lambda d: body_data(d, "state") == "pairing")
    assert tablet.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert_accessible(tablet)
    shot(tablet, "terminal-pairing")
    tablet.find_element(By.ID, "pairing-code").send_keys("ABCDEFGHJK")
    tablet.find_element(By.CSS_SELECTOR, "#pair-form button").click()
    wait(tablet, lambda d: "配对码无效" in d.find_element(By.ID, "pair-error").text)
    tablet.find_element(By.ID, "pairing-code").clear()
    tablet.find_element(By.ID, "pairing-code").send_keys(enrolled["pairing_code"])
    tablet.find_element(By.CSS_SELECTOR, "#pair-form button").click()
    wait(tablet, lambda d: step(d) == "levels")
    assert "自然资源窗口" in tablet.find_element(By.ID, "window").text
    # No credential in localStorage or the address
    assert tablet.execute_script("return window.localStorage.length") == 0
    assert "hcpd_" not in tablet.current_url
    words = [b.text for b in tablet.find_elements(By.CSS_SELECTOR, "button.level")]
    assert words == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    sizes = tablet.execute_script(
        "return Array.from(document.querySelectorAll('button.level'), b => [b.offsetWidth, b.offsetHeight])"
    )
    assert all(w >= 64 and h >= 64 for w, h in sizes), sizes
    assert_accessible(tablet)
    shot(tablet, "terminal-levels")

    # A bad rating needs its reason (the province requires one): a tag or a comment
    tablet.find_element(By.CSS_SELECTOR, "button[data-level='2']").click()
    wait(tablet, lambda d: step(d) == "details")
    assert "服务态度生硬" in tablet.find_element(By.CSS_SELECTOR, "fieldset.tags").text
    assert "手机号码仅用于" in tablet.find_element(By.ID, "pipl").text
    assert_accessible(tablet)
    shot(tablet, "terminal-details")
    tablet.find_element(By.ID, "submit").click()
    wait(tablet, lambda d: "至少选择一项原因" in d.find_element(By.ID, "reason-hint").text)
    tablet.find_element(By.CSS_SELECTOR, "label.tag").click()
    tablet.find_element(By.ID, "submit").click()
    wait(tablet, lambda d: step(d) == "thanks")
    assert_accessible(tablet)
    shot(tablet, "terminal-thanks")
    wait(tablet, lambda d: body_data(d, "pending") == "0")
    back_to_start(tablet)

    # When the network goes away and three people rate
    offline(tablet, True)
    for level in (5, 4, 3):
        tap_rating(tablet, level, tags=1)
        back_to_start(tablet)
    wait(tablet, lambda d: body_data(d, "pending") == "3", 15)
    tapped = {r["rating_id"]: r["rated_at"] for r in queued(tablet)}
    assert len(tapped) == 3
    # and the page is reloaded while offline: the screen comes back with its queue
    tablet.refresh()
    wait(tablet, lambda d: step(d) == "levels")
    assert body_data(tablet, "pending") == "3"
    assert tablet.find_element(By.ID, "pending").text == "3"
    shot(tablet, "terminal-offline-queue")
    for rating_id in tapped:
        assert api.get(f"/v1/ratings/{rating_id}", admin_headers).status == 404

    # Then, the network back, exactly those three are stored, with the times they were tapped
    offline(tablet, False)
    tablet.execute_script("window.dispatchEvent(new Event('online'))")
    wait(tablet, lambda d: body_data(d, "pending") == "0", 60)
    for rating_id, rated_at in tapped.items():
        stored = api.get(f"/v1/ratings/{rating_id}", admin_headers)
        assert stored.status == 200, stored
        assert datetime.fromisoformat(stored.json()["rated_at"]) == datetime.fromisoformat(rated_at)
        assert stored.json()["channel"] == "hall_pad"
    assert body_data(tablet, "refused") == "0"

    # A rating tapped on a clock far in the future is refused for good: it leaves the queue, counted
    future = (datetime.now(CST) + timedelta(days=40)).isoformat(timespec="seconds")
    tablet.execute_async_script(
        """
        const [rating, done] = arguments;
        const r = indexedDB.open("haochaping-terminal");
        r.onsuccess = () => {
          const t = r.result.transaction("queue", "readwrite");
          t.objectStore("queue").put(rating);
          t.oncomplete = () => { window.dispatchEvent(new Event("online")); done(); };
        };
        """,
        {"rating_id": new_id("future"), "satisfaction": 5, "rated_at": future},
    )
    wait(tablet, lambda d: body_data(d, "refused") == "1" and body_data(d, "pending") == "0", 60)
    assert tablet.find_element(By.ID, "refused").text == "1"

    # When the device is revoked, its next rating is refused and kept, shown on the screen
    device_id = enrolled["device_id"]
    assert api.request("DELETE", f"/v1/devices/{device_id}", headers=terminal_department).status == 204
    tap_rating(tablet, 5)
    wait(tablet, lambda d: body_data(d, "revoked") == "true", 30)
    assert body_data(tablet, "pending") == "1"
    assert tablet.find_element(By.ID, "revoked").is_displayed()
    kept = queued(tablet)
    assert len(kept) == 1
    wait(tablet, lambda d: body_data(d, "state") == "pairing")
    shot(tablet, "terminal-revoked")

    # Paired again (a new code), the kept rating is sent
    again = enrol(api, terminal_department).json()
    tablet.find_element(By.ID, "pairing-code").send_keys(again["pairing_code"])
    tablet.find_element(By.CSS_SELECTOR, "#pair-form button").click()
    wait(tablet, lambda d: body_data(d, "pending") == "0" and body_data(d, "revoked") == "false", 60)
    assert api.get(f"/v1/ratings/{kept[0]['rating_id']}", admin_headers).status == 200


def test_a_window_code_on_a_phone_and_a_case_code_rated_once(
    phone: Any, base_url: str, api: Api, qr_department: dict[str, str], admin_headers: dict[str, str]
) -> None:
    from selenium.webdriver.common.by import By

    # A window's code opened on a 375 px phone
    url = window_link(api, qr_department)
    phone.get(url)
    wait(phone, lambda d: body_data(d, "ready") == "true")
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 375
    assert "市场监管窗口" in phone.find_element(By.ID, "window").text
    assert_accessible(phone)
    shot(phone, "qr-window-375")
    tap_rating(phone, 1, comment="等了很久")
    wait(phone, lambda d: step(d) == "thanks")
    assert_accessible(phone)
    shot(phone, "qr-window-thanks-375")

    # A case's code: rated once; opened again, it says so
    case_no = record_case(api, datetime.now(CST) - timedelta(hours=1), phone="13900005678")
    link = api.get(f"/v1/qrcodes/case/{case_no}?format=json", qr_department).json()["url"]
    phone.get(link)
    wait(phone, lambda d: body_data(d, "ready") == "true")
    assert case_no in phone.find_element(By.ID, "case").text
    tap_rating(phone, 5, tags=1)
    wait(phone, lambda d: step(d) == "thanks")
    phone.get(link)
    wait(phone, lambda d: body_data(d, "outcome") == "already_rated")
    assert "该办件已评价" in phone.find_element(By.ID, "rating").text
    shot(phone, "qr-case-already-rated")
    again = qr_rating(api, {"t": token_of(link), "satisfaction": 5})
    assert again.status == 409 and again.json()["error"] == "case_already_rated"

    # A forged link: the refusal page in Chinese
    phone.get(f"{base_url}/rate?t=v1.00000000.e30.AAAA")
    assert "评价链接无效" in phone.find_element(By.ID, "link-refused").text
    assert not phone.find_element(By.ID, "rating").is_displayed()
    assert_accessible(phone)
    shot(phone, "qr-invalid")
