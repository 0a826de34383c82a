"""Pacing arithmetic (smsgate.policy.pacing): GCRA slots, the class table, the window measure."""

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.registration import MessageClass
from smsgate.policy.pacing import (
    ATT_CLASS_PER_MINUTE,
    DEFAULT_MESSAGE_CLASS,
    MICROS,
    book,
    campaign_pace,
    is_busy,
    most_in_window,
    pace,
)


def test_a_rate_becomes_a_spacing_rounded_up_and_a_tolerance_for_the_burst() -> None:
    assert pace(10) == pace(10, 1)
    assert pace(10).interval_us == 100_000 and pace(10).tolerance_us == 0
    assert pace(3).interval_us == 333_334  # rounding slows, never speeds
    assert pace(4, burst=3).tolerance_us == 2 * 250_000 and pace(4, burst=3).burst == 3
    with pytest.raises(ValueError):
        pace(0)
    with pytest.raises(ValueError):
        pace(1, burst=0)


def test_the_campaign_rate_is_the_classes_per_minute_figure() -> None:
    assert campaign_pace("A").per_second == pytest.approx(75, rel=1e-4)
    assert campaign_pace("T").per_second == pytest.approx(75 / 60, rel=1e-4)
    assert campaign_pace(None) == campaign_pace(DEFAULT_MESSAGE_CLASS) == campaign_pace("e")
    # The API's message classes and the table are the same list.
    assert set(get_args(MessageClass)) == set(ATT_CLASS_PER_MINUTE)


def test_an_idle_key_sends_at_once_and_a_busy_one_at_its_next_slot() -> None:
    rate = pace(2)  # 500 ms apart
    first = book(None, 1_000_000, rate)
    assert first.send_at_us == 1_000_000 and first.next_tat_us == 1_500_000
    second = book(first.next_tat_us, 1_100_000, rate)
    assert second.send_at_us == 1_500_000 and second.next_tat_us == 2_000_000
    # Long idle: the key restarts from the arrival, with no credit saved beyond the burst.
    later = book(second.next_tat_us, 9_000_000, rate)
    assert later.send_at_us == 9_000_000 and later.next_tat_us == 9_500_000
    assert is_busy(2_000_000, 1_900_000) and not is_busy(2_000_000, 2_100_000) and not is_busy(None, 1)


def test_a_burst_lets_that_many_go_at_once_then_the_rate_holds() -> None:
    rate = pace(1, burst=3)
    tat: int | None = None
    sends = []
    for _ in range(5):
        slot = book(tat, 0, rate)
        sends.append(slot.send_at_us)
        tat = slot.next_tat_us
    assert sends == [0, 0, 0, 1_000_000, 2_000_000]


def test_the_window_measure_counts_half_open_seconds() -> None:
    assert most_in_window([]) == 0
    assert most_in_window([0, 999_999, 1_000_000]) == 2
    assert most_in_window([5, 0, 3, 2_000_000]) == 3


@given(
    per_second=st.floats(min_value=0.5, max_value=200),
    burst=st.integers(min_value=1, max_value=5),
    arrivals=st.lists(st.integers(min_value=0, max_value=20 * MICROS), min_size=1, max_size=300),
)
def test_booked_sends_never_exceed_the_rate_plus_the_burst_in_any_second(
    per_second: float, burst: int, arrivals: list[int]
) -> None:
    rate = pace(per_second, burst)
    tat: int | None = None
    sends = []
    for arrival in sorted(arrivals):
        slot = book(tat, arrival, rate)
        assert slot.send_at_us >= arrival
        sends.append(slot.send_at_us)
        tat = slot.next_tat_us
    assert most_in_window(sends) <= rate.per_second + burst
