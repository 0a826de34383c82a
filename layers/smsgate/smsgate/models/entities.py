"""What smsgate stores: locations, contacts with their consent ledger, messages
(docs/data-model.md#entities)."""

import re
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from smsgate.models.registration import Brand, Campaign
from smsgate.models.vocabulary import (
    ConsentState,
    DndState,
    LocationStatus,
    MessageKind,
    MessageStatus,
    QuietHoursAction,
    RevocationMode,
)

if TYPE_CHECKING:
    from smsgate.policy.quiet_hours import QuietHoursPolicy

DEFAULT_OPT_OUT_TEXT = "Reply STOP to unsubscribe"
DEFAULT_SENDER_TEXT = "Thanks, {name}"


_WALL_CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _wall_clock(value: object) -> object:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or re.fullmatch(_WALL_CLOCK_PATTERN, value) is None:
        raise ValueError("is a local wall-clock time, HH:MM or HH:MM:SS without an offset, e.g. 21:00")
    return value


# A wall-clock time of the recipient's own zone: "21:00" or "21:00:00", never with an offset
# (JSON Schema's `time` format requires one, so the document states the pattern instead).
WallClockTime = Annotated[
    time,
    BeforeValidator(_wall_clock),
    WithJsonSchema({"type": "string", "pattern": _WALL_CLOCK_PATTERN}),
]


class QuietHours(BaseModel):
    """A location's quiet hours, as stored and as its owner gives them
    (docs/quiet-hours.md#the-locations-policy): quiet from `quiet_from` to `quiet_until` in the
    recipient's local time, across midnight; whether workflows wait too; and what happens to a
    held message unless its request says otherwise."""

    model_config = ConfigDict(frozen=True, defer_build=True, extra="forbid")

    quiet_from: WallClockTime = time(21)
    quiet_until: WallClockTime = time(8)
    hold_workflow: bool = False
    action: QuietHoursAction = "defer"

    @model_validator(mode="after")
    def across_midnight(self) -> "QuietHours":
        self.policy()  # the policy refuses hours that do not run across midnight
        return self

    def policy(self, action: QuietHoursAction | None = None) -> "QuietHoursPolicy":
        """The pure policy's view, with a request's `action` in place of the location's."""
        # Imported by the first quiet hours built, not with the entities: the policy brings the
        # calling-hours rules and the numbering plan, which the consumers that read no location
        # (the dispatcher, the status callback) never use (docs/performance.md#cold-imports).
        from smsgate.policy.quiet_hours import QuietHoursPolicy

        return QuietHoursPolicy(
            quiet_from=self.quiet_from.replace(second=0, microsecond=0),
            quiet_until=self.quiet_until.replace(second=0, microsecond=0),
            hold_workflow=self.hold_workflow,
            action=action or self.action,
        )


class ShortCode(BaseModel):
    """A short code an operator recorded for a location: it runs under the carriers' approved
    short-code program, not 10DLC, and reaches destinations of its own country only
    (docs/carriers.md#short-codes)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    code: str
    # ISO region of the program ('US', 'CA', …).
    country: str
    # The program's keyword, which AWS End User Messaging asks with each US short-code send.
    keyword: str | None = None


class Location(BaseModel):
    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(frozen=True, defer_build=True)

    location_id: str
    name: str
    created_at: datetime
    numbers: tuple[str, ...] = ()
    opt_out_text: str = DEFAULT_OPT_OUT_TEXT
    sender_text: str = DEFAULT_SENDER_TEXT
    status: LocationStatus = "active"
    suspended_until: datetime | None = None
    # How a free-text reply that asks to stop is treated (FCC revocation rule; docs/inbound.md).
    revocation_mode: RevocationMode = "reasonable_means"
    # The policy profile an operator gave the location; None: the deployment's default
    # (docs/policy-profiles.md).
    profile: str | None = None
    # 10DLC registration (docs/registration.md#states), stored on the location's item.
    brand: Brand | None = None
    campaign: Campaign | None = None
    # When marketing messages wait for the recipient's day (docs/quiet-hours.md).
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    # Only an operator records them (docs/carriers.md#short-codes).
    short_codes: tuple[ShortCode, ...] = ()


class ConsentEntry(BaseModel):
    """One line of a contact's append-only consent ledger."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    entry_id: str
    action: Literal["opt_in", "opt_out"]
    source: str
    evidence: str | None = None
    captured_at: datetime
    recorded_at: datetime
    actor: str


class Dnd(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    state: DndState = "none"
    reason: str | None = None
    error_code: int | None = None
    since: datetime | None = None


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    state: ConsentState = "none"
    source: str | None = None
    captured_at: datetime | None = None


class ContactPlace(BaseModel):
    """Where a contact is, as its location recorded it: it places the recipient before its number
    does (docs/quiet-hours.md#where-the-recipient-is)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    time_zone: str | None = None
    state: str | None = None
    recorded_at: datetime | None = None


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    location_id: str
    phone: str
    consent: Consent = Field(default_factory=Consent)
    dnd: Dnd = Field(default_factory=Dnd)
    last_outbound_at: datetime | None = None
    last_inbound_at: datetime | None = None
    # When the contact last got the sender identification and opt-out language (docs/policy.md#sender-id).
    introduced_at: datetime | None = None
    # When its last counted marketing messages went, oldest first, for its state's same-subject
    # limit (docs/quiet-hours.md#same-subject-limits).
    subject_sends: tuple[datetime, ...] = ()
    place: ContactPlace | None = None


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    status: MessageStatus
    at: datetime
    error_code: int | None = None
    # `scheduled`: why (ScheduleReason); `failed` at a release: the gate's reason code.
    reason: str | None = None


class CarrierReceipt(BaseModel):
    """One carrier receipt as it came, with the carrier's own time (docs/receipts.md#history).

    The history holds only the changes that moved the status; every receipt, late, repeated
    or not final, is kept here so that the carrier's story stays whole."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    status: MessageStatus
    carrier_status: str
    final: bool
    at: datetime
    error_code: int | None = None


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    message_id: str
    location_id: str
    from_number: str = Field(serialization_alias="from")
    to: str
    body: str
    kind: MessageKind
    segments: int
    encoding: str
    status: MessageStatus = "queued"
    error_code: int | None = None
    carrier_message_id: str | None = None
    created_at: datetime
    # After this the message is not handed to the carrier (docs/carriers.md#message-type-and-validity).
    expires_at: datetime | None = None
    # The minute a scheduled message is due (docs/scheduling.md).
    scheduled_for: datetime | None = None
    history: tuple[StatusChange, ...] = ()
    receipts: tuple[CarrierReceipt, ...] = ()

    def to_api(self) -> dict[str, Any]:
        """The message shape of the API (docs/api.md#answers)."""
        return {
            "message_id": self.message_id,
            "location_id": self.location_id,
            "from": self.from_number,
            "to": self.to,
            "body": self.body,
            "kind": self.kind,
            "segments": self.segments,
            "encoding": self.encoding,
            "status": self.status,
            "error_code": self.error_code,
            "carrier_message_id": self.carrier_message_id,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "scheduled_for": self.scheduled_for.isoformat() if self.scheduled_for else None,
            "history": [
                {
                    "status": change.status,
                    "at": change.at.isoformat(),
                    "error_code": change.error_code,
                    "reason": change.reason,
                }
                for change in self.history
            ],
            "receipts": [
                {
                    "status": receipt.status,
                    "carrier_status": receipt.carrier_status,
                    "final": receipt.final,
                    "at": receipt.at.isoformat(),
                    "error_code": receipt.error_code,
                }
                for receipt in self.receipts
            ],
        }
