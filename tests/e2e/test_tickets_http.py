"""A bad rating's ticket walked through every path over HTTP on the local stack (`make run`): the
ratings stream opens it, the embedded Step Functions runs the real ASL, actions drive it, and
reminders and escalations appear in the server's log where the ticket-events queue delivers them.

The stack's ticket clock runs 18,000 times as fast (tests/e2e/conftest.py), so a working day passes
in about five seconds."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import CITY, DEPARTMENT, DEPARTMENT_WINDOW, Api, Stack, new_id

pytestmark = pytest.mark.e2e


def _until(check: Callable[[], Any], timeout: float = 20, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")


def _bad_rating(api: Api, channel_headers: dict[str, str], headers: dict[str, str]) -> tuple[str, str]:
    rating_id = new_id("tk")
    answer = api.post_rating(
        {
            "rating_id": rating_id,
            "channel": "hall_pad",
            "satisfaction": 1,
            "subjects": {"department": DEPARTMENT, "window": DEPARTMENT_WINDOW},
            "tags": ["服务态度生硬"],  # the demo province requires a bad rating's reason
            # a named rater: the stream hands the sealed data base64-encoded, and no log may show it
            "rater": {"phone": "13912345678", "name": "王小明"},
        },
        channel_headers,
    )
    assert answer.status == 201, answer
    ticket_id = answer.json()["ticket_id"]
    _until(lambda: api.get(f"/v1/tickets/{ticket_id}", headers).status == 200)
    return rating_id, str(ticket_id)


def _act(api: Api, ticket_id: str, action: str, body: Any, headers: dict[str, str], status: int = 200) -> Any:
    answer = api.send_json("POST", f"/v1/tickets/{ticket_id}/{action}", body, headers)
    assert answer.status == status, answer
    return answer.json()


PDF = b"%PDF-1.4 evidence"


def post_form(upload: dict[str, Any], content: bytes, content_type: str) -> int:
    """Sends a pre-signed POST as a browser form does: every field, then the file last."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in upload["fields"].items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="evidence"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        upload["url"],
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as done:
            return int(done.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def _issue(api: Api, ticket_id: str, headers: dict[str, str], content_type: str, size: int) -> dict[str, Any]:
    body = {"content_type": content_type, "size": size}
    answer = api.send_json("POST", f"/v1/tickets/{ticket_id}/evidence", body, headers)
    assert answer.status == 201, answer
    return dict(answer.json())


def _evidence(api: Api, ticket_id: str, headers: dict[str, str]) -> str:
    issued = _issue(api, ticket_id, headers, "application/pdf", len(PDF))
    assert post_form(issued["upload"], PDF, "application/pdf") in (200, 201, 204)
    return str(issued["key"])


def _ended(api: Api, rating_id: str, headers: dict[str, str]) -> dict[str, Any]:
    def finished() -> Any:
        ticket = api.get(f"/v1/ratings/{rating_id}", headers).json()["ticket"]
        return ticket if ticket and ticket["finished"] else None

    return dict(_until(finished))


def _events(stack: Stack, ticket_id: str) -> list[dict[str, Any]]:
    marker = "ticket event: "
    found = []
    for line in stack.log_text().splitlines():
        if marker not in line:
            continue
        if line.startswith("{"):  # Powertools' JSON form of the record
            line = json.loads(line).get("message", "")
            if marker not in line:
                continue
        event = json.loads(line.split(marker, 1)[1])
        if event["ticket_id"] == ticket_id:
            found.append(event)
    return found


def test_happy_path_over_http(
    api: Api, stack: Stack, channel_headers: dict[str, str], department_headers: dict[str, str]
) -> None:
    rating_id, ticket_id = _bad_rating(api, channel_headers, department_headers)
    key = _evidence(api, ticket_id, department_headers)
    _act(api, ticket_id, "contact", {"note": "called the rater"}, department_headers)
    _act(api, ticket_id, "verify", {"finding": "valid", "category": "general"}, department_headers)
    _act(api, ticket_id, "reply", {"report": "staff retrained", "evidence": [key]}, department_headers)
    closed = _act(api, ticket_id, "revisit", {"satisfied": True}, department_headers)
    assert closed["status"] == "closed"
    assert [e["action"] for e in closed["trail"]] == ["contact", "verify", "reply", "revisit"]
    outcome = _ended(api, rating_id, department_headers)
    assert outcome["status"] == "closed" and outcome["rectified"] and outcome["replied"]
    _until(lambda: {"opened", "replied", "closed"} <= {e["event"] for e in _events(stack, ticket_id)})


def test_a_missed_deadline_is_reminded_escalated_and_the_late_action_taken(
    api: Api, stack: Stack, channel_headers: dict[str, str], department_headers: dict[str, str]
) -> None:
    rating_id, ticket_id = _bad_rating(api, channel_headers, department_headers)
    # nobody acts: a reminder, then the escalation to 贵阳市 appear in the log
    _until(lambda: "escalated" in {e["event"] for e in _events(stack, ticket_id)}, timeout=40)
    kinds = [e["event"] for e in _events(stack, ticket_id)]
    assert kinds.index("reminder") < kinds.index("escalated")
    escalated = next(e for e in _events(stack, ticket_id) if e["event"] == "escalated")
    assert escalated["supervisor"] == CITY and escalated["stage"] == "contact"
    ticket = _until(
        lambda: (t := api.get(f"/v1/tickets/{ticket_id}", department_headers).json())["overdue"] and t
    )
    assert ticket["overdue"] == ["contact"]
    late = _act(api, ticket_id, "contact", {"note": "late call"}, department_headers)
    assert late["trail"][-1]["late"] is True
    listed = api.get("/v1/tickets?overdue=true", department_headers).json()["tickets"]
    assert ticket_id in [t["ticket_id"] for t in listed]
    # the rest of the loop still runs to the end
    _act(api, ticket_id, "verify", {"finding": "valid", "category": "complex"}, department_headers)
    _act(api, ticket_id, "reply", {"report": "done"}, department_headers)
    _act(api, ticket_id, "revisit", {"satisfied": True}, department_headers)
    assert _ended(api, rating_id, department_headers)["on_time"] is False


def test_appeals_approved_and_rejected_over_http(
    api: Api,
    channel_headers: dict[str, str],
    department_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    other_city_reviewer_headers: dict[str, str],
) -> None:
    approved_rating, approved = _bad_rating(api, channel_headers, department_headers)
    rejected_rating, rejected = _bad_rating(api, channel_headers, department_headers)
    for ticket_id in (approved, rejected):
        key = _evidence(api, ticket_id, department_headers)
        _act(api, ticket_id, "contact", {"note": "called"}, department_headers)
        appeal = {"finding": "misrating", "reason": "wrong key pressed", "evidence": [key]}
        assert _act(api, ticket_id, "verify", appeal, department_headers)["status"] == "appealing"
        _act(api, ticket_id, "decide-appeal", {"approve": True}, department_headers, status=403)
        _act(api, ticket_id, "decide-appeal", {"approve": True}, other_city_reviewer_headers, status=404)
    assert _act(api, approved, "decide-appeal", {"approve": True}, reviewer_headers)["status"] == "invalid"
    _act(api, approved, "decide-appeal", {"approve": False}, reviewer_headers, status=409)
    rating = api.get(f"/v1/ratings/{approved_rating}", department_headers).json()
    assert rating["valid"] is False
    assert _ended(api, approved_rating, department_headers)["status"] == "invalid"

    back = _act(api, rejected, "decide-appeal", {"approve": False, "reason": "not shown"}, reviewer_headers)
    assert back["status"] == "rectifying" and back["rectify_due"] == back["rectify_dues"]["general"]
    _act(api, rejected, "reply", {"report": "fixed"}, department_headers)
    _act(api, rejected, "revisit", {"satisfied": False}, department_headers)
    assert _ended(api, rejected_rating, department_headers)["rectified"] is True


def test_out_of_order_and_bad_input_over_http(
    api: Api,
    channel_headers: dict[str, str],
    department_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    _, ticket_id = _bad_rating(api, channel_headers, department_headers)
    before = api.get(f"/v1/tickets/{ticket_id}", department_headers).json()
    assert (
        _act(api, ticket_id, "reply", {"report": "x"}, department_headers, 409)["error"]
        == "illegal_transition"
    )
    assert _act(api, ticket_id, "contact", {"note": 1}, department_headers, 400)["error"] == "validation"
    assert api.get("/v1/tickets/tk-unknown-ticket", department_headers).status == 404
    assert api.get(f"/v1/tickets/{ticket_id}", department_headers).json()["trail"] == before["trail"]
    bad_year = api.send_json("PUT", "/v1/calendar/2031", {"holidays": ["2031-02-30"]}, admin_headers)
    assert bad_year.status == 400 and "holidays[0]" in bad_year.json()["fields"]
    due = api.get("/v1/calendar/due?from=2026-09-30T17:00:00%2B08:00&working_days=15", admin_headers).json()
    assert due == {"due": "2026-10-27T23:59:59+08:00", "provisional": False}


def test_evidence_over_http_is_checked_when_cited_and_served_as_a_download(
    api: Api,
    channel_headers: dict[str, str],
    department_headers: dict[str, str],
    other_city_reviewer_headers: dict[str, str],
) -> None:
    _, ticket_id = _bad_rating(api, channel_headers, department_headers)
    _act(api, ticket_id, "contact", {"note": "called"}, department_headers)
    # Given a form for a PDF, replayed as an HTML page with a script (moto, behind the local stack,
    # enforces no POST policy; S3 would refuse the other Content-Type)
    issued = _issue(api, ticket_id, department_headers, "application/pdf", 100)
    forged = {**issued["upload"], "fields": {**issued["upload"]["fields"], "Content-Type": "text/html"}}
    assert post_form(forged, b"<script>alert(document.cookie)</script>", "text/html") in (200, 201, 204)
    # When an appeal cites it, then the local stack refuses it as S3 would have
    appeal = {"finding": "misrating", "reason": "wrong key pressed", "evidence": [issued["key"]]}
    refused = api.send_json("POST", f"/v1/tickets/{ticket_id}/verify", appeal, department_headers)
    assert refused.status == 400 and "evidence" in refused.json()["fields"], refused
    # And a real PDF stands, and is served to people in scope as a download of the cited version
    key = _evidence(api, ticket_id, department_headers)
    assert (
        _act(api, ticket_id, "verify", {**appeal, "evidence": [key]}, department_headers)["status"]
        == "appealing"
    )
    path = f"/v1/tickets/{ticket_id}/evidence/{key.rpartition('/')[2]}"
    link = api.get(path, department_headers)
    assert link.status == 200, link
    with urllib.request.urlopen(link.json()["url"], timeout=10) as download:
        assert download.read() == PDF
        disposition = download.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment"), download.headers
    assert api.get(path, other_city_reviewer_headers).status == 404
