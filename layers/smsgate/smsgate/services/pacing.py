"""Pacing shared by every dispatcher instance: a message goes only in a slot booked on its
sending number and, when it has one, on its campaign (docs/pacing.md).

A message's send time must be a booked slot of every key, or a key could see bunched sends:
the number is booked first, then the campaign from the number's slot; when the campaign's slot
is later, the number is booked again from there (its first slot is left unused, which only
slows that number). A slot further away than the invocation can wait is not booked: the
message goes back to the queue until about when the key has room (`PacingPostponed`).
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from smsgate.dal import pacing as slots
from smsgate.policy.pacing import (
    DEFAULT_MESSAGE_CLASS,
    MICROS,
    Pace,
    book,
    campaign_pace,
    is_busy,
    latest_tat,
    pace,
)

# How late after its slot a message may still go: half the slowest key's interval, which keeps
# the bound exact, but never less than this, or a fast key's slot (13 ms apart for AT&T class
# A) would always be past when its booking's round trips return (docs/pacing.md#shared-slots).
LATE_TOLERANCE_US = 100_000
# Passes over the keys before giving up on a message that keeps being pushed later.
_PASSES = 6
# Each failed condition means another instance moved the key between our read and write; a
# handful of rounds settles any race (the busy ADD never fails against another ADD).
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
    a slot further away than that is not booked at all."""
    tat: int | None = None
    known = False
    expires_at = arrival_us // MICROS + slots.SLOT_TTL_SECONDS
    latest = latest_tat(latest_send_us, key_pace)
    for _ in range(_ROUNDS):
        try:
            if known and is_busy(tat, arrival_us):
                before = slots.advance_busy(key, key_pace.interval_us, arrival_us, latest, expires_at)
                return Booking(book(before, arrival_us, key_pace).send_at_us, before)
            if known:
                slot = book(None, arrival_us, key_pace)
                slots.restart_idle(key, slot.next_tat_us, arrival_us, expires_at)
                return Booking(slot.send_at_us, arrival_us)
            # The first round guesses busy, the usual case under load; its failure tells the truth.
            tat, known = arrival_us, True
        except slots.SlotMoved as moved:
            tat = moved.tat_us
            if tat is not None and tat > latest:
                return Booking(None, tat - key_pace.tolerance_us)
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
        for _ in range(_PASSES):
            for key, key_pace in keys:
                if owned.get(key) == target:
                    continue
                booking = reserve_slot(key, target, key_pace, latest)
                if booking.send_at_us is None:
                    raise PacingPostponed(_spread((booking.free_at_us - latest) / MICROS))
                owned[key] = booking.send_at_us
                if booking.send_at_us > target:
                    target = booking.send_at_us
                    break
            else:
                late = self.clock_us() - target
                if late > max(LATE_TOLERANCE_US, max(key_pace.interval_us for _, key_pace in keys) // 2):
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
