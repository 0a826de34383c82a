"""Pacing arithmetic (smsgate.policy.pacing): GCRA slots, the class table, the window measure."""

from itertools import pairwise
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.models.pacing import KeyState
from smsgate.models.registration import MessageClass
from smsgate.policy.pacing import (
    ATT_CLASS_PER_MINUTE,
    DEFAULT_MESSAGE_CLASS,
    MICROS,
    Pace,
    book,
    campaign_pace,
    follows,
    is_busy,
    most_in_window,
    pace,
    plan,
    plan_follow,
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


def test_a_faster_key_takes_its_owners_slots_in_any_order() -> None:
    number = pace(50)  # 20 ms apart: the campaign's 250 ms slots are spaced enough for it
    assert follows(campaign_pace("E"), number) and not follows(number, campaign_pace("E"))
    assert not follows(pace(1, burst=2), pace(5))  # a burst would bunch the follower's sends
    state = KeyState(None)
    first = plan_follow(state, 1_500_000, number, "campaign")
    assert first is not None and first.move == "claim"
    assert first.after == KeyState(1_520_000, "campaign", 0)
    # The owner's earlier slot, reached later: still free for it, and nothing moves.
    earlier = plan_follow(first.after, 1_000_000, number, "campaign")
    assert earlier is not None and earlier.move == "within" and earlier.after == first.after
    later = plan_follow(first.after, 2_000_000, number, "campaign")
    assert later is not None and later.move == "follow" and later.after.tat_us == 2_020_000


def test_the_others_sends_keep_clear_of_the_owners() -> None:
    number = pace(50)
    owned = KeyState(2_020_000, "campaign", 0)
    # A message with no campaign books the number after every send booked on it...
    alone = plan(owned, 1_000_000, number)
    assert alone.send_at_us == 2_020_000 and alone.after == KeyState(2_040_000, "campaign", 2_040_000)
    # ...and the owner's next slot comes after that one, not before.
    assert plan_follow(alone.after, 1_500_000, number, "campaign") is None
    again = plan_follow(alone.after, 2_040_000, number, "campaign")
    assert again is not None and again.move == "follow"
    # Another owner takes the key only after every send booked on it.
    assert plan_follow(alone.after, 2_000_000, number, "other campaign") is None
    taken = plan_follow(alone.after, 2_500_000, number, "other campaign")
    assert taken is not None and taken.move == "claim"
    assert taken.after == KeyState(2_520_000, "other campaign", 2_040_000)


Op = tuple[str, int]


def _run_follower(follower: Pace, ops: list[Op]) -> list[int]:
    """The follower key's sends when `ops` reach it in this order: ("owner name", slot) follows
    an owner's slot, or books the key itself when that time is not free; ("", arrival) is a
    message with this key alone."""
    state = KeyState(None)
    sends = []
    for owner, at in ops:
        booking = plan_follow(state, at, follower, owner) if owner else None
        if booking is None:
            booking = plan(state, at, follower)
        sends.append(booking.send_at_us)
        state = booking.after
    return sends


def _owner_slots(owner: Pace, arrivals: list[int]) -> list[int]:
    tat: int | None = None
    slots = []
    for arrival in sorted(arrivals):
        slot = book(tat, arrival, owner)
        slots.append(slot.send_at_us)
        tat = slot.next_tat_us
    return slots


arrival_lists = st.lists(st.integers(min_value=0, max_value=10 * MICROS), max_size=40)


@given(
    per_second=st.floats(min_value=1, max_value=100),
    slower=st.tuples(st.floats(min_value=1, max_value=8), st.floats(min_value=1, max_value=8)),
    owners=st.tuples(arrival_lists, arrival_lists),
    alone=arrival_lists,
    data=st.data(),
)
def test_a_follower_never_exceeds_its_rate_whatever_order_the_instances_reach_it(
    per_second: float,
    slower: tuple[float, float],
    owners: tuple[list[int], list[int]],
    alone: list[int],
    data: st.DataObject,
) -> None:
    follower = pace(per_second)
    ops: list[Op] = [("", arrival) for arrival in alone]
    for name, factor, arrivals in zip(("A", "B"), slower, owners, strict=True):
        ops += [(name, slot) for slot in _owner_slots(pace(per_second / factor), arrivals)]
    shuffled = data.draw(st.permutations(ops))

    sends = sorted(_run_follower(follower, shuffled))

    assert most_in_window(sends) <= follower.per_second + 1
    assert all(later - earlier >= follower.interval_us for earlier, later in pairwise(sends))


@given(arrivals=arrival_lists, data=st.data())
def test_an_owners_slots_all_go_on_its_follower_in_any_order(
    arrivals: list[int], data: st.DataObject
) -> None:
    slots = _owner_slots(campaign_pace("E"), arrivals)
    shuffled = data.draw(st.permutations([("campaign", slot) for slot in slots]))

    # Every slot the slower key booked is sent at that very time: none is left unused.
    assert sorted(_run_follower(pace(50), shuffled)) == sorted(slots)
