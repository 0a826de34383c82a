"""Pacing shared by every dispatcher instance: a message goes only in a slot booked on its
sending number and, when it has one, on its campaign (docs/pacing.md).

A message's send time must be a booked slot of every key, or a key could see bunched sends.
The slowest key is booked first, with one conditional update that racing instances never
retry; its slot is the message's time. A faster key then takes that time as a follower of the
slowest key: instances reach it in any order, and the slower key's slots are spaced enough for
it, so none is refused for coming late and no booked slot goes unused for it
(docs/pacing.md#one-send-time-on-every-key). A slot further away than the invocation can wait
is not booked: the message goes back to the queue until about when the key has room
(`PacingPostponed`).
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from smsgate.dal import pacing as slots
from smsgate.models.pacing import KeyState
from smsgate.policy.pacing import (
    DEFAULT_MESSAGE_CLASS,
    MICROS,
    Pace,
    book,
    campaign_pace,
    follows,
    latest_tat,
    pace,
    plan,
    plan_follow,
)

# How late after its slot a message may still go: half the slowest key's interval, which keeps
# the bound exact, but never less than this, or a fast key's slot (13 ms apart for AT&T class
# A) would always be past when its booking's round trips return (docs/pacing.md#shared-slots).
LATE_TOLERANCE_US = 100_000
# Passes over the keys before giving up on a message that keeps being pushed later.
_PASSES = 6
# Each failed condition means another instance moved the key between our read and write; a
# handful of rounds settles any race (the busy update never fails against another).
_ROUNDS = 8


class PacingPostponed(Exception):
    """The message's slot is further away than this invocation can wait; nothing was booked
    for it except slots it leaves unused."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"pacing: next slot in {seconds:.1f} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Booking:
    """`send_at_us` when booked; otherwise None and `free_at_us` says when the key has room."""

    send_at_us: int | None
    free_at_us: int


def reserve_slot(key: str, arrival_us: int, key_pace: Pace, latest_send_us: int) -> Booking:
    """Book the earliest slot at or after `arrival_us` on `key`, if it comes by `latest_send_us`;
    a slot further away than that is not booked at all.

    The first write guesses the key busy, the usual case under load: one write when it is, and
    a failed condition returns what the key holds."""
    state = KeyState(arrival_us)
    expires_at = arrival_us // MICROS + slots.SLOT_TTL_SECONDS
    latest = latest_tat(latest_send_us, key_pace)
    for _ in range(_ROUNDS):
        booking = plan(state, arrival_us, key_pace)
        try:
            if booking.move == "advance":
                if state.tat_us is not None and state.tat_us > latest:
                    return Booking(None, state.tat_us - key_pace.tolerance_us)
                before = slots.advance_busy(key, key_pace.interval_us, arrival_us, latest, expires_at)
                return Booking(book(before, arrival_us, key_pace).send_at_us, before)
            slots.restart_idle(key, booking.after.tat_us or 0, arrival_us, expires_at)
            return Booking(arrival_us, arrival_us)
        except slots.SlotMoved as moved:
            state = moved.state
    raise RuntimeError(f"pacing slot {key.split('#')[1].lower()} stayed contended")


def follow_slot(key: str, at_us: int, key_pace: Pace, owner: str) -> bool:
    """Book `at_us`, a slot of the slower key `owner`, on `key`; False when another key's send is
    booked at or after it, and then nothing was booked.

    The first write guesses that `owner` holds the key, the usual case: one write when it does."""
    state = KeyState(None, owner, 0)
    expires_at = at_us // MICROS + slots.SLOT_TTL_SECONDS
    for _ in range(_ROUNDS):
        booking = plan_follow(state, at_us, key_pace, owner)
        if booking is None:
            return False
        try:
            if booking.move == "within":
                # Seen in the key as it was: a later send of the owner is booked already, and
                # the others' sends all go after it, so this one needs no write.
                return True
            if booking.move == "follow":
                slots.follow(key, owner, at_us, key_pace.interval_us, expires_at)
            else:
                slots.claim(key, owner, at_us, key_pace.interval_us, expires_at)
            return True
        except slots.SlotMoved as moved:
            state = moved.state
    raise RuntimeError(f"pacing slot {key.split('#')[1].lower()} stayed contended")


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class Pacer:
    """Books slots for one message at a time; `number_pace` applies where the campaign records
    no rate of its own."""

    number_pace: Pace
    default_message_class: str = DEFAULT_MESSAGE_CLASS
    sleep: Callable[[float], None] = time.sleep
    clock_us: Callable[[], int] = _now_us

    @classmethod
    def per_second(
        cls,
        mps: float,
        burst: int = 1,
        default_message_class: str = DEFAULT_MESSAGE_CLASS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> "Pacer":
        return cls(number_pace=pace(mps, burst), default_message_class=default_message_class, sleep=sleep)

    def keys(
        self, from_number: str, campaign_id: str | None, message_class: str | None, number_mps: float | None
    ) -> list[tuple[str, Pace]]:
        number = pace(number_mps, self.number_pace.burst) if number_mps else self.number_pace
        keys = [(slots.number_key(from_number), number)]
        if campaign_id:
            keys.append(
                (slots.campaign_key(campaign_id), campaign_pace(message_class or self.default_message_class))
            )
        return keys

    def acquire(self, keys: list[tuple[str, Pace]], max_wait_seconds: float) -> float:
        """Wait for a slot booked on every key; returns the seconds waited. Raises
        `PacingPostponed` when the slot would come later than `max_wait_seconds`."""
        now = self.clock_us()
        latest = now + int(max(0.0, max_wait_seconds) * MICROS)
        target = now
        owned: dict[str, int] = {}
        # The slowest key first: its slot is the message's time (docs/pacing.md#shared-slots).
        ordered = sorted(keys, key=lambda key_and_pace: -key_and_pace[1].interval_us)
        slowest, slowest_pace = ordered[0]
        for _ in range(_PASSES):
            for key, key_pace in ordered:
                if owned.get(key) == target:
                    continue
                following = key != slowest and follows(slowest_pace, key_pace)
                if following and follow_slot(key, target, key_pace, slowest):
                    owned[key] = target
                    continue
                booking = reserve_slot(key, target, key_pace, latest)
                if booking.send_at_us is None:
                    raise PacingPostponed(_spread((booking.free_at_us - latest) / MICROS))
                owned[key] = booking.send_at_us
                if booking.send_at_us > target:
                    # Another key's send holds this time: the slowest key's slot is left unused.
                    target = booking.send_at_us
                    break
            else:
                late = self.clock_us() - target
                if late > max(LATE_TOLERANCE_US, slowest_pace.interval_us // 2):
                    # Booking took so long that the slot has passed: sent now, it would bunch
                    # with the next one. Book again from now; this slot goes unused.
                    target = self.clock_us()
                    owned.clear()
                    continue
                wait = max(0.0, -late / MICROS)
                if wait > 0:
                    self.sleep(wait)
                return wait
        raise PacingPostponed(_spread((target - latest) / MICROS))


def _spread(seconds: float) -> float:
    """`seconds` is how long until the key's first free slot comes within the wait a dispatcher
    allows: back then, the message finds a slot it can wait for, and the key never drains
    while messages are held. Messages put back together would all come back together: each
    waits up to a quarter more (docs/pacing.md#postponed)."""
    return max(1.0, seconds) * (1.0 + random.random() / 4)
