"""Retrying a send on transient carrier errors: capped exponential backoff with full jitter.

Full jitter (a uniformly random delay between 0 and the exponential cap) spreads the retries
of many dispatcher instances throttled at the same moment, instead of having them return
together. A carrier's `Retry-After` is a floor: we never come back earlier than it asks.
When it asks for more than `max_delay`, waiting inside the Lambda would only burn its
timeout, so the error is re-raised at once and the queue's redelivery retries later.

A permanent rejection is re-raised at once: no retry changes it.
"""

import logging
import random
import time
from collections.abc import Callable

from smsgate.carriers.base import Carrier, OutboundSms, SendResult, TransientCarrierError

logger = logging.getLogger(__name__)


def backoff_delay(attempt: int, *, base_delay: float, max_delay: float, rand: float) -> float:
    """The jittered delay after failed attempt number `attempt` (0 for the first), `rand` in [0, 1)."""
    cap = min(max_delay, base_delay * 2.0**attempt)
    return rand * cap


def send_with_retry(
    carrier: Carrier,
    sms: OutboundSms,
    *,
    attempts: int = 4,
    base_delay: float = 0.2,
    max_delay: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> SendResult:
    """Send `sms` through `carrier`, retrying TransientCarrierError up to `attempts` sends in all."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return carrier.send(sms)
        except TransientCarrierError as exc:
            if attempt == attempts - 1:
                raise
            delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, rand=rand())
            if exc.retry_after is not None:
                if exc.retry_after > max_delay:
                    raise
                delay = max(delay, exc.retry_after)
            logger.warning(
                "transient carrier error, retrying",
                extra={"carrier": carrier.name, "attempt": attempt + 1, "code": exc.code, "delay": delay},
            )
            sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
