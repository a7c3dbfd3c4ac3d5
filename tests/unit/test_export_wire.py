"""Signing, encryption and receipts of the export (functions/export/crypto.py, wire.py), and the sync
rules (sync.py): SM3/SM4 against the standards' vectors, receipts that are garbage, HTML, doubled."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.export import crypto, wire
from functions.export.receiver import StandInReceiver
from functions.export.sync import Outcome, State, Tracked, backoff, compare, overdue, revised
from functions.export.targets import national_gbt39046, provincial_interface

KEY = bytes(range(32))
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
NATIONAL = national_gbt39046("national", "https://n.example/records", "152")
HUB_SM = provincial_interface("hub", "https://h.example/report", "152", signing="sm3-sm4", app_mark="gz")


def test_sm3_matches_the_standards_example():
    # GB/T 32905-2016 Appendix A, example 1: "abc"
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_matches_the_standards_example_and_round_trips():
    # GB/T 32907-2016 Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210
    vector = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert crypto.sm4_encrypt(vector, vector)[:16].hex() == "681edf34d206965e86b3e94f536e4246"
    text = "评价数据 13 bytes?".encode()
    assert crypto.sm4_decrypt(KEY, crypto.sm4_encrypt(KEY, text)) == text


def test_sm3_hmac_depends_on_key_and_message():
    assert crypto.sm3_hmac(KEY, b"m") != crypto.sm3_hmac(KEY[::-1], b"m")
    assert crypto.verify("sm3-sm4", KEY, b"m", crypto.sm3_hmac(KEY, b"m"))
    assert not crypto.verify("sm3-sm4", KEY, b"m2", crypto.sm3_hmac(KEY, b"m"))


@pytest.mark.parametrize("target", [NATIONAL, HUB_SM])
def test_a_request_decodes_only_with_the_key_and_within_the_clock_skew(target):
    records = [{"recordId": "r1", "x": "评价"}]
    body, headers = wire.encode(target, "record", records, KEY, NOW)
    assert wire.decode(target, KEY, body, headers, NOW + timedelta(seconds=120)) == ("record", records)
    if target is HUB_SM:
        assert "评价" not in body.decode()  # the records travel SM4-encrypted
    with pytest.raises(wire.WireError):
        wire.decode(target, KEY[::-1], body, headers, NOW)
    with pytest.raises(wire.WireError, match="skew"):
        wire.decode(target, KEY, body, headers, NOW + timedelta(minutes=10))


@pytest.mark.parametrize(
    "exchange",
    [
        wire.Exchange(503, {"content-type": "text/html"}, b"<html>down</html>"),
        wire.Exchange(200, {"content-type": "text/html"}, b"<html><body>login</body></html>"),
        wire.Exchange(200, {}, b"\x00\xff garbage"),
        wire.Exchange(200, {}, b'["a list"]'),
        wire.Exchange(200, {}, b'{"code": "500", "results": []}'),
    ],
)
@pytest.mark.parametrize("target", [NATIONAL, HUB_SM])
def test_garbage_html_or_errors_are_no_answer_never_an_acknowledgement(exchange, target):
    outcomes = wire.parse_receipt(target, exchange, ["r1", "r2"])
    assert {o.state for o in outcomes.values()} == {State.UNKNOWN}


def test_national_receipts_per_record_doubled_and_foreign_ones_ignored():
    body = {
        "code": "0",
        "results": [
            {"recordId": "r1", "status": "ok"},
            {"recordId": "r1", "status": "rejected", "message": "second verdict"},  # acknowledged twice
            {"recordId": "r2", "status": "duplicate", "message": wire.DUPLICATE_TEXT},
            {"recordId": "r3", "status": "rejected", "message": "字段满意度代码校验不通过"},
            {"recordId": "zz", "status": "ok"},  # not sent
        ],
    }
    outcomes = wire.parse_receipt(
        NATIONAL, wire.Exchange(200, {}, json.dumps(body).encode()), ["r1", "r2", "r3", "r4"]
    )
    assert outcomes["r1"] == Outcome(State.ACKNOWLEDGED)
    assert outcomes["r2"].state is State.DUPLICATE
    assert outcomes["r3"] == Outcome(State.REJECTED, "字段满意度代码校验不通过")
    assert outcomes["r4"].state is State.UNKNOWN and "zz" not in outcomes


def test_provincial_receipts_header_success_duplicate_text_and_rejection():
    ok = wire.Exchange(200, {"C-Response-Desc": "success"}, b"")
    dup = wire.Exchange(200, {}, json.dumps({"code": "1", "message": "评价数据不可重复"}).encode())
    bad = wire.Exchange(200, {}, json.dumps({"code": "1", "message": "部门编码不存在"}).encode())
    assert wire.parse_receipt(HUB_SM, ok, ["a"])["a"].state is State.ACKNOWLEDGED
    assert wire.parse_receipt(HUB_SM, dup, ["a"])["a"].state is State.DUPLICATE
    assert wire.parse_receipt(HUB_SM, bad, ["a"])["a"] == Outcome(State.REJECTED, "部门编码不存在")


def test_the_stand_in_refuses_a_wrong_signature_and_validates_records():
    receiver = StandInReceiver(NATIONAL, KEY, clock=lambda: NOW)
    body, headers = wire.encode(NATIONAL, "record", [{"recordId": "r1"}], KEY[::-1], NOW)
    assert receiver.receive(body, headers).status == 400
    body, headers = wire.encode(NATIONAL, "record", [{"recordId": "r1"}], KEY, NOW)
    outcome = wire.parse_receipt(NATIONAL, receiver.receive(body, headers), ["r1"])["r1"]
    assert outcome.state is State.REJECTED and "校验不通过" in outcome.reason
    receiver.configure("down")
    assert wire.parse_receipt(NATIONAL, receiver.receive(body, headers), ["r1"])["r1"].state is State.UNKNOWN


def test_backoff_doubles_to_its_cap_and_t_plus_one():
    assert [backoff(n, 60, 600).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]
    local = datetime(2026, 12, 4, 23, 59)
    assert not overdue("2026-12-03", local) and overdue("2026-12-02", local)


def _tracked(**changes) -> Tracked:
    base = Tracked(
        "t",
        "r1",
        "record",
        "2026-12-03",
        "2026-12-03T09:00:00+08:00",
        State.PENDING,
        content={"a": 1},
        natural_key="k",
        content_hash="h1",
    )
    return base._replace(**changes)


def test_a_sent_version_is_never_changed_in_place():
    fresh = _tracked(content={"a": 2}, content_hash="h2")
    unsent = revised(_tracked(version=1, sent_version=0), fresh, NOW, 300)
    assert unsent.version == 1  # not yet at the target: replaced, still an insert
    sent = revised(_tracked(state=State.ACKNOWLEDGED, version=1, sent_version=1), fresh, NOW, 300)
    assert (sent.version, sent.state) == (2, State.PENDING)  # an update (op U) of the same record
    assert revised(_tracked(state=State.ACKNOWLEDGED), _tracked(), NOW, 300) is None  # nothing new
    held = revised(
        None, _tracked(state=State.HELD, content=None, content_hash="held:x", reason="x"), NOW, 300
    )
    assert held.state is State.HELD and held.next_at is None


def test_compare_finds_what_the_target_lost_and_what_it_has_that_we_do_not():
    assert compare({"a", "b"}, None).matches
    found = compare({"a", "b"}, {"b", "c"})
    assert (found.resend, found.unknown_at_target, found.matches) == (("a",), ("c",), False)
