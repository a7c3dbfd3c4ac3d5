"""The e2e tier: the local stack started the way `make run` starts it, spoken to over a real socket.

One stack serves the whole session (it takes a few seconds to start). Everything the server prints goes
to a log file, so that the tier can check at the end that no rater's phone number or name was logged.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIRECTORY = PROJECT_ROOT / "infra" / "provinces" / "guizhou_directory.csv"
READY_LINE = "haochaping local stack on http://"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

CHANNEL_KEY = "local-demo-key"
TICKET_CLOCK = "@18000"
PROVINCE = "520000000000"
# Demo directory codes (infra/provinces/guizhou_directory.csv).
DEPARTMENT = "D52010001"  # 贵阳市政务服务中心, under 贵阳市 520100000000
DEPARTMENT_ITEM = "I5201000101"
DEPARTMENT_WINDOW = "W5201000101"
DEPARTMENT_STAFF = "S520100010101"
OTHER_DEPARTMENT = "D52010002"  # 贵阳市人力资源和社会保障局, also in 贵阳市
OTHER_DEPARTMENT_WINDOW = "W5201000201"
CITY = "520100000000"  # 贵阳市
OTHER_CITY = "520200000000"  # 六盘水市

# --- the stack ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class SentPersonalData:
    """Every rater phone number and name the tier has sent; none may ever appear in the server's log."""

    values: set[str] = field(default_factory=set)

    def add(self, rater: Mapping[str, Any] | None) -> None:
        for key in ("phone", "name", "id_number"):
            value = (rater or {}).get(key)
            if isinstance(value, str) and value.strip():
                self.values.add(value.strip())

    def leaked_into(self, text: str) -> list[str]:
        """The values found in `text`, as sent or JSON-escaped (a logger may write \\uXXXX), standing
        alone: a test phone such as 12345678901 inside the account id 123456789012 is not that phone."""

        def found(form: str) -> bool:
            return re.search(rf"(?<![0-9A-Za-z]){re.escape(form)}(?![0-9A-Za-z])", text) is not None

        return sorted(
            value
            for value in self.values
            if found(value) or found(json.dumps(value, ensure_ascii=True)[1:-1])
        )


@pytest.fixture(scope="session")
def sent_personal_data() -> SentPersonalData:
    return SentPersonalData()


@contextmanager
def running_stack(log_path: Path, sent_personal_data: SentPersonalData) -> Iterator[Stack]:
    """`python -m infra.local run` (what `make run` runs) on a free port; stopped with Ctrl-C (SIGINT)."""
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("LOCAL_API_KEYS", None)  # the tier uses the documented default key
    # Tickets' deadlines pass in seconds: their clock runs 18,000 times as fast (a day in 4.8 s).
    env.setdefault("TICKET_CLOCK", TICKET_CLOCK)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "run", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Stack(base_url="", process=process, log_path=log_path)
    try:
        running.base_url = _wait_until_ready(running)
        yield running
    finally:
        _stop(process)
    leaked = sent_personal_data.leaked_into(running.log_text())
    assert not leaked, f"the server's log holds rater personal data: {leaked}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, sent_personal_data: SentPersonalData) -> Iterator[Stack]:
    """The stack the exact tests share; each test leaves it as any other test may find it (new ids,
    new codes), so that they pass in any order."""
    with running_stack(tmp_path_factory.mktemp("stack") / "server.log", sent_personal_data) as running:
        yield running


@pytest.fixture(autouse=True)
def no_personal_data_in_the_log(
    request: pytest.FixtureRequest, sent_personal_data: SentPersonalData
) -> Iterator[None]:
    """After every test that talked to a stack: no phone number or name it sent is in the server's log,
    so a leak is reported by the test that caused it, whatever order the tests run in."""
    yield
    for name in ("stack", "fuzz_stack"):
        if name in request.fixturenames:
            running: Stack = request.getfixturevalue(name)
            leaked = sent_personal_data.leaked_into(running.log_text())
            assert not leaked, f"the server's log holds rater personal data: {leaked}"


def _wait_until_ready(running: Stack) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in running.log_text().splitlines():
            if line.startswith(READY_LINE):
                return line.split()[4]  # "haochaping local stack on http://127.0.0.1:PORT (..."
        if running.process.poll() is not None:
            pytest.fail(f"the local stack exited with {running.process.returncode}:\n{running.log_text()}")
        time.sleep(0.1)
    pytest.fail(f"no {READY_LINE!r} line within {START_TIMEOUT:.0f} s:\n{running.log_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def base_url(stack: Stack) -> str:
    return stack.base_url


# --- HTTP over a real socket ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.raw)

    def __str__(self) -> str:
        return f"{self.status} {self.raw[:600].decode('utf-8', errors='replace')}"


class Api:
    """A small client on http.client: every call is a new connection, bodies are sent as given."""

    def __init__(self, base_url: str, sent_personal_data: SentPersonalData) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._sent = sent_personal_data

    def remember(self, rater: Any) -> None:
        """Note a rater's personal data as sent (the log check looks for it at the end)."""
        if isinstance(rater, Mapping):
            self._sent.add(rater)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def send_json(
        self,
        method: str,
        path: str,
        payload: Any,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        if isinstance(payload, Mapping):
            self.remember(payload.get("rater"))
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self.request(
            method, path, headers={**(headers or {}), "Content-Type": content_type}, body=body
        )

    def post_rating(self, payload: Any, headers: Mapping[str, str]) -> Answer:
        return self.send_json("POST", "/v1/ratings", payload, headers)

    def put_entry(self, kind: str, code: str, payload: Any, headers: Mapping[str, str]) -> Answer:
        return self.send_json("PUT", f"/v1/directory/{kind}/{code}", payload, headers)


@pytest.fixture(scope="session")
def api(base_url: str, sent_personal_data: SentPersonalData) -> Api:
    return Api(base_url, sent_personal_data)


# --- credentials ---------------------------------------------------------------------------------


def issue_token(role: str, scope: str = "") -> str:
    """`python -m infra.local token --role ROLE --scope CODE`, as a person would run it."""
    command = [sys.executable, "-m", "infra.local", "token", "--role", role]
    if scope:
        command += ["--scope", scope]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(command[1:])} failed: {done.stderr}"
    token = done.stdout.strip()
    assert token.count(".") == 2, f"not a JWT: {token!r}"
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def channel_headers() -> dict[str, str]:
    return {"x-api-key": CHANNEL_KEY}


@pytest.fixture(scope="session")
def admin_token() -> str:
    return issue_token("admin")


@pytest.fixture(scope="session")
def admin_headers(admin_token: str) -> dict[str, str]:
    return bearer(admin_token)


@pytest.fixture(scope="session")
def department_headers() -> dict[str, str]:
    return bearer(issue_token("department", DEPARTMENT))


@pytest.fixture(scope="session")
def reviewer_headers() -> dict[str, str]:
    """A reviewer at 贵阳市's administration office: the city and everything under it."""
    return bearer(issue_token("reviewer", CITY))


@pytest.fixture(scope="session")
def other_city_reviewer_headers() -> dict[str, str]:
    return bearer(issue_token("reviewer", OTHER_CITY))


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryRow:
    kind: str
    code: str
    name: str
    parent: str


@pytest.fixture(scope="session")
def demo_directory() -> list[DirectoryRow]:
    with DEMO_DIRECTORY.open(encoding="utf-8", newline="") as f:
        return [DirectoryRow(r["kind"], r["code"], r["name"], r["parent"]) for r in csv.DictReader(f)]


def new_id(prefix: str = "e2e") -> str:
    """A client rating_id (8-64 of [A-Za-z0-9_-]) that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex}"


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, through its chromedriver: one per test module."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
