"""What the send gate asks of the brand's T-Mobile daily cap (docs/registration.md#t-mobile-brand-cap):
the single send's transaction action, a bulk's reservation and preview, and the refusal.

Kept apart from the daily limit's code so that a request asking for deferral can turn the
refusal into a schedule at `next_reset` the same way as the daily limit's.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from smsgate.dal import counters
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location
from smsgate.policy import brand_cap as policy
from smsgate.reasons import LIMIT_MESSAGE, ReasonCode
from smsgate.services.profiles import profile_of


def _key(location: Location, now: datetime) -> str | None:
    """The brand's counter for the T-Mobile day of `now`; None when the location has no brand."""
    if location.brand is None:
        return None
    return counters.brand_key(location.brand.details.ein, policy.brand_day(now, profile_of(location)))


def _expiry(location: Location, now: datetime) -> datetime:
    return counters.daily_expiry(policy.brand_day(now, profile_of(location)))


def transaction_action(location: Location, to: str, segments: int, now: datetime) -> dict[str, Any] | None:
    """The single send's conditional ADD of its segments on the brand's counter, as a
    TransactWriteItems `Update` (docs/send-path.md); None when the message does not count."""
    cap = policy.brand_cap(location.brand, profile_of(location))
    key = _key(location, now)
    if cap is None or key is None or not policy.counts_toward_brand_cap(to):
        return None
    return counters.reservation(key, cap, segments, _expiry(location, now))


def release_action(action: dict[str, Any] | None, segments: int) -> None:
    """Give back what `transaction_action` took for a message the queue did not take."""
    if action is not None:
        counters.release(action["Key"]["pk"], segments)


@dataclass(frozen=True)
class BrandReservation:
    """Which messages of a bulk passed the brand's cap (in order) and the segments reserved for
    them. `key` is None when nothing was counted."""

    passed: list[bool]
    counted: list[int]
    key: str | None = None

    @property
    def reserved(self) -> int:
        return sum(count for count, ok in zip(self.counted, self.passed, strict=True) if ok)

    def release(self, segments: int | None = None) -> None:
        """Give back `segments` (all reserved when None) for messages that were not queued."""
        count = self.reserved if segments is None else min(segments, self.reserved)
        if self.key is not None and count > 0:
            counters.release(self.key, count)


class _Addressed(Protocol):
    @property
    def to(self) -> str: ...
    @property
    def segments(self) -> int: ...


def counted_segments(messages: Sequence[_Addressed]) -> int:
    """The segments of `messages` that count against the brand's cap (what a release gives back)."""
    return sum(policy.brand_counted_segments([m.to for m in messages], [m.segments for m in messages]))


def reserve(
    location: Location, destinations: Sequence[str], segments: Sequence[int], now: datetime
) -> BrandReservation:
    """One conditional reservation of the counting messages' segments on the brand's counter,
    like the daily limit's (`dal.counters.reserve`): those that fit whole pass, in order."""
    counted = policy.brand_counted_segments(destinations, segments)
    cap = policy.brand_cap(location.brand, profile_of(location))
    key = _key(location, now)
    if cap is None or key is None or not any(counted):
        return BrandReservation(passed=[True] * len(counted), counted=[0] * len(counted))
    granted, _ = counters.reserve(key, cap, sum(counted), _expiry(location, now))
    passed = policy.within_brand_cap(counted, granted)
    reservation = BrandReservation(passed=passed, counted=counted, key=key)
    # `reserve` grants what is left when less than asked: give back the part of a message
    # that does not fit whole.
    if granted > reservation.reserved:
        counters.release(key, granted - reservation.reserved)
    return reservation


def preview(
    location: Location, destinations: Sequence[str], segments: Sequence[int], now: datetime
) -> list[bool]:
    """Which messages would pass the brand's cap now (a bulk `preview`: writes nothing)."""
    counted = policy.brand_counted_segments(destinations, segments)
    cap = policy.brand_cap(location.brand, profile_of(location))
    key = _key(location, now)
    if cap is None or key is None or not any(counted):
        return [True] * len(counted)
    return policy.within_brand_cap(counted, max(0, cap - counters.used(key)))


def refusal(location: Location, now: datetime) -> SmsgateError:
    """429 `BRAND_CAP_REACHED` with Retry-After to the brand's next T-Mobile day, worded like the
    daily limit."""
    profile = profile_of(location)
    return SmsgateError(
        ReasonCode.BRAND_CAP_REACHED,
        LIMIT_MESSAGE,
        details={
            "limit": policy.brand_cap(location.brand, profile),
            "unit": "segments",
            "carrier": "T-Mobile",
            "resets_at": policy.next_brand_reset(now, profile).isoformat(),
        },
        retry_after=policy.seconds_until_brand_reset(now, profile),
    )


def seconds_until_reset(location: Location, now: datetime) -> int:
    """Retry-After of a bulk the brand's cap let nothing through."""
    return policy.seconds_until_brand_reset(now, profile_of(location))
