"""Delivery receipts (SPEC section 7): status forward only, history kept, DND from error codes,
per-location audit counts, each receipt applied once.

One receipt is applied in this order. The steps before the last are repeatable, and the last
commits the claim together with the counts, so a crash anywhere is repaired by the queue's
redelivery without counting twice:

1. A receipt already claimed is a duplicate: nothing happens.
2. The message it reports on is read. A receipt for a message we do not know is dropped with a
   metric (the carrier account may carry traffic that is not ours).
3. The message's status moves forward, or the receipt only joins the history when it is late
   (a `sent` after `delivered`) or contradicts a final status (the first final status is the
   last word). A receipt already in the history is not written again.
4. When this receipt is the one that moved the message to `undelivered` or `failed`, its error
   code decides the contact's DND (`policy.receipts.dnd_for_error`): temporary for 30003,
   30005 and 30006, permanent for 30004 and 21610. A temporary DND never replaces a permanent
   one.
5. The claim and the location's counts (`delivered`, `failed` or `undelivered`, and
   `err_<code>`; `sent` is the dispatcher's) in one transaction. Counts go to the hour the
   message was created in, the hour the dispatcher counted it `sent`, so a window's error rate
   divides errors by the sends they belong to (SPEC section 8).

Only the receipt that moves a message to a final status counts it: one message is never
counted twice, whatever the carriers repeat.
"""

from datetime import datetime
from typing import Any

from smsgate.dal import audit, contacts, events, messages
from smsgate.models.entities import Dnd, Message, StatusChange
from smsgate.models.events import Receipt
from smsgate.models.phone import mask_phone
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.receipts import FINAL_STATUSES, dnd_for_error, status_moves_forward, unregisters_sender
from smsgate.services import registration

# Which statuses each receipt status may replace (SPEC section 7: never backwards).
_ALLOWED_FROM: dict[str, list[str]] = {
    "sent": ["queued"],
    "delivered": ["queued", "sent"],
    "undelivered": ["queued", "sent"],
    "failed": ["queued", "sent"],
}


def event_key(receipt: Receipt) -> str:
    return f"receipt#{receipt.receipt_id}"


def apply_receipt(receipt: Receipt, now: datetime) -> str:
    """Apply one receipt (steps in the module doc). Returns 'applied' (the status moved),
    'stale' (history only), 'duplicate' or 'unknown_message'."""
    key = event_key(receipt)
    if events.is_applied(key):
        return _duplicate(receipt)
    message = messages.get_message(receipt.message_id) if receipt.message_id else None
    if message is None:
        metrics.add_metric(name="ReceiptUnknownMessage", unit=MetricUnit.Count, value=1)
        logger.warning("receipt for an unknown message", extra={"receipt_id": receipt.receipt_id})
        return "unknown_message"
    change = StatusChange(status=receipt.status, at=receipt.occurred_at, error_code=receipt.error_code)
    moved = _record_status(message, change, receipt.carrier_message_id)
    counts: list[dict[str, Any]] = []
    if moved and receipt.status in FINAL_STATUSES:
        _apply_dnd(message, receipt)
        if unregisters_sender(receipt.error_code):
            # docs/carrier-codes.md#unregistered-numbers: refused at the gate from now on.
            registration.mark_unregistered(message.location_id, message.from_number, now)
        audit.mark_active(message.location_id, message.created_at)
        counts.append(
            audit.counter_update(
                message.location_id, message.created_at, {receipt.status: 1}, receipt.error_code
            )
        )
    if not events.claim_with(key, now, counts):
        return _duplicate(receipt)
    _observe(message, receipt, moved)
    return "applied" if moved else "stale"


def _record_status(message: Message, change: StatusChange, carrier_message_id: str | None) -> bool:
    """Move the status forward or append to the history; True when this receipt moved it.

    A redelivery after a crash finds its change in the history and writes nothing; whether it
    had moved the status is read from the history itself: it did when it outranks every
    change before it.
    """
    if change in message.history:
        index = message.history.index(change)
        best = "queued"
        for earlier in message.history[:index]:
            if status_moves_forward(best, earlier.status):
                best = earlier.status
        return status_moves_forward(best, change.status)
    if status_moves_forward(message.status, change.status) and messages.advance_status(
        message.message_id, change, _ALLOWED_FROM[change.status], carrier_message_id
    ):
        return True
    messages.append_history(message.message_id, change)
    return False


def _apply_dnd(message: Message, receipt: Receipt) -> None:
    state = dnd_for_error(receipt.error_code)
    if state is None:
        return
    dnd = Dnd(
        state=state,
        reason=f"carrier error {receipt.error_code}: message {receipt.status}",
        error_code=receipt.error_code,
        since=receipt.occurred_at,
    )
    contacts.set_dnd(message.location_id, message.to, dnd, only_if_not_permanent=True)
    metrics.add_metric(name=f"ReceiptDnd_{state}", unit=MetricUnit.Count, value=1)


def _duplicate(receipt: Receipt) -> str:
    metrics.add_metric(name="ReceiptDuplicate", unit=MetricUnit.Count, value=1)
    logger.info("redelivered receipt, nothing applied", extra={"receipt_id": receipt.receipt_id})
    return "duplicate"


def _observe(message: Message, receipt: Receipt, moved: bool) -> None:
    metrics.add_metric(name=f"Receipt_{receipt.status}", unit=MetricUnit.Count, value=1)
    if receipt.error_code is not None:
        metrics.add_metric(name=f"ReceiptError_{receipt.error_code}", unit=MetricUnit.Count, value=1)
    if not moved:
        metrics.add_metric(name="ReceiptStale", unit=MetricUnit.Count, value=1)
    logger.info(
        "receipt applied",
        extra={
            "receipt_id": receipt.receipt_id,
            "message_id": message.message_id,
            "location_id": message.location_id,
            "to": mask_phone(message.to),
            "status": receipt.status,
            "carrier_status": receipt.carrier_status,
            "error_code": receipt.error_code,
            "moved": moved,
        },
    )
