"""The console's pages: weight and requests of each, loaded cold in headless chromium on the local stack
(started in this process, as `make run` starts it), signed in through the local identity provider.

For each page: the requests the browser made for it (the document, the bundle, the configuration and
every API call the page needed) and the bytes transferred (headers and bodies, as Resource Timing's
`transferSize` counts them; the browser cache is off, so every load is a first visit). The bundle's
own size is printed too (HTML + JS + CSS, as served and gzipped, which API Gateway can do).

Run alone: .venv/bin/python -m tests.bench.console_pages"""

from __future__ import annotations

import gzip
import http.client
import json
import time
from typing import Any

from tests.bench.figures import heading, line, note, silenced

DEPARTMENT = "D52010001"
WINDOW = "W5201000101"
REVIEWER = "520100000000"
# (role, scope, page hash, a text the page shows once it is ready)
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("department", DEPARTMENT, "#/queue", "共 "),
    ("department", DEPARTMENT, "#/ticket/{ticket}", "办理记录"),
    ("department", DEPARTMENT, "#/figures", "工作人员画像"),
    ("department", DEPARTMENT, "#/devices", "窗口二维码"),
    ("reviewer", REVIEWER, "#/appeals", "待审申诉"),
    ("reviewer", REVIEWER, "#/rankings", "名次"),
    ("reviewer", REVIEWER, "#/figures", "预警"),
    ("admin", "", "#/directory", "目录管理"),
    ("admin", "", "#/calendar", "节假日"),
)
RESOURCES = """
const entries = performance.getEntriesByType('resource');
const nav = performance.getEntriesByType('navigation')[0];
return {requests: 1 + entries.length, bytes: nav.transferSize + entries.reduce((s, e) => s + e.transferSize, 0),
        api: entries.filter(e => new URL(e.name).pathname.startsWith('/v1/')).length};
"""


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def _bad_rating(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = {
        "rating_id": "bench-console-1",
        "channel": "hall_pad",
        "satisfaction": 2,
        "subjects": {"department": DEPARTMENT, "window": WINDOW},
        "tags": ["服务态度生硬"],
    }
    try:
        connection.request(
            "POST",
            "/v1/ratings",
            body=json.dumps(body).encode(),
            headers={"x-api-key": "local-demo-key", "content-type": "application/json"},
        )
        return str(json.loads(connection.getresponse().read())["ticket_id"])
    finally:
        connection.close()


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


def _until(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not get ready")
        time.sleep(0.1)


def _sign_in(driver: Any, base: str, role: str, scope: str) -> None:
    from selenium.webdriver.support.ui import Select

    driver.get(f"{base}/console#/")
    driver.execute_script("sessionStorage.clear()")
    driver.refresh()
    _until(lambda: driver.execute_script("return !!document.getElementById('sign-in')"))
    driver.find_element("id", "sign-in").click()
    _until(lambda: "/local/oidc/authorize" in driver.current_url)
    Select(driver.find_element("id", "role")).select_by_value(role)
    driver.find_element("id", "scope").send_keys(scope)
    driver.find_element("id", "sign-in").click()
    try:
        _until(lambda: driver.execute_script("return !!document.getElementById('sign-out')"))
    except TimeoutError:
        raise TimeoutError(f"not signed in: {driver.current_url} {driver.page_source[:600]}") from None


def _settled(driver: Any, ready_text: str) -> dict[str, int]:
    _until(lambda: ready_text in driver.execute_script("return document.getElementById('main').innerText"))
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 1.5:
        count = driver.execute_script("return performance.getEntriesByType('resource').length")
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        time.sleep(0.1)
    return dict(driver.execute_script(RESOURCES))


def measure() -> list[tuple[Any, ...]]:
    from infra.local import stack as local

    out: list[tuple[Any, ...]] = []
    running = local.start(port=local.free_port())
    driver = None
    try:
        port = running.api.port
        base = f"http://127.0.0.1:{port}"
        html = _get(port, "/console")
        script = _get(port, "/console/assets/console.js")
        sheet = _get(port, "/console/assets/console.css")
        bundle = len(html) + len(script) + len(sheet)
        zipped = sum(len(gzip.compress(part)) for part in (html, script, sheet))
        out.append(
            (
                "bundle (HTML + JS + CSS)",
                round(bundle / 1024, 1),
                "KB",
                f"{round(zipped / 1024, 1)} KB gzipped",
            )
        )
        ticket = _bad_rating(port)
        time.sleep(2)  # the ticket opens from the stream
        driver = _browser()
        authorize = "/local/oidc/authorize?client_id=console&response_type=code&state=s&code_challenge=x"
        driver.get(f"{base}{authorize}&code_challenge_method=S256&redirect_uri={base}/console")
        _until(lambda: driver.execute_script("return document.readyState") == "complete")
        time.sleep(1.0)  # the style sheet's entry lands once it has loaded
        login = dict(driver.execute_script(RESOURCES))
        out.append(
            ("login form (local IdP)", round(login["bytes"] / 1024, 1), "KB", f"{login['requests']} requests")
        )
        signed_in_as = None
        for role, scope, page, ready in PAGES:
            if signed_in_as != (role, scope):
                _sign_in(driver, base, role, scope)
                signed_in_as = (role, scope)
            address = f"{base}/console{page.format(ticket=ticket)}"
            driver.get("about:blank")
            driver.get(address)
            figures = _settled(driver, ready)
            out.append(
                (
                    f"{role} {page.split('/')[1]}",
                    round(figures["bytes"] / 1024, 1),
                    "KB",
                    f"{figures['requests']} requests ({figures['api']} API calls)",
                )
            )
    finally:
        if driver is not None:
            driver.quit()
        running.stop()
    return out


def main() -> None:
    heading("console pages: weight and requests, cold, in headless chromium on the local stack")
    figures = silenced(measure)
    for args in figures:
        line(*args)
    note(
        "each page loaded cold (cache off): document + console.js + console.css + /console/config + API calls"
    )


if __name__ == "__main__":
    main()
