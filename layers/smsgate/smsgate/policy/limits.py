"""Daily sending limit with the ramp-up model (SPEC section 4)."""

from datetime import UTC, date, datetime, time, timedelta
from math import ceil

# Accounts created on or after this date ramp up; older ones start at the full limit.
RAMP_UP_START = date(2022, 4, 20)
RAMP_UP_STEP = 250
RAMP_UP_DAYS = 7
FULL_DAILY_LIMIT = 5000
# The counter resets at 00:00:01 UTC, not at midnight: a message at 00:00:00.5 still
# belongs to the previous day.
RESET_OFFSET = timedelta(seconds=1)


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC; an aware one is converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def counter_day(now: datetime) -> date:
    """The day whose counter a message sent at `now` counts against."""
    return (as_utc(now) - RESET_OFFSET).date()


def account_day(created_at: datetime, now: datetime) -> int:
    """Day N of the account: day 1 is the UTC date of creation (never less than 1)."""
    return max(1, (counter_day(now) - as_utc(created_at).date()).days + 1)


def daily_limit(created_at: datetime, now: datetime) -> int:
    """Messages a location may send on the counter day of `now`."""
    if as_utc(created_at).date() < RAMP_UP_START:
        return FULL_DAILY_LIMIT
    day = account_day(created_at, now)
    if day <= RAMP_UP_DAYS:
        return RAMP_UP_STEP * day
    return FULL_DAILY_LIMIT


def next_reset(now: datetime) -> datetime:
    """The next 00:00:01 UTC after `now`: when today's counter starts again from zero."""
    following_day = counter_day(now) + timedelta(days=1)
    return datetime.combine(following_day, time(0, 0, 1), tzinfo=UTC)


def seconds_until_reset(now: datetime) -> int:
    """Whole seconds to wait before a retry can succeed (the `Retry-After` header)."""
    return max(1, ceil((next_reset(now) - as_utc(now)).total_seconds()))
