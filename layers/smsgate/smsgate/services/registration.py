"""10DLC registration (docs/registration.md#states): submit a brand and a campaign, record the carriers'
decision, assign numbers; and what the send gate asks of it (row 4 and the low-volume cap of
row 10)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from smsgate.dal import counters, locations
from smsgate.dal import registration as store
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location
from smsgate.models.phone import mask_phone
from smsgate.models.registration import (
    Brand,
    BrandDetails,
    BrandRequest,
    Campaign,
    CampaignDetails,
    CampaignNumbersRequest,
    CampaignRequest,
    DecisionRequest,
)
from smsgate.observability import logger
from smsgate.policy import registration as policy
from smsgate.policy.limits import counter_day, next_reset, seconds_until_reset
from smsgate.policy.refusal import Refusal
from smsgate.reasons import LIMIT_MESSAGE, ReasonCode
from smsgate.services.profiles import profile_of

if TYPE_CHECKING:
    # The API's views, built only where a route answers with one: the consumers that mark a
    # number unregistered never load them (docs/performance.md#cold-imports).
    from smsgate.models.location_views import BrandView, CampaignView, VolumeCapView

_CHANGED = "The registration changed meanwhile; read the location and try again."

# Another write of the campaign between the read and ours: read again, a few times.
_MARK_ATTEMPTS = 3


def _raise(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise SmsgateError.from_refusal(refusal)


def _conflict(location_id: str, kind: policy.RegistrationKind) -> SmsgateError:
    """Why a conditional write failed: the state another request just put, or a lost race."""
    location = locations.require_location(location_id)
    record = location.brand if kind == "brand" else location.campaign
    return SmsgateError(
        ReasonCode.REGISTRATION_LOCKED, _CHANGED, details={"state": record.state if record else None}
    )


def registration_view(record: Brand | Campaign | None) -> BrandView | CampaignView | None:
    """The `brand` / `campaign` of the location answer (docs/api.md#answers): state, the carriers'
    reasons, when it was submitted and decided, its history, and what was registered."""
    return _view(record) if record is not None else None


def _view(record: Brand | Campaign) -> BrandView | CampaignView:
    return brand_view(record) if isinstance(record, Brand) else campaign_view(record)


def brand_view(brand: Brand) -> BrandView:
    from smsgate.models.location_views import BrandView

    return BrandView.model_validate(brand.model_dump(mode="json", exclude={"revision"}))


def campaign_view(campaign: Campaign) -> CampaignView:
    from smsgate.models.location_views import CampaignView

    return CampaignView.model_validate(campaign.model_dump(mode="json", exclude={"revision"}))


def submit_brand(location_id: str, request: BrandRequest, now: datetime) -> BrandView:
    """Save (`submit: false`) or submit the brand; 409 `REGISTRATION_LOCKED` once submitted,
    unless it failed."""
    location = locations.require_location(location_id)
    current = location.brand
    _raise(policy.check_editable("brand", current.state if current else None))
    details = BrandDetails.model_validate(request.model_dump(exclude={"submit"}))
    draft = Brand(state="draft", updated_at=now, details=details)
    brand = policy.submitted(current, draft, request.submit, now)
    if not store.submit_brand(location_id, brand, current, policy.EDITABLE_STATES):
        raise _conflict(location_id, "brand")
    logger.info("brand saved", extra={"location_id": location_id, "state": brand.state})
    return brand_view(brand)


def submit_campaign(location_id: str, request: CampaignRequest, now: datetime) -> CampaignView:
    """Save or submit the campaign with its numbers (the location's own); the brand is
    submitted first."""
    location = locations.require_location(location_id)
    current = location.campaign
    _raise(policy.check_editable("campaign", current.state if current else None))
    if request.submit:
        _raise(policy.check_campaign_submission(location.brand))
    _raise(policy.check_numbers_owned(location, request.numbers))
    details = CampaignDetails.model_validate(request.model_dump(exclude={"submit", "numbers"}))
    draft = Campaign(state="draft", updated_at=now, details=details, numbers=tuple(request.numbers))
    campaign = policy.submitted(current, draft, request.submit, now)
    if not store.submit_campaign(
        location_id,
        campaign,
        current,
        policy.EDITABLE_STATES,
        without_numbers=policy.is_without_numbers(campaign),
    ):
        raise _conflict(location_id, "campaign")
    logger.info("campaign saved", extra={"location_id": location_id, "state": campaign.state})
    return campaign_view(campaign)


def assign_numbers(location_id: str, request: CampaignNumbersRequest, now: datetime) -> CampaignView:
    """Assign the campaign's numbers, in any state (numbers are not what the carriers vet)."""
    location = locations.require_location(location_id)
    current = location.campaign
    if current is None:
        raise SmsgateError(
            ReasonCode.NOT_REGISTERED,
            "The location has no campaign to assign numbers to; submit one first.",
            details={"missing": ["campaign"]},
        )
    _raise(policy.check_numbers_owned(location, request.numbers))
    campaign = policy.with_numbers(current, request.numbers, now)
    if not store.assign_campaign_numbers(
        location_id, campaign, current, without_numbers=policy.is_without_numbers(campaign)
    ):
        raise _conflict(location_id, "campaign")
    return campaign_view(campaign)


def mark_unregistered(location_id: str, number: str, now: datetime) -> bool:
    """A receipt said `number` is not registered: the gate refuses US sends from it until the
    operator records the campaign's numbers again. True when this call marked it."""
    for _ in range(_MARK_ATTEMPTS):
        location = locations.get_location(location_id)
        current = location.campaign if location else None
        marked = policy.with_unregistered_number(current, number, now) if current else None
        if current is None or marked is None:
            return False
        if store.mark_number_unregistered(location_id, marked, current):
            logger.warning(
                "sending number reported unregistered by the carrier",
                extra={"location_id": location_id, "number": mask_phone(number)},
            )
            return True
    raise _conflict(location_id, "campaign")


def decide(
    location_id: str, kind: policy.RegistrationKind, request: DecisionRequest, now: datetime
) -> BrandView | CampaignView:
    """Record the carriers' decision on a pending brand or campaign (an operator's action)."""
    _raise(policy.check_decision_fields(kind, request))
    location = locations.require_location(location_id)
    current = location.brand if kind == "brand" else location.campaign
    _raise(policy.check_decidable(kind, current.state if current else None))
    assert current is not None
    record = policy.decided(current, request.state, request.reasons, now)
    if kind == "brand" and request.state == "approved":
        # The tier comes from the brand's vetting score, which the operator reads from the
        # registry with the approval (docs/registration.md#t-mobile-brand-cap).
        record = record.model_copy(
            update={
                "tmobile_tier": request.tmobile_tier,
                "tmobile_daily_segments": request.tmobile_daily_segments,
            }
        )
    if kind == "campaign" and request.state == "approved":
        record = record.model_copy(
            update={"message_class": request.message_class, "number_mps": request.number_mps}
        )
    without_numbers = policy.is_without_numbers(record) if isinstance(record, Campaign) else False
    if not store.record_decision(
        location_id, record, current, policy.DECIDABLE_STATES, without_numbers=without_numbers
    ):
        raise _conflict(location_id, kind)
    logger.info(f"{kind} decided", extra={"location_id": location_id, "state": record.state})
    return _view(record)


def campaigns_without_numbers() -> list[str]:
    """Location ids whose approved campaign has no numbers, for the threshold audit
    (docs/audit.md#non-usage)."""
    return store.campaigns_without_numbers()


# --- what the send gate asks (docs/registration.md#in-the-send-gate) -----------------------


def gate_refusal(location: Location, from_number: str, to: str) -> Refusal | None:
    """Row 4 for one destination: `NOT_REGISTERED` (422) or None. Pure: reads nothing."""
    return policy.check_registration(location, from_number, to)


@dataclass(frozen=True)
class VolumeReservation:
    """Segments reserved against a low-volume brand's daily cap for the first `accepted`
    messages of a request. `key` is None when the location is not capped."""

    accepted: int
    reserved: int
    key: str | None = None

    def release(self, segments: int | None = None) -> None:
        """Give back `segments` (all reserved when None) for messages that were not queued."""
        count = self.reserved if segments is None else min(segments, self.reserved)
        if self.key is not None and count > 0:
            counters.release(self.key, count)


def reserve_volume(location: Location, segments: Sequence[int], now: datetime) -> VolumeReservation:
    """Reserve the segments of `segments` (one entry per message, in order) against the
    low-volume cap, atomically like the daily limit (`dal.counters`). As many messages as fit
    are accepted, in order; a message is never split. Uncapped locations accept all.
    """
    cap = policy.volume_cap(location, profile_of(location).low_volume_daily_segments)
    if cap is None:
        return VolumeReservation(accepted=len(segments), reserved=0)
    day = counter_day(now, profile_of(location))
    key = counters.volume_key(location.location_id, day)
    granted, _ = counters.reserve(key, cap, sum(segments), counters.daily_expiry(day))
    accepted = policy.fitting(segments, granted)
    used = sum(segments[:accepted])
    # counters.reserve grants what is left when less than asked: give back the part of a
    # message that does not fit whole.
    if granted > used:
        counters.release(key, granted - used)
    return VolumeReservation(accepted=accepted, reserved=used, key=key)


def preview_volume(location: Location, segments: Sequence[int], now: datetime) -> int:
    """How many of the messages would fit under the cap now (a bulk `preview`: writes nothing)."""
    cap = policy.volume_cap(location, profile_of(location).low_volume_daily_segments)
    if cap is None:
        return len(segments)
    used = counters.used(counters.volume_key(location.location_id, counter_day(now, profile_of(location))))
    return policy.fitting(segments, max(0, cap - used))


def volume_refusal(location: Location, now: datetime) -> SmsgateError:
    """429 `VOLUME_CAP_REACHED` with Retry-After to the next reset, worded like the daily limit."""
    return SmsgateError(
        ReasonCode.VOLUME_CAP_REACHED,
        LIMIT_MESSAGE,
        details={
            "limit": policy.volume_cap(location, profile_of(location).low_volume_daily_segments),
            "unit": "segments",
            "resets_at": next_reset(now, profile_of(location)).isoformat(),
        },
        retry_after=seconds_until_reset(now, profile_of(location)),
    )


def volume_cap_view(location: Location, now: datetime) -> VolumeCapView | None:
    """Today's segments against a low-volume brand's cap; None when the location is uncapped."""
    from smsgate.models.location_views import VolumeCapView

    cap = policy.volume_cap(location, profile_of(location).low_volume_daily_segments)
    if cap is None:
        return None
    used = counters.used(counters.volume_key(location.location_id, counter_day(now, profile_of(location))))
    return VolumeCapView(limit=cap, segments_today=used, remaining=max(0, cap - used))
