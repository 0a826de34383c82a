"""What the HTTP API answers about messages, and every error: one model per response shape,
declared on the routes so the served OpenAPI document states each status and its schema
(docs/api.md). What it answers about a location, its registration and its contacts is
`smsgate.models.location_views`, kept apart so that an instance whose first request is a send
does not build their classes (docs/performance.md#cold-imports).

Times are ISO 8601 strings exactly as they were stored or computed (`2024-05-01T10:00:00+00:00`),
not re-rendered: the document says `format: date-time` and the wire keeps its form.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from smsgate.models.vocabulary import Encoding, MessageKind, MessageStatus, ScheduleReason
from smsgate.reasons import ReasonCode, WarningCode

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


class View(BaseModel):
    # defer_build: pydantic builds each model the first time a route answers with it, not at import.
    model_config = ConfigDict(defer_build=True, populate_by_name=True)


# --- errors ------------------------------------------------------------------------------------


class FieldProblem(View):
    field: str = Field(description="The field at fault, dotted for nested ones (`contact.email`, `rows.3`)")
    problem: str


class ErrorDetail(View):
    """`{"code", "message", ...}`; a code adds the fields that explain it (`category` and `term`
    for content, `missing` for registration, `limit` and `resets_at` for the daily limit, …)."""

    model_config = ConfigDict(defer_build=True, extra="allow")

    code: ReasonCode
    message: str
    fields: list[FieldProblem] | None = Field(
        default=None, description="VALIDATION_ERROR: every field at fault and what is wrong with it"
    )


class ErrorBody(View):
    error: ErrorDetail


# --- sending -----------------------------------------------------------------------------------


class ContentWarning(View):
    code: WarningCode
    message: str
    domain: str | None = None


class SendAccepted(View):
    """`POST /v1/messages`, 202: the message as it will go out."""

    message_id: str
    status: Literal["queued", "scheduled"]
    body: str = Field(description="The final body, with the sender identification and opt-out language added")
    segments: int
    encoding: Encoding
    scheduled_for: Timestamp | None = Field(
        default=None, description="`scheduled` only: the minute the message is due (docs/scheduling.md)"
    )
    reason: ScheduleReason | None = Field(default=None, description="`scheduled` only: why it waits")
    warnings: list[ContentWarning] | None = Field(default=None, description="Only when there is any")


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
