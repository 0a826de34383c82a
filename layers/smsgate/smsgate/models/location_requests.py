"""Requests of the HTTP API's location, short-code, consent and contact routes: strict, unknown
fields refused (docs/api.md). The message routes' are `smsgate.models.requests`; these are
imported with the routes that read them, at the first request that is not a message's
(docs/performance.md#cold-imports).
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from smsgate.models.addresses import SHORT_CODE_PATTERN, LongCode
from smsgate.models.entities import QuietHours
from smsgate.models.phone import StrictE164
from smsgate.models.places import TimeZoneName, UsState
from smsgate.models.requests import StrictRequest, refuse_control_characters
from smsgate.models.vocabulary import RevocationMode
from smsgate.policy.profiles import profile_named
from smsgate.policy.registration import short_code_problem

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
