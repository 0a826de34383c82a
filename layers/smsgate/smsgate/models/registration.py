"""10DLC registration: a location's brand and campaign (docs/registration.md#states).

The request models are strict (unknown fields refused, booleans must be JSON booleans): what
the carriers vet is what the business typed, so nothing is guessed. The stored records
(`Brand`, `Campaign`) add the registration's state, the carriers' reasons and its history.

Identifiers follow The Campaign Registry (TCR), which every carrier platform (Twilio, Telnyx,
AWS End User Messaging SMS) passes through unchanged.
"""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StrictBool,
    model_validator,
)
from pydantic.networks import validate_email

from smsgate.models.addresses import LongCode
from smsgate.models.phone import StrictE164

RegistrationState = Literal["draft", "pending", "approved", "failed"]
# What the carriers decide on a pending registration.
Decision = Literal["approved", "failed"]
BrandPath = Literal["low_volume", "standard"]

# TCR entity types. Sole proprietors (no EIN) are not offered: registration needs an EIN or
# tax id: businesses without one cannot register for now (docs/registration.md#fields).
EntityType = Literal["PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT", "GOVERNMENT"]

# TCR verticals (the brand's industry).
Vertical = Literal[
    "AGRICULTURE",
    "COMMUNICATION",
    "CONSTRUCTION",
    "EDUCATION",
    "ENERGY",
    "ENTERTAINMENT",
    "FINANCIAL",
    "GAMBLING",
    "GOVERNMENT",
    "HEALTHCARE",
    "HOSPITALITY",
    "HUMAN_RESOURCES",
    "INSURANCE",
    "LEGAL",
    "MANUFACTURING",
    "NGO",
    "POLITICAL",
    "POSTAL",
    "PROFESSIONAL",
    "REAL_ESTATE",
    "RETAIL",
    "TECHNOLOGY",
    "TRANSPORTATION",
]

# TCR standard campaign use cases. `LOW_VOLUME` is TCR's "low-volume mixed"; `MIXED` covers
# several use cases (the default of the higher-volume path, docs/registration.md#fields).
UseCase = Literal[
    "2FA",
    "ACCOUNT_NOTIFICATION",
    "CUSTOMER_CARE",
    "DELIVERY_NOTIFICATION",
    "FRAUD_ALERT",
    "HIGHER_EDUCATION",
    "LOW_VOLUME",
    "MARKETING",
    "MIXED",
    "POLLING_VOTING",
    "PUBLIC_SERVICE_ANNOUNCEMENT",
    "SECURITY_ALERT",
]

# How contacts opt in to the campaign (TCR's message flow).
# AT&T's 10DLC message classes; their rates are data in `smsgate.policy.pacing`.
MessageClass = Literal["A", "B", "C", "D", "E", "F", "T", "W", "G", "K", "N", "P"]
# T-Mobile's brand tiers, set from the brand's vetting score: each caps the segments a day the
# brand (its EIN) sends to T-Mobile subscribers; the caps are data in the policy profile
# (docs/registration.md#t-mobile-brand-cap).
TMobileTier = Literal["low", "low_mid", "mid", "top", "uncapped"]
OptInMethod = Literal["web_form", "paper_form", "keyword", "verbal", "point_of_sale", "mobile_app", "other"]

_EIN = re.compile(r"^(\d{2})-?(\d{7})$")


def normalise_ein(value: str) -> str:
    """The 9 digits of an EIN/tax id given as `12-3456789` or `123456789`."""
    found = _EIN.fullmatch(value.strip())
    if found is None:
        raise ValueError("must be an EIN/tax id of 9 digits, written 12-3456789 or 123456789")
    return found.group(1) + found.group(2)


Ein = Annotated[str, AfterValidator(normalise_ein)]
# Stored and answered as the text the business gave (normalised by pydantic).
Website = Annotated[HttpUrl, PlainSerializer(str, return_type=str)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
# TCR asks for at least 40 characters of description and opt-in flow, 20 per sample message.
LongText = Annotated[str, Field(min_length=40, max_length=4096)]
SampleMessage = Annotated[str, Field(min_length=20, max_length=1024)]


def _email_address(value: str) -> str:
    return validate_email(value)[1]


# pydantic's EmailStr, checked by the same function, except that `email_validator` is loaded at
# the first address checked rather than when this module is imported (docs/performance.md#cold-imports).
EmailAddress = Annotated[str, AfterValidator(_email_address), Field(json_schema_extra={"format": "email"})]


class _Strict(BaseModel):
    # defer_build: pydantic builds the validator at the first use, not at import (cold start).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class BrandContact(_Strict):
    """The brand's point of contact (name, e-mail, phone and position; docs/registration.md#fields)."""

    name: Text
    email: EmailAddress
    phone: StrictE164
    title: Text | None = None


class BrandAddress(_Strict):
    street: Text
    city: Text
    state: Text
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. US")] = "US"


class BrandDetails(_Strict):
    """What the carriers vet about the business: locked once submitted (docs/registration.md#states)."""

    contact: BrandContact
    legal_name: Text
    ein: Ein = Field(description="EIN/tax id, 9 digits: 12-3456789 or 123456789 (stored as 123456789)")
    entity_type: EntityType
    vertical: Vertical
    website: Website
    address: BrandAddress
    path: BrandPath = Field(description="low_volume: at most 6,000 segments a day; standard: more")


class CampaignDetails(_Strict):
    """What the carriers vet about the messages: locked once submitted (docs/registration.md#states)."""

    use_case: UseCase
    age_gated: StrictBool = Field(default=False, description="Content for adults only (TCR ageGated)")
    description: LongText
    opt_in_method: OptInMethod
    opt_in_description: LongText
    sample_messages: list[SampleMessage] = Field(min_length=2, max_length=5)
    has_links: StrictBool
    has_phone_numbers: StrictBool


class BrandRequest(BrandDetails):
    """`PUT /v1/locations/{id}/brand`: submit (or, with `submit: false`, save a draft)."""

    submit: StrictBool = True


def _once_each(numbers: list[str]) -> list[str]:
    return list(dict.fromkeys(numbers))


# The numbers assigned to a campaign, each once, in the order given.
CampaignNumbers = Annotated[list[LongCode], Field(max_length=1000), AfterValidator(_once_each)]


class CampaignRequest(CampaignDetails):
    """`PUT /v1/locations/{id}/campaign`: submit (or save a draft) with its assigned numbers."""

    numbers: CampaignNumbers = Field(default_factory=list)
    submit: StrictBool = True


class CampaignNumbersRequest(_Strict):
    """`PUT /v1/locations/{id}/campaign/numbers`: the numbers assigned to the campaign."""

    numbers: CampaignNumbers


class DecisionRequest(_Strict):
    """The carriers' decision, recorded by an operator (`PUT …/brand/decision`, `…/campaign/decision`)."""

    state: Decision
    reasons: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=50
    )
    # What the carriers grant an approved campaign: AT&T's message class and the messages per
    # second of each number; the dispatcher paces by them (docs/pacing.md#what-paces-a-message).
    message_class: MessageClass | None = Field(default=None, description="AT&T 10DLC message class")
    number_mps: float | None = Field(
        default=None, gt=0, le=1000, description="Messages per second per number"
    )

    # What T-Mobile grants an approved brand: its tier, and the daily segments it assigned when
    # they differ from the tier's figure (a special business review), docs/registration.md#t-mobile-brand-cap.
    tmobile_tier: TMobileTier | None = Field(
        default=None, description="T-Mobile brand tier (from the vetting score)"
    )
    tmobile_daily_segments: int | None = Field(
        default=None,
        ge=1,
        le=100_000_000,
        description="T-Mobile's daily segment cap when assigned apart from the tier",
    )

    @model_validator(mode="after")
    def reasons_for_a_failure(self) -> "DecisionRequest":
        # A failed registration is corrected from its reasons, so they are required
        # (docs/registration.md#states).
        if self.state == "failed" and not self.reasons:
            raise ValueError("a failed decision needs its reasons: what the business must correct")
        return self


class StateChange(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    state: RegistrationState
    at: datetime
    reasons: tuple[str, ...] = ()


class Registration(BaseModel):
    """State of one registration. `revision` grows with every write (optimistic concurrency)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    state: RegistrationState
    reasons: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    updated_at: datetime
    revision: int = 1
    history: tuple[StateChange, ...] = ()


class Brand(Registration):
    details: BrandDetails
    # Recorded with the carriers' approval (docs/registration.md#t-mobile-brand-cap).
    tmobile_tier: TMobileTier | None = None
    tmobile_daily_segments: int | None = None


class Campaign(Registration):
    details: CampaignDetails
    numbers: tuple[str, ...] = ()
    # Numbers a carrier reported as not registered (error 30034): refused until the operator
    # records the campaign's numbers again (docs/carrier-codes.md#unregistered-numbers).
    unregistered_numbers: tuple[str, ...] = ()
    # Recorded with the carriers' approval (docs/pacing.md#what-paces-a-message).
    message_class: str | None = None
    number_mps: float | None = None
