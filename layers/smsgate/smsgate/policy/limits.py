"""Daily sending limit with the ramp-up model (docs/policy-profiles.md#the-built-in-profiles).

The numbers come from a policy profile (`policy.profiles`); every function defaults to the
deployment-independent default profile, whose numbers are the ramp of 250 × N for seven days
and 5,000 from day 8, reset at 00:00:01 UTC.
"""

from datetime import UTC, date, datetime, timedelta
from math import ceil

from smsgate.models.moments import as_utc
from smsgate.policy.profiles import DEFAULT_PROFILE, PolicyProfile


def counter_day(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> date:
    """The day whose counter a message sent at `now` counts against."""
    return (as_utc(now) - profile.reset_offset).date()


def account_day(created_at: datetime, now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> int:
    """Day N of the account: day 1 is the UTC date of creation (never less than 1)."""
    return max(1, (counter_day(now, profile) - as_utc(created_at).date()).days + 1)


def daily_limit(created_at: datetime, now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> int:
    """Messages a location may send on the counter day of `now`."""
    if as_utc(created_at).date() < profile.ramp_up_since:
        return profile.full_daily_limit
    return profile.limit_on_day(account_day(created_at, now, profile))


def next_reset(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> datetime:
    """The next reset after `now`: when today's counter starts again from zero."""
    following_day = counter_day(now, profile) + timedelta(days=1)
    return datetime.combine(following_day, profile.reset_at, tzinfo=UTC)


def seconds_until_reset(now: datetime, profile: PolicyProfile = DEFAULT_PROFILE) -> int:
    """Whole seconds to wait before a retry can succeed (the `Retry-After` header)."""
    return max(1, ceil((next_reset(now, profile) - as_utc(now)).total_seconds()))
