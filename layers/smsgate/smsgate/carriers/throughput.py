"""Per-sending-number throughput: a token bucket per `from` number, within this process.

Carriers give each sender a messages-per-second budget (a US 10DLC long code about 1 MPS
unless its campaign is granted more); traffic above it is queued or dropped by the carrier
and hurts delivery. `NumberThrottle.acquire(number)` waits until the number has a token.

Scope: the buckets live in this process only. There is no shared cross-instance limiter, so
the real ceiling per number is the dispatcher's Lambda reserved concurrency × `mps` (plus
`burst` per instance); size the reserved concurrency with that product in mind.

The arithmetic (`reserve`) is pure and takes `now`, so it is tested without a clock. A
reservation may lie in the future: each caller books the next free slot under the lock and
then sleeps outside it, so concurrent threads queue in order instead of all waking together.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """Tokens left at time `at` (may be negative or in the future: slots already booked)."""

    tokens: float
    at: float


def reserve(bucket: Bucket | None, now: float, *, mps: float, burst: float) -> tuple[Bucket, float]:
    """Book one send: the bucket after it and how long to wait from `now` before sending.

    Tokens refill at `mps` per second up to `burst`, so in any interval of length t at most
    `burst + mps * t` sends are booked.
    """
    if bucket is None:
        tokens, at = burst, now
    else:
        at = max(now, bucket.at)
        tokens = min(burst, bucket.tokens + (at - bucket.at) * mps)
    wait_from_at = 0.0 if tokens >= 1.0 else (1.0 - tokens) / mps
    send_at = at + wait_from_at
    return Bucket(tokens=tokens + wait_from_at * mps - 1.0, at=send_at), send_at - now


class NumberThrottle:
    """Keeps every sending number under `mps` messages per second in this process."""

    def __init__(
        self,
        mps: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        burst: float = 1.0,
    ) -> None:
        if mps <= 0:
            raise ValueError("mps must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._mps = mps
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, number: str) -> float:
        """Wait until `number` may send one message; return the seconds waited."""
        with self._lock:
            bucket, wait = reserve(self._buckets.get(number), self._clock(), mps=self._mps, burst=self._burst)
            self._buckets[number] = bucket
        if wait > 0:
            self._sleep(wait)
        return wait
