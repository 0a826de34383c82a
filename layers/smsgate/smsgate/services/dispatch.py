"""The dispatcher's use case: hand one queued message to the carrier, once."""

from collections.abc import Callable
from datetime import datetime

from smsgate.carriers.base import Carrier, OutboundSms, PermanentCarrierError
from smsgate.dal import events, messages
from smsgate.dal.outbound import OutboundRecord
from smsgate.models.entities import StatusChange
from smsgate.models.events import Receipt
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.services.receipts import apply_receipt


def dispatch(record: OutboundRecord, carrier: Carrier, clock: Callable[[], datetime]) -> str:
    """Send one message. Returns 'sent', 'rejected' or 'duplicate'.

    A redelivered queue message sends nothing twice: the send is claimed first, and a claim
    whose send failed transiently is released so the retry can send.
    """
    now = clock()
    send_key = f"send#{record.message_id}"
    if not events.claim(send_key, now):
        return "duplicate"
    sms = OutboundSms(
        message_id=record.message_id,
        location_id=record.location_id,
        from_number=record.from_number,
        to=record.to,
        body=record.body,
    )
    try:
        result = carrier.send(sms)
    except PermanentCarrierError as rejection:
        apply_receipt(
            Receipt(
                receipt_id=f"rejected#{record.message_id}",
                message_id=record.message_id,
                carrier=carrier.name,  # type: ignore[arg-type]
                carrier_message_id=None,
                status="failed",
                error_code=rejection.code,
                carrier_status="rejected",
                occurred_at=now,
            ),
            now,
        )
        metrics.add_metric(name="CarrierRejected", unit=MetricUnit.Count, value=1)
        return "rejected"
    except Exception:
        events.release(send_key)
        raise
    messages.advance_status(
        record.message_id, StatusChange(status="sent", at=clock()), ["queued"], result.carrier_message_id
    )
    metrics.add_metric(name="Sent", unit=MetricUnit.Count, value=1)
    logger.info("message handed to the carrier", extra={"message_id": record.message_id, "carrier": carrier.name})
    return "sent"
