"""Per-number throughput: the token bucket's arithmetic and the throttle around it."""

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.throughput import Bucket, NumberThrottle, reserve

NUMBER = "+15017122661"
OTHER_NUMBER = "+15017122662"


class FakeClock:
    """A clock that only moves when the throttle sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_first_send_of_a_number_does_not_wait():
    bucket, wait = reserve(None, 10.0, mps=1.0, burst=1.0)

    assert wait == 0.0
    assert bucket == Bucket(tokens=0.0, at=10.0)


def test_back_to_back_sends_are_spaced_by_one_over_mps():
    bucket, _ = reserve(None, 10.0, mps=4.0, burst=1.0)
    bucket, wait = reserve(bucket, 10.0, mps=4.0, burst=1.0)

    assert wait == pytest.approx(0.25)
    assert bucket.at == pytest.approx(10.25)


def test_reservations_queue_behind_slots_already_booked():
    bucket, _ = reserve(None, 10.0, mps=1.0, burst=1.0)
    bucket, first_wait = reserve(bucket, 10.0, mps=1.0, burst=1.0)
    bucket, second_wait = reserve(bucket, 10.5, mps=1.0, burst=1.0)

    assert [first_wait, second_wait] == pytest.approx([1.0, 1.5])


def test_an_idle_number_refills_only_up_to_its_burst():
    bucket, _ = reserve(None, 0.0, mps=1.0, burst=3.0)
    bucket, wait = reserve(bucket, 3600.0, mps=1.0, burst=3.0)

    assert wait == 0.0
    assert bucket.tokens == pytest.approx(2.0)


@given(
    mps=st.floats(min_value=0.1, max_value=200.0),
    burst=st.floats(min_value=1.0, max_value=10.0),
    gaps=st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=60),
)
def test_no_interval_holds_more_sends_than_burst_plus_mps_times_its_length(mps, burst, gaps):
    now, bucket, send_times = 0.0, None, []
    for gap in gaps:
        now += gap
        bucket, wait = reserve(bucket, now, mps=mps, burst=burst)
        assert wait >= 0.0
        send_times.append(now + wait)

    assert send_times == sorted(send_times)
    for first in range(len(send_times)):
        for last in range(first, len(send_times)):
            sends = last - first + 1
            assert sends <= burst + mps * (send_times[last] - send_times[first]) + 1e-6


def test_throttle_waits_per_number(clock):
    throttle = NumberThrottle(2.0, clock, clock.sleep)

    waits = [throttle.acquire(NUMBER), throttle.acquire(NUMBER), throttle.acquire(OTHER_NUMBER)]

    assert waits == [0.0, pytest.approx(0.5), 0.0]
    assert clock.sleeps == [pytest.approx(0.5)]


def test_throttle_keeps_a_number_at_its_mps(clock):
    throttle = NumberThrottle(1.0, clock, clock.sleep)
    start = clock.now

    for _ in range(10):
        throttle.acquire(NUMBER)

    assert clock.now - start == pytest.approx(9.0)


def test_concurrent_callers_get_distinct_slots():
    # A frozen clock and a no-op sleep: every caller books from the same instant, so the
    # slots it gets show the bookings were serialised.
    throttle = NumberThrottle(2.0, lambda: 0.0, lambda _seconds: None)
    waits: list[float] = []
    lock = threading.Lock()

    def send() -> None:
        wait = throttle.acquire(NUMBER)
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert sorted(waits) == pytest.approx([n * 0.5 for n in range(8)])


@pytest.mark.parametrize(("mps", "burst"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.5)])
def test_throttle_rejects_impossible_rates(mps, burst):
    with pytest.raises(ValueError):
        NumberThrottle(mps, burst=burst)
