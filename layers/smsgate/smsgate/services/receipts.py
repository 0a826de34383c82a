"""Delivery receipts (SPEC section 7): status forward only, DND from error codes, applied once."""

from datetime import datetime

from smsgate.dal import contacts, events, messages
from smsgate.models.entities import Dnd, StatusChange
from smsgate.models.events import Receipt
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.receipts import dnd_for_error

# Which statuses each receipt status may replace (SPEC section 7: never backwards).
_ALLOWED_FROM: dict[str, list[str]] = {
    "sent": ["queued"],
    "delivered": ["queued", "sent"],
    "undelivered": ["queued", "sent"],
    "failed": ["queued", "sent"],
}


def apply_receipt(receipt: Receipt, now: datetime) -> str:
    """Apply one receipt; returns 'applied', 'stale', 'duplicate' or 'unknown_message'."""
    event_key = f"receipt#{receipt.receipt_id}"
    if events.is_applied(event_key):
        return "duplicate"
    message = messages.get_message(receipt.message_id) if receipt.message_id else None
    if message is None:
        logger.warning("receipt for an unknown message", extra={"receipt_id": receipt.receipt_id})
        return "unknown_message"
    change = StatusChange(status=receipt.status, at=receipt.occurred_at, error_code=receipt.error_code)
    moved = messages.advance_status(
        message.message_id, change, _ALLOWED_FROM[receipt.status], receipt.carrier_message_id
    )
    if not moved:
        messages.append_history(message.message_id, change)
    dnd = dnd_for_error(receipt.error_code) if receipt.status == "undelivered" else None
    if dnd is not None:
        contacts.set_dnd(
            message.location_id,
            message.to,
            Dnd(state=dnd, reason=f"carrier error {receipt.error_code}", error_code=receipt.error_code, since=now),
            only_if_not_permanent=True,
        )
    if not events.claim(event_key, now):
        return "duplicate"
    metrics.add_metric(name=f"Receipt_{receipt.status}", unit=MetricUnit.Count, value=1)
    if receipt.error_code is not None:
        metrics.add_metric(name=f"ReceiptError_{receipt.error_code}", unit=MetricUnit.Count, value=1)
    logger.info(
        "receipt applied",
        extra={"message_id": message.message_id, "status": receipt.status, "error_code": receipt.error_code,
               "moved": moved},
    )
    return "applied" if moved else "stale"
