"""T-Mobile's daily cap per brand as pure decisions (docs/registration.md#t-mobile-brand-cap).

T-Mobile caps the segments a brand, known by its EIN, sends to T-Mobile subscribers in a day,
across all of its campaigns and numbers, at a figure set by the brand's tier. Locations that
register the same EIN share one counter.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from smsgate.models.moments import as_utc
from smsgate.models.registration import Brand
from smsgate.policy.profiles import DEFAULT_PROFILE, PolicyProfile
from smsgate.policy.registration import fitting, needs_registration

# A brand approved without a recorded tier gets the lowest: T-Mobile gives it to an unvetted
# brand, and it is the safe side of every other tier.
DEFAULT_TIER = "low"


def brand_cap(brand: Brand | None, profile: PolicyProfile = DEFAULT_PROFILE) -> int | None:
    """Segments a day the brand may send to T-Mobile, or None when nothing is counted (no brand,
    or an uncapped tier). A cap T-Mobile assigned apart from the tier wins over the tier's figure."""
    if brand is None:
        return None
    if brand.tmobile_daily_segments is not None:
        return brand.tmobile_daily_segments
    return profile.tmobile_cap(brand.tmobile_tier or DEFAULT_TIER)


def counts_toward_brand_cap(to: str) -> bool:
    """Whether a message to `to` counts against the brand's T-Mobile cap.

    Only T-Mobile subscribers count, but a number's carrier cannot be told from the number
    (numbers move between carriers) and smsgate records no carrier for a contact: no lookup is
    made and no receipt names it. So every 10DLC destination (the US and its territories)
    counts, T-Mobile's or not: the gate may refuse a message T-Mobile would have taken, never
    pass one T-Mobile refuses (docs/registration.md#which-destinations-count)."""
    return needs_registration(to)


def brand_day(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> date:
    """The T-Mobile day a message sent at `now` counts on: the calendar day in the profile's
    zone (Pacific time)."""
    return as_utc(now).astimezone(ZoneInfo(profile.tmobile_day_zone)).date()


def next_brand_reset(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> datetime:
    """When the brand's counter starts again from zero: the next midnight in the profile's zone."""
    following = brand_day(now, profile) + timedelta(days=1)
    return datetime.combine(following, time(0), tzinfo=ZoneInfo(profile.tmobile_day_zone)).astimezone(UTC)


def seconds_until_brand_reset(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> int:
    """Whole seconds before a refused message can pass the brand's cap (`Retry-After`)."""
    return max(1, ceil((next_brand_reset(now, profile) - as_utc(now)).total_seconds()))


def brand_counted_segments(destinations: Sequence[str], segments: Sequence[int]) -> list[int]:
    """Each message's segments that count against the brand's cap (0 for one that does not)."""
    return [
        count if counts_toward_brand_cap(to) else 0 for to, count in zip(destinations, segments, strict=True)
    ]


def within_brand_cap(counted: Sequence[int], granted: int) -> list[bool]:
    """Which messages pass, in order, when `granted` segments of the cap are theirs: those
    that do not count all pass; of those that count, the first that fit whole (as
    `registration.fitting`), a message is never split."""
    fits = fitting([count for count in counted if count > 0], granted)
    passed: list[bool] = []
    for count in counted:
        if count == 0:
            passed.append(True)
        else:
            passed.append(fits > 0)
            fits -= 1
    return passed
