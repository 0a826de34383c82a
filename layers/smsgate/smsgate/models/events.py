"""Internal events: every carrier's receipt and every inbound reply becomes one of these."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from smsgate.models.vocabulary import CarrierName, ReceiptStatus, ReplyKind


class Receipt(BaseModel):
    """A delivery receipt in the internal model (docs/policy.md#delivery-receipts)."""

    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    receipt_id: str  # unique per carrier event: the key that makes applying it idempotent
    message_id: str | None  # ours, when the carrier echoes it (context / callback URL)
    carrier: CarrierName
    carrier_message_id: str | None
    status: ReceiptStatus
    error_code: int | None = None
    carrier_status: str  # the carrier's own word, kept for the history
    occurred_at: datetime
    # False while the carrier says more may follow (AWS `isFinal`): such a receipt never ends
    # the message, whatever its status (docs/receipts.md#final-and-non-final-receipts).
    final: bool = True


class InboundReply(BaseModel):
    """A contact's message to one of the locations' numbers (docs/policy.md#replies)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    inbound_id: str  # the carrier's id of the inbound message: the idempotency key
    carrier: CarrierName
    contact: str  # E.164 of the contact who wrote
    number: str  # E.164 of the location's number that received it
    body: str
    received_at: datetime
    # The keyword the carrier itself recognised (Twilio's `OptOutType`, AWS's managed keywords):
    # docs/carriers.md#opt-outs-the-carrier-manages.
    carrier_keyword: ReplyKind | None = None
