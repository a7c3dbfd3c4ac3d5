"""Texts on their way out: the message every producer publishes to the `sms-outbound` topic, and the
providers the sender hands them to.

A message names its recipient without a plain number: `{"sealed": <base64 of the sealed phone>}` (an
applicant or rater) or `{"contact": "department#D001"}` (an office's duty number, looked up in the
province configuration by the sender). Only the sender turns either into a number, just before it
calls the provider."""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple, Protocol

logger = logging.getLogger("haochaping.sms")


class OutboundText(NamedTuple):
    key: str  # idempotency key: the same key is sent once, whatever the redeliveries
    purpose: str  # invitation, help, thanks, opted_out, expired, no_invitation, ticket, escalation, ...
    to: Mapping[str, str]
    body: str

    @classmethod
    def to_sealed(cls, key: str, purpose: str, sealed: bytes, body: str) -> OutboundText:
        return cls(key, purpose, {"sealed": base64.b64encode(sealed).decode("ascii")}, body)

    @classmethod
    def to_contact(cls, key: str, purpose: str, contact: str, body: str) -> OutboundText:
        return cls(key, purpose, {"contact": contact}, body)

    def to_json(self) -> str:
        return json.dumps(
            {"key": self.key, "purpose": self.purpose, "to": dict(self.to), "body": self.body},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> OutboundText:
        data = json.loads(text)
        to = data["to"]
        if not isinstance(to, dict) or set(to) not in ({"sealed"}, {"contact"}):
            raise ValueError("an outbound text names its recipient as sealed or contact")
        return cls(str(data["key"]), str(data["purpose"]), to, str(data["body"]))


class SnsOutbound:
    """Publishes texts to the `sms-outbound` topic (its subscriber queue feeds the sender)."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, text: OutboundText) -> None:
        self._client.publish(
            TopicArn=self._topic_arn,
            Message=text.to_json(),
            MessageAttributes={"purpose": {"DataType": "String", "StringValue": text.purpose}},
        )


# --- providers: the only code that sees a number -----------------------------------------------------


class Provider(Protocol):
    def send(self, phone: str, body: str, purpose: str, now: datetime) -> None: ...


class SnsSmsProvider:
    """Direct SMS through SNS (publish to a phone number), where the region offers it."""

    def __init__(self, client: Any, sender_id: str | None = None) -> None:
        self._client = client
        self._sender_id = sender_id

    def send(self, phone: str, body: str, purpose: str, now: datetime) -> None:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self._sender_id}
        self._client.publish(PhoneNumber=f"+86{phone}", Message=body, MessageAttributes=attributes)


class HttpSmsProvider:
    """A domestic SMS gateway over HTTPS (China regions have no SNS SMS): POST {"phone", "text"} with a
    bearer key; any status but 2xx is a failure, retried by the queue and then dead-lettered.

    The key is asked for at each text (deployed: the `sms-provider-key` secret through Powertools, which
    caches it for SECRET_MAX_AGE), so a key the operator puts in the secret is used within minutes and
    a function that never texts never reads it."""

    def __init__(self, url: str, api_key: str | Callable[[], str], timeout: float = 5.0) -> None:
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ValueError("the SMS provider URL must be https")
        self._url = url
        self._api_key = api_key if callable(api_key) else (lambda: api_key)
        self._timeout = timeout

    def send(self, phone: str, body: str, purpose: str, now: datetime) -> None:
        request = urllib.request.Request(
            self._url,
            data=json.dumps({"phone": phone, "text": body}, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._api_key()}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (https only)
            if not 200 <= answer.status < 300:
                raise RuntimeError(f"the SMS provider answered {answer.status}")


class LocalOutbox:
    """The local stack's phone network: texts are recorded here, and read at GET /local/sms/outbox.
    Never logged; gone when the process stops."""

    def __init__(self) -> None:
        self._messages: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def send(self, phone: str, body: str, purpose: str, now: datetime) -> None:
        with self._lock:
            self._messages.append({"to": phone, "body": body, "sent_at": now.isoformat(), "purpose": purpose})

    def messages(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._messages)
