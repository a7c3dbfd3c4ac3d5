"""What travels between the sender and a target, for each shipped mapping: the request (envelope,
signature, encryption) and the receipt. The sender encodes and reads receipts; the stand-in receivers
decode and answer with the same code, so the two sides cannot drift.

- `gbt39046`: `POST` JSON `{"batchId", "part", "records": [...]}`, headers `x-app-mark`, `x-timestamp`
  (UTC, yyyyMMddHHmmss) and `x-signature` over timestamp and body; the receipt is
  `{"code": "0", "results": [{"recordId", "status": "ok|duplicate|rejected", "message"}]}`.
- `provincial`: Shandong's envelope `{"txnBodyCom": {"appMark", "time", "sign", "params": {<part>:
  [...]}}, "txnCommCom": {}}`, the array SM4-encrypted (hex) where the target signs with `sm3-sm4`;
  success is the header `C-Response-Desc: success` or `{"code": "0", "success": "true"}`, and the text
  评价数据不可重复 means already received (counted as acknowledged, as the provincial client does).

Anything else (HTML, garbage, a 5xx, no answer) is no answer: the records stay unknown and are retried."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from functions.export import crypto
from functions.export.sync import Outcome, State
from functions.export.targets import GBT39046, ExportTarget

DUPLICATE_TEXT = "评价数据不可重复"
SUCCESS_HEADER = "c-response-desc"
MAX_CLOCK_SKEW_SECONDS = 300  # a request signed further from the receiver's clock is refused
_STAMP = "%Y%m%d%H%M%S"


class Exchange(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


class WireError(ValueError):
    """A request a receiver cannot take as a whole (signature, clock, shape)."""


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime(_STAMP)


def encode(
    target: ExportTarget, part: str, records: Sequence[Mapping[str, Any]], key: bytes, now: datetime
) -> tuple[bytes, dict[str, str]]:
    stamp = _stamp(now)
    if target.mapping == GBT39046:
        batch = f"{target.data_source}{stamp[:8]}{uuid.uuid4().hex[:12]}"
        body = json.dumps(
            {"batchId": batch, "part": part, "records": list(records)}, ensure_ascii=False, sort_keys=True
        ).encode()
        signature = crypto.sign(target.signing, key, stamp.encode() + b"\n" + body)
        return body, {
            "content-type": "application/json",
            "x-app-mark": target.app_mark,
            "x-timestamp": stamp,
            "x-signature": signature,
        }
    array = json.dumps(list(records), ensure_ascii=False, sort_keys=True).encode()
    payload: Any = crypto.sm4_encrypt(key, array).hex() if target.signing == "sm3-sm4" else list(records)
    signed = (stamp + target.app_mark).encode() + b"\n" + array
    envelope = {
        "txnBodyCom": {
            "appMark": target.app_mark,
            "time": stamp,
            "sign": crypto.sign(target.signing, key, signed),
            "params": {part: payload},
        },
        "txnCommCom": {},
    }
    body = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()
    return body, {"content-type": "application/json", "c-tenancy-id": target.data_source}


def _check_clock(stamp: Any, now: datetime) -> None:
    try:
        sent = datetime.strptime(str(stamp), _STAMP).replace(tzinfo=UTC)
    except ValueError:
        raise WireError("时间戳格式错误 (timestamp unreadable)") from None
    if abs((now - sent).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        raise WireError("时间戳超出允许范围 (timestamp outside the allowed skew)")


def decode(
    target: ExportTarget, key: bytes, body: bytes, headers: Mapping[str, str], now: datetime
) -> tuple[str, list[Any]]:
    """(part, records) of a request, after its signature and clock are checked (a receiver's side)."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        data = json.loads(body)
    except ValueError:
        raise WireError("请求不是JSON (not JSON)") from None
    if not isinstance(data, dict):
        raise WireError("请求格式错误 (not an object)")
    if target.mapping == GBT39046:
        stamp = lower.get("x-timestamp", "")
        _check_clock(stamp, now)
        if not crypto.verify(
            target.signing, key, stamp.encode() + b"\n" + body, lower.get("x-signature", "")
        ):
            raise WireError("签名错误 (bad signature)")
        part, records = data.get("part"), data.get("records")
    else:
        inner = data.get("txnBodyCom")
        if (
            not isinstance(inner, dict)
            or not isinstance(inner.get("params"), dict)
            or len(inner["params"]) != 1
        ):
            raise WireError("请求格式错误 (no txnBodyCom.params)")
        _check_clock(inner.get("time"), now)
        ((part, payload),) = inner["params"].items()
        if target.signing == "sm3-sm4":
            try:
                array = crypto.sm4_decrypt(key, bytes.fromhex(str(payload)))
            except ValueError:
                raise WireError("解密失败 (cannot decrypt)") from None
        else:
            array = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        signed = (str(inner.get("time")) + str(inner.get("appMark"))).encode() + b"\n" + array
        if not crypto.verify(target.signing, key, signed, str(inner.get("sign", ""))):
            raise WireError("签名错误 (bad signature)")
        try:
            records = json.loads(array)
        except ValueError:
            raise WireError("解密失败 (cannot decrypt)") from None
    if not isinstance(part, str) or not isinstance(records, list):
        raise WireError("请求格式错误 (no part or records)")
    return part, records


def answer(target: ExportTarget, results: Sequence[tuple[str, str, str]]) -> Exchange:
    """A receiver's receipt for (recordId, "ok"|"duplicate"|"rejected", message) of each record."""
    if target.mapping == GBT39046:
        body = {"code": "0", "results": [{"recordId": r, "status": s, "message": m} for r, s, m in results]}
        return Exchange(
            200, {"content-type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()
        )
    # The interface answers one verdict per call (every sample sends one record): the worst one wins.
    statuses = [s for _, s, _ in results]
    if "rejected" in statuses:
        message = next(m for _, s, m in results if s == "rejected")
        reply = {"code": "1", "success": "false", "message": message}
        return Exchange(
            200, {"content-type": "application/json"}, json.dumps(reply, ensure_ascii=False).encode()
        )
    if "duplicate" in statuses:
        reply = {"code": "1", "success": "false", "message": DUPLICATE_TEXT}
        return Exchange(
            200, {"content-type": "application/json"}, json.dumps(reply, ensure_ascii=False).encode()
        )
    return Exchange(
        200,
        {"content-type": "application/json", "C-Response-Desc": "success"},
        b'{"code":"0","success":"true"}',
    )


def refusal(target: ExportTarget, error: WireError) -> Exchange:
    body = {"code": "401", "success": "false", "message": str(error)}
    return Exchange(400, {"content-type": "application/json"}, json.dumps(body, ensure_ascii=False).encode())


def _no_answer(ids: Sequence[str], reason: str) -> dict[str, Outcome]:
    return {rid: Outcome(State.UNKNOWN, reason) for rid in ids}


def parse_receipt(target: ExportTarget, exchange: Exchange, ids: Sequence[str]) -> dict[str, Outcome]:
    """The outcome of each record sent (`ids`: their recordIds), read from the target's answer."""
    if exchange.status != 200:
        return _no_answer(ids, f"HTTP {exchange.status}")
    try:
        data = json.loads(exchange.body)
    except ValueError:
        data = None
    headers = {k.lower(): v for k, v in exchange.headers.items()}
    if target.mapping != GBT39046:
        if headers.get(SUCCESS_HEADER, "").strip().lower() == "success":
            return {rid: Outcome(State.ACKNOWLEDGED) for rid in ids}
        if not isinstance(data, dict):
            return _no_answer(ids, "unreadable answer")
        message = str(data.get("message") or data.get("msg") or "")
        if str(data.get("code")) == "0" and str(data.get("success")).lower() == "true":
            return {rid: Outcome(State.ACKNOWLEDGED) for rid in ids}
        if DUPLICATE_TEXT in message:
            return {rid: Outcome(State.DUPLICATE, message) for rid in ids}
        if message:
            return {rid: Outcome(State.REJECTED, message[:500]) for rid in ids}
        return _no_answer(ids, "answer without verdict")
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return _no_answer(ids, "unreadable answer")
    if str(data.get("code")) != "0":
        return _no_answer(ids, f"request refused: {str(data.get('message', ''))[:200]}")
    wanted = set(ids)
    outcomes: dict[str, Outcome] = {}
    for result in data["results"]:
        if not isinstance(result, dict):
            continue
        rid = result.get("recordId")
        # A record acknowledged twice in one receipt counts once; one we did not send is ignored.
        if rid not in wanted or rid in outcomes:
            continue
        status, message = result.get("status"), str(result.get("message") or "")[:500]
        if status == "ok":
            outcomes[rid] = Outcome(State.ACKNOWLEDGED)
        elif status == "duplicate" or DUPLICATE_TEXT in message:
            outcomes[rid] = Outcome(State.DUPLICATE, message or None)
        elif status == "rejected":
            outcomes[rid] = Outcome(State.REJECTED, message or "rejected without a reason")
    for rid in ids:
        outcomes.setdefault(rid, Outcome(State.UNKNOWN, "no receipt for the record"))
    return outcomes
