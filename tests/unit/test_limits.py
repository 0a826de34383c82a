"""Daily limit and counter day (docs/policy.md#daily-limit)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy import counter_day, daily_limit
from smsgate.policy.limits import next_reset, seconds_until_reset

CREATED = datetime(2024, 3, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "limit"),
    [
        (1, 250),
        (2, 500),
        (3, 750),
        (4, 1000),
        (5, 1250),
        (6, 1500),
        (7, 1750),
        (8, 5000),
        (9, 5000),
        (400, 5000),
    ],
)
def test_ramp_up_table(day: int, limit: int) -> None:
    now = datetime(2024, 3, 10, 12, 0, tzinfo=UTC) + timedelta(days=day - 1)
    assert daily_limit(CREATED, now) == limit


def test_day_one_is_the_utc_date_of_creation_even_late_in_the_day() -> None:
    created = datetime(2024, 3, 10, 23, 59, 59, tzinfo=UTC)
    assert daily_limit(created, datetime(2024, 3, 10, 23, 59, 59, 500000, tzinfo=UTC)) == 250
    assert daily_limit(created, datetime(2024, 3, 11, 0, 0, 1, tzinfo=UTC)) == 500


def test_accounts_created_before_2022_04_20_start_at_5000() -> None:
    created = datetime(2022, 4, 19, 23, 0, tzinfo=UTC)
    assert daily_limit(created, created + timedelta(minutes=5)) == 5000


def test_accounts_created_on_2022_04_20_ramp_up() -> None:
    created = datetime(2022, 4, 20, 0, 0, tzinfo=UTC)
    assert daily_limit(created, created + timedelta(hours=1)) == 250


def test_creation_time_in_another_zone_is_taken_in_utc() -> None:
    from zoneinfo import ZoneInfo

    # 2022-04-19 21:00 in New York is 2022-04-20 01:00 UTC: a ramping account.
    created = datetime(2022, 4, 19, 21, 0, tzinfo=ZoneInfo("America/New_York"))
    assert daily_limit(created, datetime(2022, 4, 20, 2, 0, tzinfo=UTC)) == 250


def test_the_counter_resets_at_00_00_01_utc() -> None:
    assert counter_day(datetime(2024, 5, 2, 0, 0, 0, 500000, tzinfo=UTC)) == date(2024, 5, 1)
    assert counter_day(datetime(2024, 5, 2, 0, 0, 1, tzinfo=UTC)) == date(2024, 5, 2)
    assert counter_day(datetime(2024, 5, 2, 23, 59, 59, tzinfo=UTC)) == date(2024, 5, 2)


def test_naive_times_are_utc() -> None:
    assert counter_day(datetime(2024, 5, 2, 0, 0, 0, 500000)) == date(2024, 5, 1)


def test_retry_after_counts_to_the_next_reset() -> None:
    now = datetime(2024, 5, 2, 23, 59, 0, tzinfo=UTC)
    assert next_reset(now) == datetime(2024, 5, 3, 0, 0, 1, tzinfo=UTC)
    assert seconds_until_reset(now) == 61
    assert seconds_until_reset(datetime(2024, 5, 3, 0, 0, 0, 500000, tzinfo=UTC)) == 1


@given(st.datetimes(min_value=datetime(2022, 4, 20), max_value=datetime(2030, 1, 1)), st.integers(0, 3000))
def test_limit_never_decreases_as_the_account_ages(created: datetime, minutes: int) -> None:
    now = created + timedelta(minutes=minutes * 10)
    later = now + timedelta(days=1)
    assert daily_limit(created, now) <= daily_limit(created, later)
    assert 250 <= daily_limit(created, now) <= 5000
