"""Evidence files on moto: what S3 is told to enforce (the POST policy), what is checked when a key is
cited (functions/tickets/evidence.py), the bound per ticket, and downloads for people in scope only."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from tests.integration.ticket_stack import OTHER_CITY, OTHER_DEPARTMENT, PREFIX, TicketStack

PDF = b"%PDF-1.4 a scanned statement"
BUCKET = f"{PREFIX}-evidence"


def _contacted(s: TicketStack, rating_id: str) -> str:
    ticket_id = s.bad_rating(rating_id)
    s.wait_for_stage(ticket_id, "contact")
    assert s.act(ticket_id, "contact", {"note": "called"})[0] == 200
    s.wait_for_stage(ticket_id, "verify")
    return ticket_id


def _appeal(s: TicketStack, ticket_id: str, keys: list[str]) -> tuple[int, dict]:
    return s.act(
        ticket_id, "verify", {"finding": "misrating", "reason": "pressed the wrong key", "evidence": keys}
    )


def test_an_upload_form_binds_key_type_and_size_and_bad_requests_are_refused(
    ticket_stack: TicketStack,
) -> None:
    s = ticket_stack
    ticket_id = _contacted(s, "evidence-form-01")
    # When a department asks to upload a 2 MB PDF
    code, issued = s.call(
        "POST",
        f"/v1/tickets/{ticket_id}/evidence",
        s.department(),
        {"content_type": "application/pdf", "size": 2_000_000},
    )
    # Then it gets API.md's POST shape, and the policy S3 enforces fixes the key, the type and the size
    assert code == 201 and set(issued) == {"key", "upload", "expires_in"}, issued
    assert set(issued["upload"]) == {"url", "fields"} and issued["expires_in"] == 900
    fields = issued["upload"]["fields"]
    assert fields["key"] == issued["key"] and fields["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 2_000_000] in conditions
    assert {"Content-Type": "application/pdf"} in conditions and {"key": issued["key"]} in conditions
    # And what a department does not need, or too big, is refused before any key is issued
    for body, field in (
        ({"content_type": "text/html", "size": 100}, "content_type"),
        ({"content_type": "image/svg+xml", "size": 100}, "content_type"),
        ({"content_type": "application/x-msdownload", "size": 30_000_000}, "size"),
        ({"content_type": "image/png", "size": 0}, "size"),
        ({"content_type": "image/png", "size": True}, "size"),
        ({"content_type": "image/png"}, "size"),
    ):
        code, answer = s.call("POST", f"/v1/tickets/{ticket_id}/evidence", s.department(), body)
        assert code == 400 and field in answer["fields"], (body, answer)


def test_keys_are_bounded_per_ticket_and_issued_only_while_it_takes_evidence(
    ticket_stack: TicketStack,
) -> None:
    s = ticket_stack
    ticket_id = _contacted(s, "evidence-bound-01")
    body = {"content_type": "image/png", "size": 1000}
    keys = set()
    for _ in range(20):
        code, issued = s.call("POST", f"/v1/tickets/{ticket_id}/evidence", s.department(), body)
        assert code == 201
        keys.add(issued["key"])
    assert len(keys) == 20  # a new key per file
    code, answer = s.call("POST", f"/v1/tickets/{ticket_id}/evidence", s.department(), body)
    assert (code, answer["error"]) == (409, "conflict")
    # And an appealed ticket takes no more
    appealing = _contacted(s, "evidence-bound-02")
    assert _appeal(s, appealing, [s.upload_evidence(appealing)])[0] == 200
    code, answer = s.call("POST", f"/v1/tickets/{appealing}/evidence", s.department(), body)
    assert (code, answer["error"]) == (409, "illegal_transition")


def test_a_cited_key_must_name_one_uploaded_file_of_its_type_and_size(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = _contacted(s, "evidence-cite-01")
    s3 = boto3.client("s3")

    def issue(content_type: str = "application/pdf") -> str:
        code, issued = s.call(
            "POST",
            f"/v1/tickets/{ticket_id}/evidence",
            s.department(),
            {"content_type": content_type, "size": 5000},
        )
        assert code == 201
        return str(issued["key"])

    never_uploaded = issue()
    html_as_pdf = issue()
    s3.put_object(Bucket=BUCKET, Key=html_as_pdf, Body=b"<script>alert(1)</script>", ContentType="text/html")
    script_typed_pdf = issue()
    s3.put_object(Bucket=BUCKET, Key=script_typed_pdf, Body=b"<html>", ContentType="application/pdf")
    overwritten = issue()
    s3.put_object(Bucket=BUCKET, Key=overwritten, Body=PDF, ContentType="application/pdf")
    s3.put_object(Bucket=BUCKET, Key=overwritten, Body=PDF + b"changed", ContentType="application/pdf")
    too_big = issue("image/png")
    s3.put_object(
        Bucket=BUCKET,
        Key=too_big,
        Body=b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024),
        ContentType="image/png",
    )
    for key in (never_uploaded, html_as_pdf, script_typed_pdf, overwritten, too_big):
        # When an appeal cites it, then it is refused and the ticket does not move
        code, answer = _appeal(s, ticket_id, [key])
        assert code == 400 and "evidence" in answer["fields"], (key, answer)
        assert s.call("GET", f"/v1/tickets/{ticket_id}", s.admin())[1]["status"] == "contacted"
    # And a real PDF, uploaded once, stands; the trail records the version cited
    good = s.upload_evidence(ticket_id, PDF)
    code, answer = _appeal(s, ticket_id, [good])
    assert code == 200 and answer["status"] == "appealing", answer
    entry = answer["trail"][-1]
    assert entry["evidence"] == [good] and set(entry["evidence_versions"]) == {good}


def test_cited_evidence_is_served_as_a_download_to_people_in_scope_only(ticket_stack: TicketStack) -> None:
    s = ticket_stack
    ticket_id = _contacted(s, "evidence-serve-01")
    key = s.upload_evidence(ticket_id, PDF)
    uncited = s.upload_evidence(ticket_id, PDF)
    assert _appeal(s, ticket_id, [key])[0] == 200
    # A replay of the form after citing writes a new version; the cited one is what is served
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"<html>", ContentType="text/html")
    name = key.rpartition("/")[2]
    path = f"/v1/tickets/{ticket_id}/evidence/{name}"
    for who in (s.department(), s.reviewer(), s.admin()):
        code, answer = s.call("GET", path, who)
        assert code == 200 and answer["content_type"] == "application/pdf", answer
        query = parse_qs(urlparse(answer["url"]).query)
        assert query["response-content-disposition"] == [f'attachment; filename="{name}"']
        assert query["response-content-type"] == ["application/pdf"]
        got = boto3.client("s3").get_object(Bucket=BUCKET, Key=key, VersionId=query["versionId"][0])
        assert got["Body"].read() == PDF
    for who in (s.department(OTHER_DEPARTMENT), s.reviewer(OTHER_CITY)):
        assert s.call("GET", path, who)[0] == 404
    assert (
        s.call("GET", f"/v1/tickets/{ticket_id}/evidence/{uncited.rpartition('/')[2]}", s.admin())[0] == 404
    )
    assert s.call("GET", f"/v1/tickets/{ticket_id}/evidence/..%2F..%2Fsecret", s.admin())[0] == 404


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png"])
def test_images_stand_as_evidence(ticket_stack: TicketStack, content_type: str) -> None:
    s = ticket_stack
    ticket_id = _contacted(s, f"evidence-image-{content_type[-3:]}")
    head = b"\xff\xd8\xff\xe0" if content_type == "image/jpeg" else b"\x89PNG\r\n\x1a\n"
    key = s.upload_evidence(ticket_id, head + b"pixels", content_type)
    assert _appeal(s, ticket_id, [key])[0] == 200
