"""The console (GET /console) in a real browser (Debian's chromium, headless) on the local stack: people
sign in through the local identity provider's login form (OpenID Connect, code + PKCE), walk a ticket
from open to closed through the pages, appeal with evidence and have the region's reviewer approve it,
and are refused another department's ticket. Bad input: a form sent twice, an action the ticket no
longer allows, evidence too large or of a refused type, a session that expires mid-form. Every page
passes axe-core (no serious or critical violation); phone-width screenshots go to tests/e2e/output/.

The tests use 红花岗区 (遵义市) departments, which no other e2e module rates."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import axe
from tests.e2e.conftest import Api, bearer, issue_token, new_id

pytestmark = pytest.mark.e2e

OUTPUT = Path(__file__).with_name("output")
DEPARTMENT = "D52030201"  # 红花岗区政务服务中心, under 红花岗区 520302
WINDOW = "W5203020101"
OTHER_DEPARTMENT = "D52030202"  # 红花岗区民政局
OTHER_WINDOW = "W5203020201"
REVIEWER_REGION = "520300000000"  # 遵义市: the departments' region is under it
WAIT = 20
POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'"


# --- helpers -------------------------------------------------------------------------------------


def bad_rating(api: Api, department: str, window: str) -> str:
    rating_id = new_id("con")
    answer = api.post_rating(
        {
            "rating_id": rating_id,
            "channel": "hall_pad",
            "satisfaction": 1,
            "subjects": {"department": department, "window": window},
            "tags": ["服务态度生硬"],
            "comment": "等了两个小时，电话13912345678",
            "rater": {"phone": "13912345678"},
        },
        {"x-api-key": "local-demo-key"},
    )
    assert answer.status == 201, str(answer)
    ticket_id = str(answer.json()["ticket_id"])
    admin = bearer(issue_token("admin"))
    deadline = time.monotonic() + WAIT
    while api.get(f"/v1/tickets/{ticket_id}", admin).status != 200:
        assert time.monotonic() < deadline, "the ticket never opened"
        time.sleep(0.3)
    return ticket_id


def wait(browser: Any, condition: Any, seconds: float = WAIT) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds).until(condition)


def css(browser: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, selector))


def text_of(browser: Any) -> str:
    return str(browser.execute_script("return document.getElementById('main').innerText"))


def sign_in(browser: Any, base_url: str, role: str, scope: str = "", hash_: str = "#/") -> None:
    """Through the page: 登录 → the identity provider's form → back in the console, signed in."""
    browser.get(f"{base_url}/console{hash_}")
    browser.execute_script("sessionStorage.clear()")  # whoever was signed in in this tab
    browser.refresh()
    css(browser, "#sign-in").click()
    fill_login_form(browser, role, scope)
    css(browser, "#sign-out")


def fill_login_form(browser: Any, role: str, scope: str) -> None:
    from selenium.webdriver.support.ui import Select

    wait(browser, lambda d: "/local/oidc/authorize" in d.current_url)
    Select(css(browser, "#role")).select_by_value(role)
    scope_box = css(browser, "#scope")
    scope_box.clear()
    scope_box.send_keys(scope)
    css(browser, "#sign-in").click()
    wait(browser, lambda d: "/console" in d.current_url and "code=" not in d.current_url)


def open_ticket(browser: Any, ticket_id: str) -> None:
    browser.execute_script("location.hash = arguments[0]", f"#/ticket/{ticket_id}")
    wait(browser, lambda d: f"工单 {ticket_id}" in text_of(d))


def submit(browser: Any, form_title: str, values: dict[str, str], files: list[Path] = ()) -> Any:  # type: ignore[assignment]
    """Fill the form whose heading is `form_title` and send it; the form element is returned."""
    from selenium.webdriver.support.ui import Select

    form = wait(
        browser,
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('form')).find(f => "
            "f.querySelector('h3') && f.querySelector('h3').textContent === arguments[0]) || null",
            form_title,
        ),
    )
    for name, value in values.items():
        element = form.find_element("css selector", f"[name='{name}']")
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    if files:
        chooser = form.find_element("css selector", "input[type=file]")
        browser.execute_script("arguments[0].value = ''", chooser)  # a file input adds to its files
        chooser.send_keys("\n".join(str(f) for f in files))
    form.find_element("css selector", "button[type=submit]").click()
    return form


def wait_status(browser: Any, status: str) -> None:
    wait(
        browser,
        lambda d: d.execute_script(
            "const e = document.getElementById('ticket-status'); return e && e.dataset.status === arguments[0]",
            status,
        ),
    )


def assert_accessible(browser: Any, page: str) -> None:
    try:
        axe.assert_accessible(browser)
    except AssertionError as found:
        raise AssertionError(f"{page}: {found}") from None


def ticket(api: Api, ticket_id: str) -> dict[str, Any]:
    answer = api.get(f"/v1/tickets/{ticket_id}", bearer(issue_token("admin")))
    assert answer.status == 200, str(answer)
    return answer.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("evidence")
    png = folder / "现场照片.png"
    # A real (1×1) PNG: the bucket stores what the browser sends.
    png.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
            "c0f01f0005000201a3c6e5b30000000049454e44ae426082"
        )
    )
    text = folder / "说明.txt"
    text.write_text("not an accepted type", encoding="utf-8")
    large = folder / "大图.png"
    large.write_bytes(png.read_bytes() + b"\0" * (11 * 1024 * 1024))
    return {"png": png, "text": text, "large": large}


# --- the page itself -----------------------------------------------------------------------------


class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if "style" in names or any(n.startswith("on") for n in names):
            self.problems.append(f"inline style or handler on <{tag}>")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        if tag in {"script", "link"} and re.match(r"https?://", names.get("src") or names.get("href") or ""):
            self.problems.append(f"<{tag}> from another origin")


def test_the_page_is_safe_and_small(api: Api) -> None:
    # Given the console page and its bundle
    page = api.get("/console")
    config = api.get("/console/config").json()

    # Then the page has the common policy, allowing only the IdP and the bucket besides itself
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy.startswith(POLICY)
    assert "frame-ancestors 'none'; base-uri 'none'; form-action 'self'" in policy
    for origin in config["upload_origins"]:
        assert origin in policy
    assert "'unsafe-inline'" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    checker = _Inline()
    checker.feed(page.text)
    assert checker.problems == []
    assert '<html lang="zh-CN">' in page.text
    # And the bundle is served with its content types; nothing else is
    assert api.get("/console/assets/console.js").headers["content-type"].startswith("application/javascript")
    assert api.get("/console/assets/console.css").headers["content-type"].startswith("text/css")
    assert api.get("/console/assets/console.html").status == 404
    # And the configuration names the issuer's endpoints and the console's client
    assert config["oidc"]["client_id"] == "console"
    assert config["oidc"]["token_endpoint"].endswith("/local/oidc/token")
    # And the script keeps tokens out of localStorage and URLs
    script = api.get("/console/assets/console.js").text
    assert "localStorage" not in script.replace("never localStorage", "")


def test_the_identity_provider_redeems_a_code_once_with_its_verifier(api: Api, base_url: str) -> None:
    import base64
    import hashlib
    from urllib.parse import parse_qs, urlencode, urlsplit

    discovery = api.get("/local/oidc/.well-known/openid-configuration").json()
    assert {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"} <= set(discovery)
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    request = {
        "client_id": "console",
        "response_type": "code",
        "redirect_uri": f"{base_url}/console",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    form = {"content-type": "application/x-www-form-urlencoded"}
    # An unknown department is refused on the form, nothing issued
    refused = api.request(
        "POST",
        "/local/oidc/authorize",
        headers=form,
        body=urlencode({**request, "role": "department", "scope": "D59999999"}).encode(),
    )
    assert refused.status == 400 and "location" not in refused.headers
    granted = api.request(
        "POST",
        "/local/oidc/authorize",
        headers=form,
        body=urlencode({**request, "role": "department", "scope": DEPARTMENT}).encode(),
    )
    assert granted.status == 302
    back = parse_qs(urlsplit(granted.headers["location"]).query)
    assert back["state"] == ["s1"]
    exchange = {
        "grant_type": "authorization_code",
        "code": back["code"][0],
        "redirect_uri": f"{base_url}/console",
        "client_id": "console",
    }
    wrong = api.request(
        "POST",
        "/local/oidc/token",
        headers=form,
        body=urlencode({**exchange, "code_verifier": "w" * 50}).encode(),
    )
    assert wrong.status == 400 and wrong.json()["error"] == "invalid_grant"
    # (a wrong verifier spends the code too: it is redeemed once, whatever the outcome)
    again = api.request(
        "POST",
        "/local/oidc/token",
        headers=form,
        body=urlencode({**exchange, "code_verifier": verifier}).encode(),
    )
    assert again.status == 400


# --- the department's ticket, end to end ---------------------------------------------------------


def test_a_department_walks_a_ticket_from_open_to_closed(
    browser: Any, base_url: str, api: Api, evidence: dict[str, Path]
) -> None:
    ticket_id = bad_rating(api, DEPARTMENT, WINDOW)

    # Given the department signed in through the login form
    sign_in(browser, base_url, "department", DEPARTMENT, "#/queue")
    wait(browser, lambda d: ticket_id in text_of(d))
    assert_accessible(browser, "queue")
    browser.set_window_size(390, 844)
    OUTPUT.mkdir(exist_ok=True)
    browser.save_screenshot(str(OUTPUT / "console-queue-phone.png"))
    browser.set_window_size(1280, 1000)

    # When it opens the ticket: the rating is masked as the API masks it
    open_ticket(browser, ticket_id)
    page = text_of(browser)
    assert "139****5678" in page and "13912345678" not in page
    assert "13912345678" not in browser.current_url
    assert_accessible(browser, "ticket")
    browser.set_window_size(390, 844)
    browser.save_screenshot(str(OUTPUT / "console-ticket-phone.png"))
    browser.set_window_size(1280, 1000)

    # contact: pressed twice, it is one action
    form = submit(browser, "联系评价人", {"note": "已电话联系评价人，了解情况"})
    browser.execute_script("arguments[0].requestSubmit()", form)
    wait_status(browser, "contacted")
    assert [s["action"] for s in ticket(api, ticket_id)["trail"]].count("contact") == 1

    # verify as valid, with a category
    submit(browser, "核实属实（进入整改）", {"category": "general"})
    wait_status(browser, "rectifying")

    # reply: a refused type and a file too large are refused before anything is sent
    submit(browser, "整改反馈", {"report": "已整改并培训窗口人员"}, [evidence["text"]])
    wait(browser, lambda d: "文件类型不被接受" in text_of(d))
    submit(browser, "整改反馈", {"report": "已整改并培训窗口人员"}, [evidence["large"]])
    wait(browser, lambda d: "文件过大" in text_of(d))
    assert ticket(api, ticket_id)["status"] == "rectifying"
    # then with an evidence file, uploaded through its pre-signed URL
    submit(browser, "整改反馈", {"report": "已整改并培训窗口人员"}, [evidence["png"]])
    wait_status(browser, "replied")
    replied = [s for s in ticket(api, ticket_id)["trail"] if s["action"] == "reply"]
    assert len(replied) == 1 and len(replied[0]["evidence"]) == 1

    # revisit: satisfied → closed
    submit(browser, "回访", {"satisfied": "true", "note": "评价人表示满意"})
    wait_status(browser, "closed")
    assert ticket(api, ticket_id)["status"] == "closed"
    assert css(browser, "#no-actions")


def test_an_action_the_ticket_no_longer_allows_is_a_sentence(browser: Any, base_url: str, api: Api) -> None:
    ticket_id = bad_rating(api, DEPARTMENT, WINDOW)
    sign_in(browser, base_url, "department", DEPARTMENT, f"#/ticket/{ticket_id}")
    open_ticket(browser, ticket_id)
    # Given someone else contacts the rater meanwhile (through the API)
    done = api.send_json(
        "POST",
        f"/v1/tickets/{ticket_id}/contact",
        {"note": "同事已联系"},
        bearer(issue_token("department", DEPARTMENT)),
    )
    assert done.status == 200, str(done)
    # When this page sends its contact form too
    submit(browser, "联系评价人", {"note": "我也联系了"})
    # Then the 409 is a sentence, and the page shows the ticket as it now is
    wait(browser, lambda d: "此操作现在不可办理" in d.find_element("id", "notice").text)
    wait_status(browser, "contacted")
    assert [s["action"] for s in ticket(api, ticket_id)["trail"]].count("contact") == 1


def test_a_session_that_expires_mid_form_keeps_what_was_typed(browser: Any, base_url: str, api: Api) -> None:
    ticket_id = bad_rating(api, DEPARTMENT, WINDOW)
    sign_in(browser, base_url, "department", DEPARTMENT, f"#/ticket/{ticket_id}")
    # Given a session whose token lives a few seconds more
    lifetime = 20.0
    short = issue_token_hours("department", DEPARTMENT, lifetime / 3600)
    issued = time.monotonic()
    browser.execute_script("sessionStorage.setItem('hcp.token', arguments[0]); location.reload()", short)
    open_ticket(browser, ticket_id)
    typed = "电话未接通，已发短信约定回电时间"
    css(browser, "textarea[name=note]").send_keys(typed)
    # When the person sends the form after it expired
    time.sleep(max(0.0, lifetime - 4 - (time.monotonic() - issued)))
    submit(browser, "联系评价人", {})
    # Then they sign in again and find the ticket with what they typed; nothing was sent
    fill_login_form(browser, "department", DEPARTMENT)
    open_ticket(browser, ticket_id)
    assert css(browser, "textarea[name=note]").get_attribute("value") == typed
    assert ticket(api, ticket_id)["status"] == "open"
    submit(browser, "联系评价人", {})
    wait_status(browser, "contacted")
    trail = ticket(api, ticket_id)["trail"]
    assert [s["note"] for s in trail if s["action"] == "contact"] == [typed]


def issue_token_hours(role: str, scope: str, hours: float) -> str:
    import subprocess
    import sys

    from tests.e2e.conftest import PROJECT_ROOT

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.local",
            "token",
            "--role",
            role,
            "--scope",
            scope,
            "--hours",
            str(hours),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_a_department_cannot_open_another_departments_ticket(browser: Any, base_url: str, api: Api) -> None:
    theirs = bad_rating(api, OTHER_DEPARTMENT, OTHER_WINDOW)
    sign_in(browser, base_url, "department", DEPARTMENT, "#/queue")
    browser.execute_script("location.hash = arguments[0]", f"#/ticket/{theirs}")
    wait(browser, lambda d: "无权查看或办理" in text_of(d) or "未找到" in text_of(d))
    assert "等了两个小时" not in text_of(browser)
    answer = api.get(f"/v1/tickets/{theirs}", bearer(issue_token("department", DEPARTMENT)))
    assert answer.status in (403, 404)


# --- an appeal, decided by the region's reviewer -------------------------------------------------


def test_an_appeal_with_evidence_approved_by_the_reviewer(
    browser: Any, base_url: str, api: Api, evidence: dict[str, Path]
) -> None:
    admin = bearer(issue_token("admin"))
    before = api.get(f"/v1/indices/department/{DEPARTMENT}", admin).json()
    ticket_id = bad_rating(api, DEPARTMENT, WINDOW)
    rating_id = ticket(api, ticket_id)["rating_id"]

    # Given the department contacts, then appeals as a misrating with an evidence file
    sign_in(browser, base_url, "department", DEPARTMENT, f"#/ticket/{ticket_id}")
    open_ticket(browser, ticket_id)
    submit(browser, "联系评价人", {"note": "已联系"})
    wait_status(browser, "contacted")
    submit(
        browser,
        "申诉：误评或恶意评价",
        {"finding": "misrating", "reason": "评价人选错了窗口"},
        [evidence["png"]],
    )
    wait_status(browser, "appealing")
    css(browser, "#sign-out").click()

    # When the region's reviewer, signed in separately, approves it
    sign_in(browser, base_url, "reviewer", REVIEWER_REGION, "#/appeals")
    wait(browser, lambda d: ticket_id in text_of(d))
    assert_accessible(browser, "appeals")
    open_ticket(browser, ticket_id)
    assert "证据 1 份" in text_of(browser)
    # (the evidence opens: a download link of the cited version, from the API)
    key = css(browser, "button[data-evidence]").get_attribute("data-evidence")
    link = api.get(
        f"/v1/tickets/{ticket_id}/evidence/{key.rsplit('/', 1)[1]}",
        bearer(issue_token("reviewer", REVIEWER_REGION)),
    )
    assert link.status == 200 and link.json()["content_type"] == "image/png", str(link)
    css(browser, "button[data-evidence]").click()
    wait(browser, lambda d: d.find_element("css selector", "button[data-evidence]").is_enabled())
    assert browser.find_element("id", "notice").text == ""  # the link was handed out, no refusal
    browser.switch_to.window(browser.window_handles[0])
    submit(browser, "申诉审核", {"approve": "true", "reason": "证据属实"})
    wait_status(browser, "invalid")

    # Then the rating is invalid and the figures moved
    rating = api.get(f"/v1/ratings/{rating_id}", admin).json()
    assert rating["valid"] is False
    deadline = time.monotonic() + WAIT
    while True:
        after = api.get(f"/v1/indices/department/{DEPARTMENT}", admin).json()
        if after["invalid"] == before["invalid"] + 1:
            break
        assert time.monotonic() < deadline, f"figures did not move: {before['invalid']} → {after['invalid']}"
        time.sleep(0.5)
    browser.execute_script("location.hash = '#/figures'")
    wait(browser, lambda d: "无效评价" in text_of(d) and "近六个月" in text_of(d))
    assert_accessible(browser, "figures (reviewer)")
    browser.execute_script("location.hash = '#/rankings'")
    wait(browser, lambda d: "排名" in text_of(d) and "名次" in text_of(d))
    assert_accessible(browser, "rankings")


def test_every_other_page_passes_axe(browser: Any, base_url: str) -> None:
    sign_in(browser, base_url, "department", DEPARTMENT, "#/figures")
    wait(browser, lambda d: "窗口画像" in text_of(d))
    assert_accessible(browser, "figures (department)")
    sign_in(browser, base_url, "admin", "", "#/directory")
    wait(browser, lambda d: "目录管理" in text_of(d))
    assert_accessible(browser, "directory")
    browser.execute_script("location.hash = '#/calendar?year=2027'")
    wait(browser, lambda d: "2027 年节假日" in text_of(d))
    assert "暂定" in css(browser, "#calendar-status").text
    assert_accessible(browser, "calendar")
    css(browser, "#sign-out").click()
    css(browser, "#sign-in").click()
    wait(browser, lambda d: "/local/oidc/authorize" in d.current_url)
    assert_accessible(browser, "login form")


def test_the_months_report_has_the_apis_numbers(api: Api) -> None:
    import io

    import openpyxl

    # Given bad ratings in the region (this module's) and a reviewer of the region
    bad_rating(api, DEPARTMENT, WINDOW)
    reviewer = bearer(issue_token("reviewer", REVIEWER_REGION))
    period = "from=2026-01-01"
    # When the report is read as JSON and as a spreadsheet
    report = api.get(f"/v1/reports/{REVIEWER_REGION}?{period}", reviewer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = api.get(f"/v1/reports/{REVIEWER_REGION}?{period}&format=xlsx", {**reviewer, "Accept": xlsx})
    ranking = api.get(f"/v1/rankings/department?parent={REVIEWER_REGION}&{period}", reviewer).json()
    figures = api.get(f"/v1/indices/region/{REVIEWER_REGION}?{period}", reviewer).json()
    # Then it holds the numbers of /v1/rankings and /v1/indices, cell for cell
    assert report.status == 200 and sheet.status == 200, (str(report), str(sheet))
    body = report.json()
    assert body["rankings"]["department"]["entries"] == ranking["entries"]
    assert {k: body["figures"][k] for k in ("valid", "bad", "index")} == {
        k: figures[k] for k in ("valid", "bad", "index")
    }
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(sheet.raw))
    rows = [[c.value for c in row] for row in book["部门排名"].iter_rows(min_row=2)]
    assert [(r[1], r[3], r[5], r[6], r[8]) for r in rows] == [
        (e["code"], e["valid"], e["bad"], e["index"], e["bad_rate"]) for e in ranking["entries"]
    ]
    # And outside the reviewer's region, or in another format, it is refused
    other = bearer(issue_token("reviewer", "520100000000"))
    assert api.get(f"/v1/reports/{REVIEWER_REGION}", other).status == 403
    assert api.get(f"/v1/reports/{REVIEWER_REGION}?format=pdf", reviewer).status == 400


def test_a_department_enrols_a_device_and_shows_a_windows_qr_code(
    browser: Any, base_url: str, api: Api
) -> None:
    # Given the department signed in, on its devices tab
    sign_in(browser, base_url, "department", DEPARTMENT, "#/devices")
    wait(browser, lambda d: "登记评价器" in text_of(d))
    # When it enrols a tablet for its window
    submit(
        browser, "登记评价器（得到配对码）", {"window": WINDOW, "channel": "hall_pad", "name": "一号窗评价器"}
    )
    code = css(browser, "#pairing-code").text
    assert re.search(r"配对码 \S+", code)
    # Then the API lists it, and the window's QR code shows as an image
    listed = api.get(
        f"/v1/devices?department={DEPARTMENT}", bearer(issue_token("department", DEPARTMENT))
    ).json()
    assert "一号窗评价器" in [d["name"] for d in listed["devices"]]
    wait(browser, lambda d: "一号窗评价器" in text_of(d))
    browser.execute_script(
        "Array.from(document.querySelectorAll('button')).find(b => b.textContent.endsWith('二维码')).click()"
    )
    image = css(browser, "#qr-image")
    wait(browser, lambda d: d.execute_script("return arguments[0].naturalWidth > 0", image))
    assert_accessible(browser, "devices")
    # And revoking it is one press
    browser.execute_script(
        "Array.from(document.querySelectorAll('button')).find(b => b.textContent === '停用').click()"
    )
    wait(browser, lambda d: "已停用" in text_of(d))
