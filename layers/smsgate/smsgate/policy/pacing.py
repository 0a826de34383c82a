"""Pacing: when the next message of a sending number or a campaign may go (docs/pacing.md).

Carriers meter A2P traffic per number (messages per second) and AT&T per 10DLC campaign
(messages per minute by the campaign's message class). Every dispatcher instance books its
sends in one shared "next free slot" per key (`smsgate.dal.pacing`); this module holds the
arithmetic of that slot, the generic cell rate algorithm (GCRA), and the class table as data.

Times are integer microseconds since the epoch: the shared slot is advanced with an atomic
ADD, and integers add exactly. What a queued message is paced by (its campaign, its class and
number rate) is recorded at the gate: `smsgate.policy.registration.pacing_fields`.

The law (tests/unit/test_pacing.py): sends booked on one key at rate r with burst b never
number more than `b + r * t` in any interval of length t.
"""

from dataclasses import dataclass
from math import ceil
from typing import Literal

from smsgate.models.pacing import KeyState

MICROS = 1_000_000

# AT&T's 10DLC throughput per campaign, in SMS segments per minute, by the message class the
# carrier assigns at vetting (docs/pacing.md#att-message-classes). Classes G and N are metered
# per number rather than per campaign; they are kept here with their per-minute figure and the
# dispatcher applies them to the campaign key as well, which is the stricter reading.
ATT_CLASS_PER_MINUTE: dict[str, int] = {
    "A": 4500,
    "B": 4500,
    "C": 2400,
    "D": 2400,
    "E": 240,
    "F": 240,
    "T": 75,
    "W": 15,
    "G": 60,
    "K": 4500,
    "N": 60,
    "P": 2400,
}
# A verified brand's campaign gets class E or F unless vetting moves it higher, so a campaign
# whose class nobody recorded is paced as E (docs/pacing.md#att-message-classes).
DEFAULT_MESSAGE_CLASS = "E"


@dataclass(frozen=True)
class Pace:
    """A rate as GCRA needs it: the spacing between sends and how far ahead of its theoretical
    time a send may go (the burst beyond the first message)."""

    interval_us: int
    tolerance_us: int

    @property
    def per_second(self) -> float:
        return MICROS / self.interval_us

    @property
    def burst(self) -> int:
        return self.tolerance_us // self.interval_us + 1


def pace(per_second: float, burst: int = 1) -> Pace:
    """The pace of `per_second` messages a second with up to `burst` at once. The spacing is
    rounded up, so the rounding can only slow sends, never speed them."""
    if per_second <= 0:
        raise ValueError("a rate must be positive")
    if burst < 1:
        raise ValueError("a burst is at least one message")
    interval = ceil(MICROS / per_second)
    return Pace(interval_us=interval, tolerance_us=(burst - 1) * interval)


def campaign_pace(message_class: str | None) -> Pace:
    """AT&T's per-minute figure for the class, as a per-second pace with no burst: the carrier
    counts a minute, and an even spacing never fills a minute faster than the figure."""
    per_minute = ATT_CLASS_PER_MINUTE[(message_class or DEFAULT_MESSAGE_CLASS).upper()]
    return pace(per_minute / 60)


@dataclass(frozen=True)
class Slot:
    """A booking: send at `send_at_us`; the key's next theoretical time becomes `next_tat_us`."""

    send_at_us: int
    next_tat_us: int


def book(tat_us: int | None, arrival_us: int, key_pace: Pace) -> Slot:
    """GCRA: the earliest time at or after `arrival_us` a message may go on a key whose
    theoretical arrival time is `tat_us` (None: never used), and the key's next one."""
    start = arrival_us if tat_us is None else max(tat_us, arrival_us)
    send_at = arrival_us if tat_us is None else max(arrival_us, tat_us - key_pace.tolerance_us)
    return Slot(send_at_us=send_at, next_tat_us=start + key_pace.interval_us)


def is_busy(tat_us: int | None, arrival_us: int) -> bool:
    """A busy key's slot moves by exactly one interval (an atomic ADD); an idle one restarts
    from the arrival (a conditional SET)."""
    return tat_us is not None and tat_us >= arrival_us


Move = Literal["restart", "advance", "claim", "follow", "within"]


@dataclass(frozen=True)
class Plan:
    """How to book a send on a key in a known state, and what the key then holds (for an
    `advance`, whatever `tat` it moves from is the send time)."""

    move: Move
    send_at_us: int
    after: KeyState


def plan(state: KeyState, arrival_us: int, key_pace: Pace) -> Plan:
    """The key's own next slot at or after `arrival_us`: `restart` an idle key at the arrival, or
    `advance` a busy one by an interval. Everything booked so far is then before the owner's
    next booking (`free_from_us`)."""
    slot = book(state.tat_us, arrival_us, key_pace)
    move: Move = "advance" if is_busy(state.tat_us, arrival_us) else "restart"
    return Plan(move, slot.send_at_us, KeyState(slot.next_tat_us, state.owner, slot.next_tat_us))


def follows(slower: Pace, faster: Pace) -> bool:
    """Whether sends spaced by `slower` are always spaced enough for `faster`, so that the
    faster key may take them in any order: one at a time, at least its interval apart."""
    return slower.tolerance_us == 0 and faster.tolerance_us == 0 and slower.interval_us >= faster.interval_us


def plan_follow(state: KeyState, at_us: int, key_pace: Pace, owner: str) -> Plan | None:
    """A send at `at_us`, a booked slot of `owner` (a slower key it `follows`), on this key.

    Instances book the owner's slots in order but this key in any order (each at its own slot,
    as it gets there): the owner's sends are spaced enough for this key among themselves, so
    they only have to keep clear of the others' (docs/pacing.md#one-send-time-on-every-key).
    `follow` moves `tat` up to the send, `within` needs no write (a later send of the owner is
    already booked), `claim` takes the key from another owner (or none) at a time after every
    booking. None: the time is not free here for `owner` (another key's send is booked at or
    after it)."""
    after = at_us + key_pace.interval_us
    if state.owner == owner and state.free_from_us is not None and state.free_from_us <= at_us:
        if state.tat_us is not None and state.tat_us >= after:
            return Plan("within", at_us, state)
        return Plan("follow", at_us, KeyState(after, owner, state.free_from_us))
    if state.owner != owner and (state.tat_us is None or state.tat_us <= at_us):
        return Plan("claim", at_us, KeyState(after, owner, state.tat_us or 0))
    return None


def latest_tat(latest_send_us: int, key_pace: Pace) -> int:
    """The largest theoretical time whose booking still sends by `latest_send_us`."""
    return latest_send_us + key_pace.tolerance_us


def most_in_window(send_times_us: list[int], window_us: int = MICROS) -> int:
    """The most sends in any half-open window [t, t + window) (the bench's and tests' measure)."""
    times = sorted(send_times_us)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window_us:
            first += 1
        most = max(most, last - first + 1)
    return most
