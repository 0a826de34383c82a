"""What the HTTP API answers about a location: the location, its usage and health, its 10DLC
registration, its contacts and their consent (docs/api.md). The message answers and the error
body are `smsgate.models.responses`; these are imported with the routes that answer them, at
the first request that is not a message's (docs/performance.md#cold-imports).
"""

from typing import Literal

from pydantic import Field

from smsgate.models.entities import ConsentEntry, QuietHours
from smsgate.models.registration import (
    BrandDetails,
    CampaignDetails,
    RegistrationState,
    StateChange,
    TMobileTier,
)
from smsgate.models.responses import Day, Timestamp, View
from smsgate.models.vocabulary import ConsentState, DndState, LocationStatus, RevocationMode
from smsgate.reasons import ReasonCode

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
