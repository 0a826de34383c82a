"""The daily counter under real concurrency: many threads against moto's server (docs/policy.md#daily-limit).

Each thread has its own boto3 client (smsgate.dal.clients) and its own HTTP connection, so the
conditional ADDs really race in the server, as Lambda instances race in DynamoDB.
"""

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_stack import stack as local
from local_stack.moto_server import start_moto_server
from smsgate.dal import clients, counters
from smsgate.settings import get_settings
from tests.conftest import _cloudformation_template
from tests.e2e.conftest import free_port

MAX_THREADS = 40
EXPIRES = datetime.now(UTC) + timedelta(days=1)
T = TypeVar("T")


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    """Threads kept across examples: each makes its boto3 client once, not once per example."""
    with ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="racer") as executor:
        yield executor


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's server on a free port holding the stack created from template.yaml, as `make run` does."""
    template = _cloudformation_template()  # before the server starts: it runs under mock_aws
    server = start_moto_server("127.0.0.1", free_port())
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's state lives in this process, shared with the in-process mocks: start and end empty.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setattr(local, "to_cloudformation", lambda *_: template)
        created = local.create_stack(endpoint, {"PublicBaseUrl": "http://127.0.0.1:3000"})
        for key, value in created.environment.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        clients.reset()
        try:
            yield endpoint
        finally:
            requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
            get_settings.cache_clear()
            clients.reset()
            server.stop()


def race(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released at once by a barrier."""
    assert len(calls) <= MAX_THREADS
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait(timeout=30)
        return call()

    return [future.result(timeout=60) for future in [pool.submit(run, call) for call in calls]]


def new_key() -> str:
    return counters.daily_key(f"loc-{uuid.uuid4().hex[:8]}", EXPIRES.date())


@st.composite
def contests(draw: st.DrawFn) -> tuple[int, list[int]]:
    """A limit and what each of 20-40 racing callers asks for (a single send asks 1, a bulk more)."""
    limit = draw(st.integers(min_value=1, max_value=120))
    threads = draw(st.integers(min_value=20, max_value=MAX_THREADS))
    sizes = draw(st.lists(st.integers(min_value=1, max_value=12), min_size=threads, max_size=threads))
    return limit, sizes


RACE_SETTINGS = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_reservations_tile_the_counter(grants: list[tuple[int, int]], limit: int) -> int:
    """What `reserve` promises: each grant is the slice [used_before, used_before + granted) of the
    counter; the slices of all callers are disjoint and, together, fill it from 0 without gaps."""
    slices = sorted((before, before + granted) for granted, before in grants if granted)
    end = 0
    for start, stop in slices:
        assert start == end, f"reservations overlap or leave a gap: {slices}"
        end = stop
    assert end <= limit
    return end


@RACE_SETTINGS
@given(contest=contests())
def test_racing_reservations_never_pass_the_limit_and_waste_no_room(
    moto_server: str, pool: ThreadPoolExecutor, contest: tuple[int, list[int]]
) -> None:
    limit, sizes = contest
    key = new_key()
    grants = race(pool, [partial(counters.reserve, key, limit, size, EXPIRES) for size in sizes])

    total = sum(granted for granted, _ in grants)
    assert total <= limit
    assert all(0 <= granted <= size for (granted, _), size in zip(grants, sizes, strict=True))
    # Nobody is cut short while room is left: a caller gets less than it asked only when the
    # counter is full, so the callers together get exactly min(limit, what they asked).
    assert total == min(limit, sum(sizes))
    assert assert_reservations_tile_the_counter(grants, limit) == total
    assert counters.used(key) == total


@RACE_SETTINGS
@given(limit=st.integers(min_value=1, max_value=60), threads=st.integers(min_value=20, max_value=MAX_THREADS))
def test_single_sends_get_one_each_until_the_limit(
    moto_server: str, pool: ThreadPoolExecutor, limit: int, threads: int
) -> None:
    key = new_key()
    grants = race(pool, [partial(counters.reserve, key, limit, 1, EXPIRES)] * threads)
    refused, accepted = max(0, threads - limit), min(limit, threads)
    assert sorted(granted for granted, _ in grants) == [0] * refused + [1] * accepted
    assert counters.used(key) == min(limit, threads)


@RACE_SETTINGS
@given(contest=contests(), data=st.data())
def test_releases_racing_reservations_give_back_exactly_what_they_release(
    moto_server: str, pool: ThreadPoolExecutor, contest: tuple[int, list[int]], data: st.DataObject
) -> None:
    limit, sizes = contest
    key = new_key()
    first = race(pool, [partial(counters.reserve, key, limit, size, EXPIRES) for size in sizes])
    # Half of the callers give back part of what they got (messages the queue did not take) while
    # the other half reserve again.
    half = len(sizes) // 2
    released = [data.draw(st.integers(min_value=0, max_value=granted)) for granted, _ in first[:half]]

    calls: list[Callable[[], tuple[int, int] | None]] = [
        partial(counters.release, key, count) for count in released
    ]
    calls += [partial(counters.reserve, key, limit, size, EXPIRES) for size in sizes[half:]]
    second = [grant for grant in race(pool, calls) if grant is not None]
    granted = sum(g for g, _ in first) + sum(g for g, _ in second)
    used = counters.used(key)
    assert used == granted - sum(released)
    assert 0 <= used <= limit
    # Released room is room again: a last caller gets exactly what is left, up to the limit.
    last, before = counters.reserve(key, limit, limit, EXPIRES)
    assert (last, before) == (limit - used, used)
    assert counters.used(key) == limit


# --- a number belongs to one location at most (docs/tenancy.md#numbers) ------------------------


@pytest.mark.parametrize("contenders", [2, 10])
def test_locations_claiming_one_number_at_once_cannot_both_win(
    moto_server: str, pool: ThreadPoolExecutor, contenders: int
) -> None:
    from smsgate.dal import locations
    from smsgate.errors import SmsgateError

    number = f"+4477009{uuid.uuid4().int % 10**5:05d}"
    now = datetime.now(UTC)

    def claim(location_id: str) -> str:
        try:
            locations.save_location(location_id, name=location_id, created_at=now, numbers=[number], texts={})
        except SmsgateError as refused:
            return str(refused.code)
        return "claimed"

    contender_ids = [f"loc-{uuid.uuid4().hex[:8]}" for _ in range(contenders)]
    outcomes = race(pool, [partial(claim, location_id) for location_id in contender_ids])

    assert sorted(outcomes) == ["NUMBER_TAKEN"] * (contenders - 1) + ["claimed"]
    winner = contender_ids[outcomes.index("claimed")]
    assert locations.location_for_number(number) == winner
    holders = [
        location_id
        for location_id in contender_ids
        if (found := locations.get_location(location_id)) is not None and number in found.numbers
    ]
    assert holders == [winner]
