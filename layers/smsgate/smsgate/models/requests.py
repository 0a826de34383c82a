"""Requests of the HTTP API: strict, unknown fields refused (STYLE rule 6)."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from smsgate.models.addresses import SHORT_CODE_PATTERN, LongCode, Recipient, Sender
from smsgate.models.entities import QuietHours
from smsgate.models.phone import StrictE164
from smsgate.models.places import TimeZoneName, UsState
from smsgate.models.vocabulary import QuietHoursAction, RevocationMode, WhenOverLimit
from smsgate.policy.profiles import profile_named
from smsgate.policy.registration import short_code_problem
from smsgate.policy.segments import MAX_SEGMENTS, count_segments
from smsgate.policy.validity import MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS

SendKind = Literal["conversation", "bulk", "workflow", "campaign"]
LOCATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


# C0 controls but tab, line feed and carriage return, DEL and the C1 controls: no handset shows
# them and carriers drop or garble them; NUL ends a string in much of the software on the way
# (docs/api.md#control-characters).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control_characters(text: str) -> str:
    found = _CONTROL.search(text)
    if found:
        raise ValueError(
            f"must not contain control characters (U+{ord(found.group()):04X} at position {found.start()})"
        )
    return text


def check_body(body: str) -> str:
    """A non-empty body of at most 10 segments before decoration (docs/policy.md#segments)."""
    if not body.strip():
        raise ValueError("must not be empty")
    refuse_control_characters(body)
    encoding, segments = count_segments(body)
    if segments > MAX_SEGMENTS:
        raise ValueError(f"needs {segments} {encoding} segments; at most {MAX_SEGMENTS} are allowed")
    return body


# What a send request, single or bulk, accepts as its body, its idempotency key and its validity.
MessageBody = Annotated[str, Field(min_length=1, max_length=1600), AfterValidator(check_body)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128)]
# Seconds the message may still go out after this request (docs/carriers.md#message-type-and-validity).
ExpiresIn = Annotated[int, Field(ge=MIN_VALIDITY_SECONDS, le=MAX_VALIDITY_SECONDS)]
# When the message is to go out, with its UTC offset; 1 minute to 30 days ahead
# (docs/scheduling.md#send_at: the range is checked against the request's instant).
SendAt = Annotated[
    AwareDatetime,
    Field(description="ISO 8601 with its offset; from 1 minute to 30 days ahead (docs/scheduling.md)"),
]
OverLimit = Annotated[
    WhenOverLimit,
    Field(
        description="`defer`: what the daily limit or the brand's T-Mobile cap stops waits for "
        "that cap's reset instead of failing"
    ),
]
QuietHoursOverride = Annotated[
    QuietHoursAction | None,
    Field(description="What the recipient's quiet hours do to this request; default: the location's action"),
]


class StrictRequest(BaseModel):
    # defer_build: pydantic builds the validator at the first request that needs it, not at
    # import; each cold start builds only the models of the routes it serves.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class SendMessageRequest(StrictRequest):
    location_id: str = Field(pattern=LOCATION_ID_PATTERN)
    from_number: Sender = Field(alias="from")
    to: Recipient
    body: MessageBody
    kind: SendKind
    idempotency_key: IdempotencyKey | None = None
    expires_in: ExpiresIn | None = None
    send_at: SendAt | None = None
    when_over_limit: OverLimit = "fail"
    quiet_hours: QuietHoursOverride = None


class BulkSendRequest(StrictRequest):
    location_id: str = Field(pattern=LOCATION_ID_PATTERN)
    from_number: Sender | None = Field(default=None, alias="from")
    numbers: list[Sender] | None = Field(default=None, min_length=1, max_length=100)
    body: MessageBody
    kind: SendKind = "bulk"
    recipients: list[Recipient] = Field(min_length=1, max_length=5000)
    preview: bool = False
    idempotency_key: IdempotencyKey | None = None
    expires_in: ExpiresIn | None = None
    send_at: SendAt | None = None
    when_over_limit: OverLimit = "fail"
    quiet_hours: QuietHoursOverride = None


# Text that ends up in a message (the location's name and texts decorate its messages).
MessageText = Annotated[str, AfterValidator(refuse_control_characters)]


class PutLocationRequest(StrictRequest):
    name: MessageText = Field(min_length=1, max_length=100)
    created_at: datetime | None = None
    numbers: list[LongCode] = Field(default_factory=list, max_length=1000)
    opt_out_text: MessageText | None = Field(default=None, min_length=1, max_length=100)
    sender_text: MessageText | None = Field(default=None, min_length=1, max_length=100)
    revocation_mode: RevocationMode | None = None
    # Operator only: the policy profile of the location (docs/policy-profiles.md).
    profile: str | None = Field(default=None, min_length=1, max_length=40)
    # Replaces the location's quiet hours as a whole (docs/quiet-hours.md#the-locations-policy).
    quiet_hours: QuietHours | None = None

    @field_validator("profile")
    @classmethod
    def known_profile(cls, name: str | None) -> str | None:
        return None if name is None else profile_named(name).name


class ShortCodeEntry(StrictRequest):
    """One approved short code of a location (docs/carriers.md#short-codes)."""

    code: str = Field(pattern=SHORT_CODE_PATTERN, description="The short code's digits")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO region of its program: it sends there only")
    # SendTextMessage's `Keyword` (1 to 30 characters): AWS asks it with each US short-code send.
    keyword: str | None = Field(
        default=None,
        min_length=1,
        max_length=30,
        pattern=r"^[ \S]+$",
        description="The program's keyword (AWS End User Messaging, US short codes)",
    )

    @model_validator(mode="after")
    def possible(self) -> "ShortCodeEntry":
        problem = short_code_problem(self.code, self.country)
        if problem is not None:
            raise ValueError(problem)
        return self


class ShortCodesRequest(StrictRequest):
    """`PUT /v1/locations/{id}/short-codes` (operator): the location's short codes, all of them."""

    short_codes: list[ShortCodeEntry] = Field(max_length=20)

    @field_validator("short_codes")
    @classmethod
    def once_each(cls, entries: list[ShortCodeEntry]) -> list[ShortCodeEntry]:
        codes = [entry.code for entry in entries]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"each short code once: {', '.join(repeated)} appear(s) more than once")
        return entries


class ConsentRequest(StrictRequest):
    source: MessageText = Field(min_length=1, max_length=100)
    evidence: MessageText | None = Field(default=None, max_length=2000)
    captured_at: datetime | None = None


class ContactPlaceRequest(StrictRequest):
    """Where the contact is (docs/quiet-hours.md#where-the-recipient-is); replaces what was
    recorded, and `{}` removes it."""

    time_zone: TimeZoneName | None = None
    state: UsState | None = Field(
        default=None, description="The US state (or DC, or a territory) whose calling-hours rules apply"
    )


CONSENT_BATCH_MAX_ROWS = 500


class ConsentRow(ConsentRequest):
    """One row of a consent import: the single call's fields and the contact's number. The time of
    capture is required: with it, importing the same row again finds the same ledger line."""

    phone: StrictE164
    captured_at: datetime


class ConsentBatchRequest(StrictRequest):
    # Rows are validated one by one (smsgate.services.consent): a bad row is rejected, not the call.
    rows: list[Any] = Field(
        min_length=1,
        max_length=CONSENT_BATCH_MAX_ROWS,
        description="Up to 500 rows {phone, source, evidence, captured_at}",
    )
