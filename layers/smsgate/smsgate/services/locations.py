"""Locations: saved by their owner or an operator, listed, viewed with their registration and
usage, and an operator lifting a suspension (docs/tenancy.md)."""

import re
from datetime import datetime
from typing import Any

from smsgate.dal import counters, locations
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location, ShortCode
from smsgate.models.location_requests import PutLocationRequest, ShortCodesRequest
from smsgate.models.location_views import LocationsPage, LocationView, UsageView
from smsgate.models.moments import as_utc
from smsgate.models.requests import LOCATION_ID_PATTERN
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.access import created_at_refusal
from smsgate.policy.limits import counter_day, daily_limit, next_reset
from smsgate.policy.profiles import profile_refusal
from smsgate.policy.suspension import location_status
from smsgate.reasons import ReasonCode
from smsgate.services import registration
from smsgate.services.profiles import profile_of


def save_location(
    location_id: str, request: PutLocationRequest, now: datetime, *, operator: bool
) -> tuple[Location, bool]:
    """Create or update a location; only an operator changes `created_at` (docs/tenancy.md)."""
    existing = locations.get_location(location_id)
    stored_created_at = existing.created_at if existing else None
    created_at = stored_created_at or now
    if request.created_at is not None:
        requested = as_utc(request.created_at)
        refusal = created_at_refusal(requested, stored_created_at, now, operator=operator)
        if refusal is not None:
            raise SmsgateError(*refusal)
        created_at = requested
    refusal = profile_refusal(request.profile, existing.profile if existing else None, operator=operator)
    if refusal is not None:
        raise SmsgateError(*refusal)
    texts: dict[str, Any] = {
        name: value
        for name, value in (
            ("opt_out_text", request.opt_out_text),
            ("sender_text", request.sender_text),
            ("revocation_mode", request.revocation_mode),
            ("profile", request.profile),
        )
        if value is not None
    }
    if request.quiet_hours is not None:
        texts["quiet_hours"] = request.quiet_hours.model_dump(mode="json")
    return locations.save_location(
        location_id,
        name=request.name,
        created_at=created_at,
        numbers=list(dict.fromkeys(request.numbers)),
        texts=texts,
    )


def location_usage(location_id: str, now: datetime) -> UsageView:
    """`GET /v1/locations/{id}/usage`."""
    return usage(locations.require_location(location_id), now)


def usage(location: Location, now: datetime) -> UsageView:
    """`{day, limit, sent_today, remaining, resets_at, profile}`: `profile` names the policy
    profile whose numbers applied (docs/policy-profiles.md#where-the-profile-shows)."""
    profile = profile_of(location)
    day = counter_day(now, profile)
    limit = daily_limit(location.created_at, now, profile)
    sent_today = counters.used(counters.daily_key(location.location_id, day))
    return UsageView(
        day=day.isoformat(),
        limit=limit,
        sent_today=sent_today,
        remaining=max(0, limit - sent_today),
        resets_at=next_reset(now, profile).isoformat(),
        profile=profile.name,
    )


def location_view(location_id: str, now: datetime) -> LocationView:
    location = locations.require_location(location_id)
    return LocationView.model_validate(
        {
            "location_id": location.location_id,
            "name": location.name,
            "created_at": location.created_at.isoformat(),
            "numbers": list(location.numbers),
            "short_codes": [short_code.model_dump() for short_code in location.short_codes],
            "opt_out_text": location.opt_out_text,
            "sender_text": location.sender_text,
            "revocation_mode": location.revocation_mode,
            "profile": profile_of(location).name,
            "quiet_hours": location.quiet_hours,
            # A suspension whose end has passed no longer shows.
            "status": location_status(location, now),
            "suspended_until": location.suspended_until.isoformat() if location.suspended_until else None,
            "brand": registration.registration_view(location.brand),
            "campaign": registration.registration_view(location.campaign),
            "volume_cap": registration.volume_cap_view(location, now),
            "usage": usage(location, now),
        }
    )


def list_locations(limit: int, cursor: str | None, now: datetime) -> LocationsPage:
    """`{locations: [{location_id, name, created_at, status, suspended_until, numbers}], next_cursor}`."""
    if cursor is not None and not re.fullmatch(LOCATION_ID_PATTERN, cursor):
        # A cursor is the id of the last location of a page: anything else was not issued here.
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR,
            "cursor: not a cursor of this list (use next_cursor of the previous page)",
            details={"fields": [{"field": "cursor", "problem": "not a cursor of this list"}]},
        )
    found, last = locations.list_locations(limit, cursor)
    return LocationsPage.model_validate(
        {
            "locations": [
                {
                    "location_id": location.location_id,
                    "name": location.name,
                    "created_at": location.created_at.isoformat(),
                    "status": location_status(location, now),
                    "suspended_until": location.suspended_until.isoformat()
                    if location.suspended_until
                    else None,
                    "numbers": list(location.numbers),
                }
                for location in found
            ],
            "next_cursor": last,
        }
    )


def lift_suspension(location_id: str, actor: str, now: datetime) -> LocationView:
    """An operator ends a suspension now (`DELETE /v1/locations/{id}/suspension`). The audit
    does not suspend the location again for the same window: its notice claim still runs."""
    location = locations.require_location(location_id)
    if locations.lift_suspension(location_id, actor, now):
        metrics.add_metric(name="SuspensionsLifted", unit=MetricUnit.Count, value=1)
        logger.info(
            "audit action: suspension lifted",
            extra={
                "action": "lifted",
                "location_id": location_id,
                "actor": actor,
                "suspended_until": location.suspended_until.isoformat() if location.suspended_until else None,
            },
        )
    return location_view(location_id, now)


def save_short_codes(location_id: str, request: ShortCodesRequest, actor: str, now: datetime) -> LocationView:
    """An operator records the location's approved short codes, all of them
    (`PUT /v1/locations/{id}/short-codes`, docs/carriers.md#short-codes): a tenant cannot, as a
    short code skips the 10DLC check."""
    short_codes = [ShortCode.model_validate(entry.model_dump()) for entry in request.short_codes]
    location = locations.save_short_codes(location_id, short_codes)
    logger.info(
        "short codes recorded",
        extra={
            "location_id": location_id,
            "actor": actor,
            "short_codes": [
                f"{short_code.code} ({short_code.country})" for short_code in location.short_codes
            ],
        },
    )
    return location_view(location_id, now)
