"""Pacing shared by dispatcher instances: threads, each with its own client and connection,
book sends on one number and one campaign in moto's server (docs/pacing.md).

Whatever the number of instances, the sends on a key never exceed its rate plus its burst in
any second; a slot further away than the caller may wait is not booked.
"""

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from smsgate.dal import clients
from smsgate.dal import pacing as slots
from smsgate.policy.pacing import MICROS, campaign_pace, most_in_window, pace
from smsgate.services.pacing import Pacer, PacingPostponed, reserve_slot
from smsgate.settings import get_settings
from tests.integration.test_counter_concurrency import moto_server  # noqa: F401 - the fixture

THREADS = 12
SECONDS = 3.0


def paced_sends(pacer: Pacer, keys: list[tuple[str, object]], threads: int, seconds: float) -> list[int]:
    """Each thread books and waits for slots until the run ends; returns the send times."""
    sends: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)
    deadline = [0]

    def instance() -> None:
        clients.table(get_settings().counters_table)  # its own client, as a Lambda instance has
        if start.wait(timeout=30) == 0:
            deadline[0] = time.time_ns() // 1000 + int(seconds * MICROS)
        start.wait(timeout=30)
        while (now := time.time_ns() // 1000) < deadline[0]:
            try:
                pacer.acquire(keys, min(1.0, (deadline[0] - now) / MICROS))  # type: ignore[arg-type]
            except PacingPostponed as later:
                time.sleep(min(later.seconds, 0.5))
                continue
            with lock:
                sends.append(time.time_ns() // 1000)

    workers = [threading.Thread(target=instance) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return sends


@pytest.fixture
def pacing_keys(moto_server: str) -> Iterator[str]:  # noqa: F811 - the imported fixture
    yield uuid.uuid4().hex[:10]


@pytest.mark.parametrize(
    ("number_mps", "message_class"),
    [(5.0, "A"), (50.0, "E")],
    ids=["bound-by-the-number", "bound-by-the-campaign"],
)
def test_instances_together_keep_to_the_slower_key(
    pacing_keys: str, number_mps: float, message_class: str
) -> None:
    pacer = Pacer.per_second(number_mps)
    keys = pacer.keys(f"+1555{pacing_keys[:7]}", f"campaign-{pacing_keys}", message_class, None)
    allowed = min(pace(number_mps).per_second, campaign_pace(message_class).per_second)

    sends = paced_sends(pacer, keys, THREADS, SECONDS)

    assert most_in_window(sends) <= allowed + 1
    assert len(sends) >= 2  # the bound is not met by sending nothing


def test_a_slot_beyond_the_wait_is_not_booked(pacing_keys: str) -> None:
    slow = pace(0.5)  # two seconds apart
    key = slots.number_key(f"+1555{pacing_keys[:7]}")
    now = time.time_ns() // 1000
    first = reserve_slot(key, now, slow, now)
    assert first.send_at_us == now

    refused = reserve_slot(key, now, slow, now + MICROS)

    assert refused.send_at_us is None and refused.free_at_us == now + 2 * MICROS
    # Nothing was booked by the refusal: the next free slot is still the second one.
    assert reserve_slot(key, now, slow, now + 3 * MICROS).send_at_us == now + 2 * MICROS
