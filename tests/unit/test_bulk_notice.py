"""A bulk's share of today's limit and its notice (docs/policy.md#bulk)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy.bulk import (
    brand_deferred_notice,
    bulk_deferred_notice,
    bulk_granted,
    bulk_notice,
    remaining_today,
)
from smsgate.policy.profiles import PROFILES

# The notice of docs/policy.md#bulk, word for word: a limit of 5,000, all of it used, one recipient.
POLICY_EXAMPLE = (
    "You are allowed to send 5000 message(s) in a day. You have already sent 5000 message(s). "
    "If you wish to proceed, 1 Message(s) will be failed."
)
NOTICE = re.compile(
    r"You are allowed to send (\d+) message\(s\) in a day\. You have already sent (\d+) message\(s\)\. "
    r"If you wish to proceed, (\d+) Message\(s\) will be failed\."
)

limits = st.sampled_from(
    sorted({limit for p in PROFILES.values() for limit in (*p.ramp, p.full_daily_limit)})
)
counts = st.integers(min_value=0, max_value=6000)


def test_the_policy_example_word_for_word() -> None:
    assert bulk_notice(5000, 5000, 1) == POLICY_EXAMPLE


@pytest.mark.parametrize(
    ("eligible", "limit", "used", "granted"),
    [
        (1, 5000, 5000, 0),  # POLICY_EXAMPLE: one recipient, nothing left
        (300, 250, 0, 250),  # day one of a new location
        (100, 250, 200, 50),
        (50, 250, 200, 50),  # fits exactly
        (10, 250, 0, 10),
        (0, 250, 0, 0),
        (5, 250, 260, 0),  # never negative, whatever the counter says
    ],
)
def test_granted_is_what_remains_at_most(eligible: int, limit: int, used: int, granted: int) -> None:
    assert bulk_granted(eligible, limit, used) == granted


@given(eligible=counts, limit=limits, used=counts)
def test_granted_and_failed_add_up_and_never_pass_what_remains(eligible: int, limit: int, used: int) -> None:
    granted = bulk_granted(eligible, limit, used)
    failed = eligible - granted
    assert 0 <= granted <= remaining_today(limit, used)
    assert 0 <= failed <= eligible
    assert granted + failed == eligible
    # Nobody fails while room is left: either all fit, or the limit is used up.
    assert failed == 0 or used + granted >= limit


@given(limit=limits, used=counts, failed=st.integers(min_value=1, max_value=5000))
def test_the_notice_carries_its_numbers(limit: int, used: int, failed: int) -> None:
    found = NOTICE.fullmatch(bulk_notice(limit, used, failed))
    assert found is not None
    assert tuple(int(group) for group in found.groups()) == (limit, used, failed)


def test_what_the_brands_cap_defers_is_said_after_the_daily_limits_sentences() -> None:
    resets = "2026-12-02T08:00:00+00:00"
    alone = brand_deferred_notice(None, 2, resets)
    assert alone == f"2 Message(s) will be sent after the brand's T-Mobile daily cap resets at {resets}."
    limit = bulk_deferred_notice(250, 248, 3, "2026-12-02T00:00:01+00:00")
    assert brand_deferred_notice(limit, 2, resets) == f"{limit} {alone}"
