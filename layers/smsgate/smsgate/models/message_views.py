"""What the HTTP API answers to a bulk send and about one message, its status history
included (docs/api.md). The single send's answer and the error body are
`smsgate.models.responses`; these are imported with the routes that answer them
(docs/performance.md#cold-imports).
"""

from typing import Literal

from pydantic import Field

from smsgate.models.responses import ContentWarning, Timestamp, View
from smsgate.models.vocabulary import MessageKind, MessageStatus
from smsgate.reasons import ReasonCode


class BulkRecipient(View):
    to: str
    code: ReasonCode


class BulkMessage(View):
    to: str
    message_id: str
    status: Literal["queued", "scheduled"] | None = Field(default=None, description="Absent in a preview")
    scheduled_for: Timestamp | None = Field(
        default=None, description="`scheduled` only: the minute it is due"
    )


class BulkAnswer(View):
    """`POST /v1/messages/bulk`: 202 (200 for a preview), or 429 when the limit let none through."""

    accepted: int = Field(description="Queued now, or scheduled for `send_at` or the recipient's quiet hours")
    deferred: int = Field(
        default=0,
        description="Over today's limit with `when_over_limit: defer`: scheduled for the limit's reset",
    )
    skipped: list[BulkRecipient]
    failed: list[BulkRecipient]
    notice: str | None = Field(
        default=None, description="Only when the daily limit fails or defers some recipients"
    )
    messages: list[BulkMessage]
    preview: bool
    warnings: list[ContentWarning] | None = Field(default=None, description="Only when there is any")


class StatusChangeView(View):
    status: MessageStatus
    at: Timestamp
    error_code: int | None
    reason: str | None = Field(
        default=None,
        description="`scheduled`: why (`send_at`, `quiet_hours`, `daily_limit`);"
        " `failed` at a release: the reason code",
    )


class CarrierReceiptView(View):
    status: MessageStatus
    carrier_status: str = Field(description="The carrier's own word for the status")
    final: bool = Field(description="Whether the carrier says no later receipt follows")
    at: Timestamp
    error_code: int | None


class MessageView(View):
    message_id: str
    location_id: str
    from_number: str = Field(alias="from")
    to: str
    body: str
    kind: MessageKind
    segments: int
    encoding: str
    status: MessageStatus
    error_code: int | None
    carrier_message_id: str | None
    created_at: Timestamp
    expires_at: Timestamp | None = Field(
        default=None, description="When the carrier stops trying to deliver it (its validity)"
    )
    scheduled_for: Timestamp | None = Field(
        default=None, description="The minute a scheduled message is (or was) due (docs/scheduling.md)"
    )
    history: list[StatusChangeView]
    receipts: list[CarrierReceiptView] = Field(
        default_factory=list,
        description="Every carrier receipt as it came, late, repeated or not final included",
    )
