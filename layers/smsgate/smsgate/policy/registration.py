"""10DLC registration (docs/policy.md#10dlc-registration) as pure decisions.

A registration (brand or campaign) moves `draft` → `pending` → `approved` | `failed`. It is
submitted once: after submission nothing the carriers vetted can be edited, except that a
`failed` registration is corrected and resubmitted (docs/registration.md#states: one submission; a failed
one shows its reasons and is sent again). The carriers' decision is recorded on a pending one only.
"""

from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate
from typing import Any, Literal, TypeVar

from smsgate.models.entities import Location, ShortCode
from smsgate.models.phone import is_region, region_of
from smsgate.models.registration import (
    Brand,
    Campaign,
    Decision,
    DecisionRequest,
    Registration,
    RegistrationState,
    StateChange,
)
from smsgate.policy.profiles import DEFAULT_PROFILE
from smsgate.policy.refusal import Refusal
from smsgate.reasons import ReasonCode

RegistrationKind = Literal["brand", "campaign"]

# States in which the business may still change what it registers.
EDITABLE_STATES: frozenset[RegistrationState] = frozenset({"draft", "failed"})
# The only state the carriers' decision applies to.
DECIDABLE_STATES: frozenset[RegistrationState] = frozenset({"pending"})
# A campaign is submitted on a brand that is submitted or approved (TCR vets the brand first).
BRAND_STATES_FOR_CAMPAIGN: frozenset[RegistrationState] = frozenset({"pending", "approved"})

# 10DLC covers the US and the territories on its numbering plan, Puerto Rico, the Virgin Islands,
# Guam, American Samoa and the Northern Mariana Islands included (docs/policy.md#10dlc-registration).
REGISTRATION_REGIONS = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})

# A low-volume brand sends at most this many segments a day: the default profile's number
# (docs/policy-profiles.md).
LOW_VOLUME_DAILY_SEGMENTS = DEFAULT_PROFILE.low_volume_daily_segments

R = TypeVar("R", bound=Registration)


def destination_region(to: str) -> str | None:
    """The region of a destination (`region_of`). A +1 number that neither a region claims nor
    an area code places (an unassigned exchange) falls to the US, the main country of the North
    American Numbering Plan: 10DLC applies unless the number clearly belongs elsewhere (a
    fail-closed choice, documented in the README)."""
    region = region_of(to)
    if region is None and to.startswith("+1"):
        return "US"
    return region


def needs_registration(to: str) -> bool:
    """A destination in the US or its territories needs an approved brand and campaign."""
    return destination_region(to) in REGISTRATION_REGIONS


def _state_phrase(kind: RegistrationKind, state: RegistrationState | None) -> str:
    if state is None:
        return f"the {kind} is not registered"
    if state == "draft":
        return f"the {kind} is a draft, not submitted"
    if state == "pending":
        return f"the {kind} is pending the carriers' review"
    return f"the {kind} failed registration"


def check_registration(location: Location, from_number: str, to: str) -> Refusal | None:
    """US and territory destinations (docs/policy.md#10dlc-registration) need an approved brand, an approved
    campaign, and `from_number` assigned to that campaign. Other destinations pass.

    A message from one of the location's short codes is not 10DLC traffic: its program was
    approved for its own country, which alone it reaches (docs/carriers.md#short-codes)."""
    short_code = short_code_of(location, from_number)
    if short_code is not None:
        return check_short_code_destination(short_code, to)
    if not needs_registration(to):
        return None
    brand_state = location.brand.state if location.brand else None
    campaign_state = location.campaign.state if location.campaign else None
    missing: list[str] = []
    problems: list[str] = []
    if brand_state != "approved":
        missing.append("brand")
        problems.append(_state_phrase("brand", brand_state))
    if campaign_state != "approved":
        missing.append("campaign")
        problems.append(_state_phrase("campaign", campaign_state))
    if location.campaign is None or from_number not in location.campaign.numbers:
        missing.append("number")
        problems.append("the 'from' number is not assigned to the campaign")
    elif from_number in location.campaign.unregistered_numbers:
        missing.append("number")
        problems.append(
            "a carrier reported the 'from' number as not registered (error 30034 or 30032); record the "
            "campaign's numbers again once its registration is fixed"
        )
    if not missing:
        return None
    return Refusal(
        ReasonCode.NOT_REGISTERED,
        "Messages to US numbers need an approved 10DLC brand and campaign with the 'from' number "
        f"assigned: {'; '.join(problems)}.",
        {"missing": missing, "brand_state": brand_state, "campaign_state": campaign_state},
    )


# --- short codes (docs/carriers.md#short-codes) ---------------------------------------------------

# The destinations a short code of a country reaches: a US program's carriers serve the territories
# on the US numbering plan too (the regions 10DLC covers); any other, its own region alone.
SHORT_CODE_REACH: dict[str, frozenset[str]] = {"US": REGISTRATION_REGIONS}
# Short codes of the North American Numbering Plan's countries have 5 or 6 digits.
_NANP_SHORT_CODE_LENGTHS = frozenset({5, 6})
_NANP_SHORT_CODE_COUNTRIES = frozenset({"US", "CA"}) | REGISTRATION_REGIONS


def short_code_of(location: Location, sender: str) -> ShortCode | None:
    """The short code `sender` is among those an operator recorded for the location, or None."""
    return next((short_code for short_code in location.short_codes if short_code.code == sender), None)


def short_code_problem(code: str, country: str) -> str | None:
    """What makes `code` impossible as a short code of `country`, None when nothing does: the
    country must be one with numbers, and a US or Canadian short code has 5 or 6 digits."""
    if not is_region(country):
        return f"country: {country!r} is not an ISO region with phone numbers"
    if country in _NANP_SHORT_CODE_COUNTRIES and len(code) not in _NANP_SHORT_CODE_LENGTHS:
        return f"code: a short code of {country} has 5 or 6 digits"
    return None


def check_short_code_destination(short_code: ShortCode, to: str) -> Refusal | None:
    """Row 4 for a short-code sender: no 10DLC registration, but a destination in the program's
    country (Twilio refuses another with 21606/21659). Refused `NOT_REGISTERED`: the sender is
    registered for no such destination."""
    reach = SHORT_CODE_REACH.get(short_code.country, frozenset({short_code.country}))
    region = destination_region(to)
    if region in reach:
        return None
    return Refusal(
        ReasonCode.NOT_REGISTERED,
        f"The short code {short_code.code} is approved for destinations in {short_code.country} only; "
        "send to other countries from one of the location's long numbers.",
        {"missing": ["number"], "short_code_country": short_code.country, "destination_country": region},
    )


def check_editable(kind: RegistrationKind, current: RegistrationState | None) -> Refusal | None:
    """One submission: a submitted registration is locked unless it failed (docs/registration.md#states)."""
    if current is None or current in EDITABLE_STATES:
        return None
    return Refusal(
        ReasonCode.REGISTRATION_LOCKED,
        f"The {kind} was submitted and is {current}: it cannot be edited"
        + (" while the carriers review it." if current == "pending" else " after approval."),
        {"state": current},
    )


def check_decidable(kind: RegistrationKind, current: RegistrationState | None) -> Refusal | None:
    if current in DECIDABLE_STATES:
        return None
    shown = current or "not registered"
    return Refusal(
        ReasonCode.REGISTRATION_LOCKED,
        f"Only a pending {kind} can be approved or failed; this one is {shown}.",
        {"state": current},
    )


def check_decision_fields(kind: RegistrationKind, request: DecisionRequest) -> Refusal | None:
    """T-Mobile's tier and cap are the brand's (docs/registration.md#t-mobile-brand-cap): a
    campaign's decision that names them is a mistake, refused rather than dropped."""
    named = [
        name for name in ("tmobile_tier", "tmobile_daily_segments") if getattr(request, name) is not None
    ]
    if kind == "brand" or not named:
        return None
    return Refusal(
        ReasonCode.VALIDATION_ERROR,
        "T-Mobile's tier and daily cap are recorded with the brand's decision, not the campaign's.",
        {"fields": [{"field": name, "problem": "is set with the brand's decision"} for name in named]},
    )


def check_campaign_submission(brand: Brand | None) -> Refusal | None:
    """A campaign is registered for a brand: the brand is submitted first (docs/registration.md#states)."""
    if brand is not None and brand.state in BRAND_STATES_FOR_CAMPAIGN:
        return None
    return Refusal(
        ReasonCode.NOT_REGISTERED,
        "Submit the brand before its campaign: "
        + _state_phrase("brand", brand.state if brand else None)
        + ".",
        {"missing": ["brand"], "brand_state": brand.state if brand else None},
    )


def check_numbers_owned(location: Location, numbers: Sequence[str]) -> Refusal | None:
    """Numbers assigned to a campaign are the location's own sending numbers."""
    foreign = [number for number in numbers if number not in location.numbers]
    if not foreign:
        return None
    return Refusal(
        ReasonCode.NUMBER_NOT_OWNED,
        "A campaign's numbers must be the location's own numbers; add them to the location first.",
        {"numbers": foreign},
    )


def submitted(current: R | None, new: R, submit: bool, now: datetime) -> R:
    """The record after the business saves (`submit=False`: a draft) or submits it.

    `new` carries the details; state, reasons and history follow from `current`. Call only
    after `check_editable` passed. A failed registration's reasons stay in its history.
    """
    state: RegistrationState = "pending" if submit else "draft"
    history: tuple[StateChange, ...] = current.history if current else ()
    if submit or not history or history[-1].state != "draft":
        history = (*history, StateChange(state=state, at=now))
    return new.model_copy(
        update={
            "state": state,
            "reasons": () if submit else (current.reasons if current else ()),
            "submitted_at": now if submit else (current.submitted_at if current else None),
            "decided_at": None if submit else (current.decided_at if current else None),
            "updated_at": now,
            "revision": (current.revision + 1) if current else 1,
            "history": history,
        }
    )


def decided(current: R, decision: Decision, reasons: Sequence[str], now: datetime) -> R:
    """The record after the carriers' decision. Call only after `check_decidable` passed."""
    kept = tuple(reasons) if decision == "failed" else ()
    return current.model_copy(
        update={
            "state": decision,
            "reasons": kept,
            "decided_at": now,
            "updated_at": now,
            "revision": current.revision + 1,
            "history": (*current.history, StateChange(state=decision, at=now, reasons=kept)),
        }
    )


def with_numbers(current: Campaign, numbers: Sequence[str], now: datetime) -> Campaign:
    """Numbers are assigned to a campaign in any state: they are not what the carriers vet
    (TCR assigns numbers to approved campaigns), and an approved campaign without numbers is
    fined for non-usage (docs/audit.md#non-usage)."""
    return current.model_copy(
        update={
            "numbers": tuple(numbers),
            # Recording the numbers again is the operator's word that they are registered now
            # (docs/carrier-codes.md#unregistered-numbers).
            "unregistered_numbers": (),
            "updated_at": now,
            "revision": current.revision + 1,
        }
    )


def with_unregistered_number(current: Campaign, number: str, now: datetime) -> Campaign | None:
    """The campaign once a carrier said `number` is not registered; None when there is nothing
    to change (the number is not the campaign's, or is already marked)."""
    if number not in current.numbers or number in current.unregistered_numbers:
        return None
    return current.model_copy(
        update={
            "unregistered_numbers": (*current.unregistered_numbers, number),
            "updated_at": now,
            "revision": current.revision + 1,
        }
    )


def is_without_numbers(campaign: Campaign | None) -> bool:
    """An approved campaign with no numbers: carriers fine its non-usage (docs/audit.md#non-usage)."""
    return campaign is not None and campaign.state == "approved" and not campaign.numbers


def volume_cap(location: Location, low_volume_segments: int = LOW_VOLUME_DAILY_SEGMENTS) -> int | None:
    """Segments a day the location may send, or None when uncapped: a brand registered on the
    `low_volume` path is capped (docs/policy.md#low-volume-cap), whatever its review state,
    as the path is the business's own choice of volume."""
    if location.brand is not None and location.brand.details.path == "low_volume":
        return low_volume_segments
    return None


def fitting(segments: Sequence[int], granted: int) -> int:
    """How many messages, in order, fit in `granted` segments (a message is never split)."""
    return sum(1 for total in accumulate(segments) if total <= granted)


def content_use_case(campaign: Campaign | None) -> str | None:
    """The use case `policy.content.relaxed_categories` reads: the TCR identifier, with the
    `AGE_GATED` marker when the campaign is registered age-gated (e.g. `MARKETING_AGE_GATED`).
    Only an approved campaign relaxes anything."""
    if campaign is None or campaign.state != "approved":
        return None
    use_case = campaign.details.use_case
    return f"{use_case}_AGE_GATED" if campaign.details.age_gated else use_case


def pacing_fields(location: Location) -> dict[str, Any]:
    """What the dispatcher paces a message by besides its number: an approved campaign's
    share of AT&T's rate and the rates the carriers granted it (docs/pacing.md). Here rather
    than with the pacing arithmetic, which only the dispatcher needs: every send records these
    fields (docs/performance.md#cold-imports)."""
    campaign = location.campaign
    if campaign is None or campaign.state != "approved":
        return {}
    return {
        "campaign_id": location.location_id,
        "message_class": campaign.message_class,
        "number_mps": campaign.number_mps,
    }
