"""An outbound message on its way to the carrier: one concept, seen at two moments.

`OutboundMessage` is what every outbound message is (who sends what to whom); the queue's
`OutboundRecord` adds what the dispatcher decides by (kind, validity, pacing), and the carrier's
`OutboundSms` adds what the carrier is told (message type, validity left). Both are built from
the message they carry, never field by field (docs/send-path.md#one-outbound-message). A
message waiting for its minute is one too (`smsgate.models.schedule.ScheduledMessage`).
"""

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict

from smsgate.models.entities import Message


class OutboundMessage(BaseModel):
    """Who sends what to whom: the fields the queue and the carrier share."""

    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    message_id: str
    location_id: str
    from_number: str
    to: str
    body: str

    def addressing(self) -> dict[str, Any]:
        """The shared fields, to build the message's other form from."""
        return OutboundMessage.addressing_of(self)

    @staticmethod
    def addressing_of(message: "Message | OutboundMessage") -> dict[str, Any]:
        """The shared fields of a stored message or of another form of it."""
        return {name: getattr(message, name) for name in OutboundMessage.model_fields}


class OutboundRecord(OutboundMessage):
    """What the dispatcher needs to hand a message to the carrier, without another read."""

    kind: str
    # ISO time of the contact's opt-out this message confirms: the dispatcher measures the
    # confirmation's delay from it (docs/inbound.md#one-confirmation).
    opt_out_received_at: str | None = None
    # None: the kind's default validity from the moment the dispatcher sends it.
    expires_at: datetime | None = None
    # The campaign whose AT&T rate the message shares, its message class and the number rate
    # the carriers granted it, when recorded (docs/pacing.md#what-paces-a-message).
    campaign_id: str | None = None
    message_class: str | None = None
    number_mps: float | None = None

    @classmethod
    def of(cls, message: Message, **extra: Any) -> Self:
        """The queue's record of a stored message; `extra` sets the pacing and opt-out fields."""
        return cls(
            **OutboundMessage.addressing_of(message),
            kind=message.kind,
            expires_at=message.expires_at,
            **extra,
        )


class OutboundSms(OutboundMessage):
    """What the dispatcher hands an adapter: the final, already decorated message."""

    # How the carrier should route and price it (AWS `MessageType`; docs/carriers.md).
    message_type: Literal["TRANSACTIONAL", "PROMOTIONAL"] = "TRANSACTIONAL"
    # Seconds the carrier may still try to deliver it (Twilio `ValidityPeriod`, AWS `TimeToLive`).
    validity_seconds: int | None = None
    # The short-code program's keyword, sent from a short code that has one (AWS `Keyword`;
    # docs/carriers.md#short-codes).
    keyword: str | None = None
