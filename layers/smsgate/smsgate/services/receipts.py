"""Delivery receipts (docs/receipts.md): status forward only, history in order, DND from error
codes, per-location audit counts, each receipt applied once.

One receipt is applied in one transaction, so the status a client reads and the DND the next
send meets change together (docs/receipts.md#exactly-once):

1. A receipt already claimed is a duplicate: nothing happens.
2. The message it reports on is read. A receipt for a message we do not know is dropped with a
   metric (the carrier account may carry traffic that is not ours).
3. The decision: the receipt moves the status forward (`policy.receipts.status_moves_forward`),
   its change joining the history at a time never before the last change's; or it only joins
   the message's `receipts` (late, repeated, or contradicting a final status: the first final
   status is the last word). A receipt the carrier marks not final never ends a message
   (`policy.receipt_mapping.not_final`).
4. When this receipt ends the message `undelivered` or `failed`, its error code decides the
   contact's DND (`policy.receipts.dnd_to_apply`): temporary for 30003, 30005 and 30006,
   permanent for 30004 and 21610; a temporary DND never replaces a permanent one.
5. One transaction: the claim, the message's change, the DND and the location's counts
   (`delivered`, `failed` or `undelivered`, and `err_<code>`; `sent` is the dispatcher's).
   Counts go to the hour the message was created in, the hour the dispatcher counted it
   `sent`, so a window's error rate divides errors by the sends they belong to (docs/receipts.md).
   A 21610 (the contact opted out at the carrier) is a DND and counts nothing.
   A condition that no longer holds (the message or the DND changed since step 2) cancels it
   all, and the steps run again on fresh reads.

Only the receipt that moves a message to a final status counts it: one message is never
counted twice, whatever the carriers repeat.
"""

from datetime import datetime
from typing import Any

from smsgate.dal import audit, contacts, events, messages
from smsgate.models.entities import CarrierReceipt, Dnd, Message, StatusChange
from smsgate.models.events import Receipt
from smsgate.models.phone import mask_phone
from smsgate.models.vocabulary import FINAL_STATUSES
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.receipts import (
    dnd_to_apply,
    is_audited,
    next_change_time,
    status_moves_forward,
    unregisters_sender,
)

# Each attempt that fails its conditions saw the message or the contact change; a message
# changes at most three times (sent, then a final status), so a few attempts always suffice.
_ATTEMPTS = 5


class ReceiptConflict(RuntimeError):
    """The message kept changing under the receipt; the queue's redelivery applies it later."""


def event_key(receipt: Receipt) -> str:
    return f"receipt#{receipt.receipt_id}"


def apply_receipt(receipt: Receipt, now: datetime) -> str:
    """Apply one receipt (steps in the module doc). Returns 'applied' (the status moved),
    'stale' (kept in the receipts only), 'duplicate' or 'unknown_message'."""
    key = event_key(receipt)
    for _ in range(_ATTEMPTS):
        if events.is_applied(key):
            return _duplicate(receipt)
        message = messages.get_message(receipt.message_id) if receipt.message_id else None
        if message is None:
            metrics.add_metric(name="ReceiptUnknownMessage", unit=MetricUnit.Count, value=1)
            logger.warning("receipt for an unknown message", extra={"receipt_id": receipt.receipt_id})
            return "unknown_message"
        moved = status_moves_forward(message.status, receipt.status)
        dnd = _dnd(message, receipt) if moved and receipt.status in FINAL_STATUSES else None
        updates = _updates(message, receipt, moved, dnd)
        if moved and receipt.status in FINAL_STATUSES and is_audited(receipt.error_code):
            audit.mark_active(message.location_id, message.created_at)
        if moved and receipt.status in FINAL_STATUSES and unregisters_sender(receipt.error_code):
            # Refused at the gate from now on (docs/carrier-codes.md#unregistered-numbers); marked
            # before the claim, so a redelivery marks it again if this attempt dies here. The
            # registration service is imported by the first such receipt: the dispatcher and the
            # status callback need it for nothing else (docs/performance.md#cold-imports).
            from smsgate.services import registration

            registration.mark_unregistered(message.location_id, message.from_number, now)
        if events.claim_with(key, now, updates):
            if dnd is not None:
                metrics.add_metric(name=f"ReceiptDnd_{dnd.state}", unit=MetricUnit.Count, value=1)
            _observe(message, receipt, moved)
            return "applied" if moved else "stale"
    raise ReceiptConflict(f"receipt {receipt.receipt_id} met a changing message {_ATTEMPTS} times")


def _updates(message: Message, receipt: Receipt, moved: bool, dnd: Dnd | None) -> list[dict[str, Any]]:
    kept = CarrierReceipt(
        status=receipt.status,
        carrier_status=receipt.carrier_status,
        final=receipt.final,
        at=receipt.occurred_at,
        error_code=receipt.error_code,
    )
    if not moved:
        return [messages.receipt_update(message.message_id, kept)]
    last_at = message.history[-1].at if message.history else None
    change = StatusChange(
        status=receipt.status,
        at=next_change_time(receipt.occurred_at, last_at),
        error_code=receipt.error_code,
    )
    updates = [messages.status_update(message, change, kept, receipt.carrier_message_id)]
    if dnd is not None:
        temporary = dnd.state == "temporary"
        updates.append(
            contacts.dnd_update(message.location_id, message.to, dnd, only_if_not_permanent=temporary)
        )
    if receipt.status in FINAL_STATUSES and is_audited(receipt.error_code):
        updates.append(
            audit.counter_update(
                message.location_id, message.created_at, {receipt.status: 1}, receipt.error_code
            )
        )
    return updates


def _dnd(message: Message, receipt: Receipt) -> Dnd | None:
    """The DND this receipt's code puts on the contact, if any (the contact's DND is read only
    for a code that implies one)."""
    if dnd_to_apply(receipt.error_code, "none") is None:
        return None
    state = dnd_to_apply(receipt.error_code, contacts.get_contact(message.location_id, message.to).dnd.state)
    if state is None:
        return None
    return Dnd(
        state=state,
        reason=f"carrier error {receipt.error_code}: message {receipt.status}",
        error_code=receipt.error_code,
        since=receipt.occurred_at,
    )


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
