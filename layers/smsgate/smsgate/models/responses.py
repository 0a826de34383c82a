"""What the HTTP API answers: one model per response shape, declared on the
routes so the served OpenAPI document states each status and its schema (docs/api.md).

Times are ISO 8601 strings exactly as they were stored or computed (`2024-05-01T10:00:00+00:00`),
not re-rendered: the document says `format: date-time` and the wire keeps its form.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from smsgate.models.entities import ConsentEntry, QuietHours
from smsgate.models.registration import (
    BrandDetails,
    CampaignDetails,
    RegistrationState,
    StateChange,
    TMobileTier,
)
from smsgate.models.vocabulary import (
    ConsentState,
    DndState,
    Encoding,
    LocationStatus,
    MessageKind,
    MessageStatus,
    RevocationMode,
    ScheduleReason,
)
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


# --- locations ---------------------------------------------------------------------------------


class UsageView(View):
    day: Day
    limit: int
    sent_today: int
    remaining: int
    resets_at: Timestamp
    profile: str = Field(description="The policy profile whose numbers applied")


class VolumeCapView(View):
    limit: int
    segments_today: int
    remaining: int


class RegistrationView(View):
    state: RegistrationState
    reasons: list[str]
    submitted_at: Timestamp | None
    decided_at: Timestamp | None
    updated_at: Timestamp
    history: list[StateChange]


class BrandView(RegistrationView):
    details: BrandDetails
    tmobile_tier: TMobileTier | None = Field(
        default=None, description="T-Mobile brand tier recorded with the approval (none: the lowest applies)"
    )
    tmobile_daily_segments: int | None = Field(
        default=None, description="T-Mobile's daily segment cap when assigned apart from the tier"
    )


class CampaignView(RegistrationView):
    details: CampaignDetails
    numbers: list[str]
    unregistered_numbers: list[str] = Field(
        default_factory=list,
        description="Numbers a carrier reported unregistered: refused until the numbers are recorded again",
    )


class ShortCodeView(View):
    code: str
    country: str = Field(description="ISO region of its program: the only destinations it reaches")
    keyword: str | None = Field(description="The program's keyword, when recorded")


class LocationView(View):
    location_id: str
    name: str
    created_at: Timestamp
    numbers: list[str]
    short_codes: list[ShortCodeView] = Field(
        description="Approved short codes an operator recorded (docs/carriers.md#short-codes)"
    )
    opt_out_text: str
    sender_text: str
    revocation_mode: RevocationMode
    profile: str = Field(description="The policy profile that applies to the location")
    quiet_hours: QuietHours = Field(description="The location's quiet hours (docs/quiet-hours.md)")
    status: LocationStatus
    suspended_until: Timestamp | None
    brand: BrandView | None
    campaign: CampaignView | None
    volume_cap: VolumeCapView | None = Field(
        description="A low-volume brand's segments today; null when uncapped"
    )
    usage: UsageView


class LocationSummary(View):
    location_id: str
    name: str
    created_at: Timestamp
    status: LocationStatus
    suspended_until: Timestamp | None
    numbers: list[str]


class LocationsPage(View):
    locations: list[LocationSummary]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last one")


class AuditWindowView(View):
    start: Timestamp
    end: Timestamp


class RateThresholds(View):
    error_rate: float
    opt_out_rate: float


class ThresholdsView(View):
    violation: RateThresholds
    suspension: RateThresholds
    min_sample: int


class HealthView(View):
    profile: str = Field(description="The policy profile whose thresholds applied")
    location_id: str
    status: LocationStatus
    suspended_until: Timestamp | None
    window: AuditWindowView
    sent: int
    delivered: int
    failed: int
    undelivered: int
    opt_outs: int
    errors_by_code: dict[str, int]
    error_rate: float
    opt_out_rate: float
    thresholds: ThresholdsView
    min_sample: int
    verdict: Literal["none", "violation", "suspension"]
    below_min_sample: bool


# --- contacts and consent ----------------------------------------------------------------------


class ConsentView(View):
    state: ConsentState
    source: str | None
    captured_at: Timestamp | None


class DndView(View):
    state: DndState
    reason: str | None
    error_code: int | None
    since: Timestamp | None


class ContactPlaceView(View):
    time_zone: str | None = Field(description="IANA time zone name")
    state: str | None = Field(description="US state, DC or territory (two letters)")
    recorded_at: Timestamp | None


class ContactView(View):
    location_id: str
    phone: str
    consent: ConsentView
    dnd: DndView
    last_inbound_at: Timestamp | None
    last_outbound_at: Timestamp | None
    place: ContactPlaceView | None = Field(
        default=None, description="Where the contact is, when recorded (docs/quiet-hours.md)"
    )
    ledger: list[ConsentEntry]


class ConsentRowResult(View):
    row: int = Field(description="The row's index in the request")
    phone: str | None
    status: Literal["recorded", "unchanged", "rejected"]
    code: ReasonCode | None = None
    message: str | None = None


class ConsentBatchAnswer(View):
    results: list[ConsentRowResult]
    recorded: int
    unchanged: int
    rejected: int
