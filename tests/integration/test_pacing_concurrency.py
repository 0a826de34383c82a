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
from smsgate.policy.pacing import MICROS, Pace, campaign_pace, most_in_window, pace
from smsgate.services.pacing import Pacer, PacingPostponed, follow_slot, reserve_slot
from smsgate.settings import get_settings
from tests.integration.test_counter_concurrency import moto_server  # noqa: F401 - the fixture

THREADS = 12
SECONDS = 3.0


def paced_sends(pacer: Pacer, keys: list[tuple[str, Pace]], threads: int, seconds: float) -> list[int]:
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
                pacer.acquire(keys, min(1.0, (deadline[0] - now) / MICROS))
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


def test_racing_instances_leave_none_of_the_campaigns_slots_unused(pacing_keys: str) -> None:
    """A backlog on one campaign: every instance's messages arrive at once (the clock stands
    still, so no booking ever comes late and the test is about which slots are booked, not
    when), more than the campaign can send within the wait. The number is faster than the
    campaign and instances reach it in any order. Every campaign slot within the wait must be
    sent, none skipped, and no message postponed may hold one."""
    now = time.time_ns() // 1000
    pacer = Pacer(number_pace=pace(50.0), sleep=lambda _: None, clock_us=lambda: now)
    keys = pacer.keys(f"+1555{pacing_keys[:7]}", f"campaign-{pacing_keys}", "E", None)
    threads, each, wait_seconds = 20, 3, 2.0
    slots_sent: list[int] = []
    postponed = [0]
    lock = threading.Lock()
    start = threading.Barrier(threads)

    errors: list[BaseException] = []

    def instance() -> None:
        clients.table(get_settings().counters_table)
        start.wait(timeout=30)
        for _ in range(each):
            try:
                waited = pacer.acquire(keys, wait_seconds)
            except PacingPostponed:
                with lock:
                    postponed[0] += 1
                continue
            except Exception as exc:  # a lost instance would pass for a wasted slot
                errors.append(exc)
                return
            with lock:
                slots_sent.append(now + round(waited * MICROS))

    workers = [threading.Thread(target=instance) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert not errors
    interval = campaign_pace("E").interval_us
    within_wait = int(wait_seconds * MICROS) // interval + 1
    assert sorted(slots_sent) == [now + k * interval for k in range(within_wait)]
    assert postponed[0] == threads * each - within_wait


def test_a_number_takes_its_campaigns_slots_in_any_order(pacing_keys: str) -> None:
    number, campaign = pace(50), campaign_pace("E")
    number_key = slots.number_key(f"+1555{pacing_keys[:7]}")
    campaign_key = slots.campaign_key(f"campaign-{pacing_keys}")
    now = time.time_ns() // 1000
    booked = [reserve_slot(campaign_key, now, campaign, now + 10 * MICROS).send_at_us or 0 for _ in range(3)]
    assert booked == [now, now + campaign.interval_us, now + 2 * campaign.interval_us]

    assert all(follow_slot(number_key, slot, number, campaign_key) for slot in reversed(booked))

    # Another campaign's send, or a message with no campaign, goes after all of them.
    assert not follow_slot(number_key, now, number, slots.campaign_key("another"))
    alone = reserve_slot(number_key, now, number, now + 10 * MICROS)
    assert alone.send_at_us == booked[-1] + number.interval_us
    # And the campaign's next slot on this number comes after that one.
    assert not follow_slot(number_key, booked[-1] + 1, number, campaign_key)


def test_an_owner_planning_from_a_stale_read_follows_rather_than_claims_again(pacing_keys: str) -> None:
    """Two instances both find the number free and plan to claim it for their campaign slots.
    The second claim must not count the first one's send as another key's: the campaign's
    earlier slots, still on their way to the number, would all be refused."""
    number = pace(50)
    key = slots.number_key(f"+1555{pacing_keys[:7]}")
    owner = slots.campaign_key(f"campaign-{pacing_keys}")
    now = time.time_ns() // 1000
    slots.claim(key, owner, now + MICROS, number.interval_us, now // MICROS + 60)

    with pytest.raises(slots.SlotMoved):
        slots.claim(key, owner, now + 2 * MICROS, number.interval_us, now // MICROS + 60)

    assert follow_slot(key, now + 2 * MICROS, number, owner)
    assert follow_slot(key, now, number, owner)
