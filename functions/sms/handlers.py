"""The SMS function's event handlers: the sender (queue `sms-send`, fed by the `sms-outbound` topic),
ticket notifications (queue `sms-notifications`, fed by `ticket-events`), inbound replies (two-way SMS
delivered over SNS) and the periodic release of invitations held back by quiet hours.

Queue consumers answer with partial batch failures: a failed record comes back after the visibility
timeout, and after the queue's maxReceiveCount it lands in the dead-letter queue `sms-dlq`."""

from __future__ import annotations

import json
from typing import Any

from functions.sms import wiring


def _batch(event: dict[str, Any], context: Any, record_handler: Any) -> dict[str, Any]:
    from functions.core.observability import consume_batch

    return consume_batch("sms", event, context, record_handler, "sqs")


def _send_one(record: Any) -> None:
    from functions.sms.outbound import OutboundText

    wiring.runtime().sender.deliver(OutboundText.from_json(record.body))


def send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _batch(event, context, _send_one)


def _notify_one(record: Any) -> None:
    body = json.loads(record.body)
    # Raw delivery gives the event itself; an SNS envelope (raw delivery off) wraps it in "Message".
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        body = json.loads(body["Message"])
    wiring.runtime().service.notify(body)


def notifications(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _batch(event, context, _notify_one)


def report_reply(outcome: dict[str, Any]) -> None:
    """One log line and metric per inbound text: its outcome and case, never the number or the words."""
    from functions.core.observability import count, logger

    count("SmsReply", outcome=str(outcome["outcome"]))
    logger.info(
        "sms reply",
        extra={k: outcome[k] for k in ("outcome", "case_no", "rating_id") if k in outcome},
    )


def inbound(event: dict[str, Any], context: Any) -> None:
    """Two-way SMS over SNS: {"originationNumber", "messageBody", "inboundMessageId"} per message.
    A text we cannot take (too long, not a mainland number) is dropped with a log line: retrying it
    would only fail again."""
    from functions.core.domain.errors import ValidationFailed
    from functions.core.observability import logger

    for record in event.get("Records", []):
        message = json.loads(record["Sns"]["Message"])
        try:
            outcome = wiring.runtime().service.receive(
                {"from": message.get("originationNumber"), "body": message.get("messageBody")},
                message_id=str(message.get("inboundMessageId") or record["Sns"]["MessageId"]),
            )
        except ValidationFailed as e:
            logger.warning("sms reply refused", extra={"fields": sorted(e.fields)})
            continue
        report_reply(outcome)


def release(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Scheduled: sends the invitations whose quiet hours have ended."""
    return {"released": wiring.runtime().service.release_due()}


def default_ratings(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Scheduled: the default ratings (系统默认评价) of recorded cases whose rating period ended unrated,
    where the province rates by default (ProvinceConfig.ratings)."""
    return wiring.runtime().defaults.run()
