"""Faults (docs/guarantees.md#nothing-lost-nothing-twice): throttled storage answers 503 and
decides nothing; 50 racing senders never pass the daily limit. (Crashes mid-batch and duplicates
of every event are proven where each consumer is tested: docs/guarantees.md names those tests.)"""

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_stack.lambdas import load_handler
from smsgate.dal import clients, counters
from smsgate.policy.limits import counter_day, daily_limit
from smsgate.settings import get_settings
from tests.integration.conftest import ROOT, ApiCall, call_api, drain
from tests.integration.test_counter_concurrency import moto_server  # noqa: F401 - a fixture

FROM = "+447700900100"
TO = "+447700900143"  # outside the US: no 10DLC registration needed
SENDERS = 50


def new_location(api: ApiCall, location_id: str, created_at: datetime | None = None) -> None:
    body: dict[str, Any] = {"name": "Faulty Florist", "numbers": [FROM]}
    if created_at:
        body["created_at"] = created_at.isoformat()
    status, answer, _ = api("PUT", f"/v1/locations/{location_id}", body)
    assert status in (200, 201), answer
    consent = f"/v1/locations/{location_id}/contacts/{TO.replace('+', '%2B')}/consent"
    assert api("PUT", consent, {"source": "web_form", "evidence": "form"})[0] == 200


def message(location_id: str) -> dict[str, Any]:
    return {
        "location_id": location_id,
        "from": FROM,
        "to": TO,
        "body": "Your roses are ready.",
        # A workflow message: its body is fingerprinted for row 9, so a send makes every kind
        # of storage call (a short conversation reply skips the snowshoeing transaction).
        "kind": "workflow",
    }


# --- throttling: 503 with Retry-After, never a wrong decision -----------------------------------


THROTTLES = ("ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded")


@pytest.fixture
def throttled() -> Iterator[Any]:
    """`throttled(operation, code)`: every call of a DynamoDB operation (from this thread's client,
    the one the handler uses) fails with AWS's throttling error `code` until the block ends
    (only the first `times` calls, when given)."""
    hooks: list[tuple[str, Any]] = []
    fired: list[str] = []

    def throttle(operation: str, code: str, times: int | None = None) -> list[str]:
        def fail(**_: Any) -> None:
            if times is not None and len(fired) >= times:
                return
            fired.append(operation)
            raise ClientError({"Error": {"Code": code, "Message": "Rate exceeded (injected)"}}, operation)

        event = f"before-call.dynamodb.{operation}"
        clients.dynamodb().meta.client.meta.events.register(event, fail)
        hooks.append((event, fail))
        return fired

    yield throttle
    for event, fail in hooks:
        clients.dynamodb().meta.client.meta.events.unregister(event, fail)


@pytest.mark.parametrize("code", THROTTLES)
def test_a_send_whose_counter_reservation_is_throttled_is_503_and_neither_accepted_nor_refused(
    stack: Any, send_gate: ApiCall, throttled: Any, code: str
) -> None:
    new_location(send_gate, "loc-throttled")
    # The daily counter's conditional ADD, in the send's one transaction (smsgate.dal.sends).
    throttled("TransactWriteItems", code)

    status, answer, headers = send_gate("POST", "/v1/messages", message("loc-throttled"))

    assert (status, answer["error"]["code"], headers["Retry-After"]) == (503, "SERVICE_UNAVAILABLE", "1")
    assert drain(stack.outputs["OutboundQueueUrl"]) == []


# Every DynamoDB call of an accepted send: the batched read and the transaction (docs/send-path.md).
@pytest.mark.parametrize("operation", ["BatchGetItem", "TransactWriteItems"])
def test_any_throttled_storage_call_of_a_send_is_503_and_the_retry_goes_through(
    stack: Any, send_gate: ApiCall, throttled: Any, operation: str
) -> None:
    new_location(send_gate, "loc-throttled")
    fired = throttled(operation, "ProvisionedThroughputExceededException")

    status, answer, headers = send_gate("POST", "/v1/messages", message("loc-throttled"))
    assert fired, f"{operation} is not on the send's path"
    assert (status, answer["error"]["code"], headers["Retry-After"]) == (503, "SERVICE_UNAVAILABLE", "1")
    assert drain(stack.outputs["OutboundQueueUrl"]) == []
    clients.reset()  # the storm ends: a fresh client without the injected failure

    status, answer, _ = send_gate("POST", "/v1/messages", message("loc-throttled"))
    assert status == 202, answer
    assert len(drain(stack.outputs["OutboundQueueUrl"])) == 1
    assert send_gate("GET", "/v1/locations/loc-throttled/usage")[1]["sent_today"] == 1


def test_a_bulk_whose_counter_meets_a_send_transaction_tries_again(
    stack: Any, send_gate: ApiCall, throttled: Any
) -> None:
    """DynamoDB refuses a plain write to an item a transaction holds (TransactionConflictException,
    which the SDK does not retry); the single send's transaction holds the daily counter
    (docs/send-path.md), so the bulk's reservation and releases wait and try again."""
    new_location(send_gate, "loc-conflict")
    fired = throttled("UpdateItem", "TransactionConflictException", times=2)
    bulk = {**message("loc-conflict"), "recipients": [TO]}
    bulk.pop("to")

    status, answer, _ = send_gate("POST", "/v1/messages/bulk", bulk)

    assert fired == ["UpdateItem", "UpdateItem"]
    assert (status, answer["accepted"]) == (202, 1), answer
    assert len(drain(stack.outputs["OutboundQueueUrl"])) == 1
    assert send_gate("GET", "/v1/locations/loc-conflict/usage")[1]["sent_today"] == 1


# --- 50 concurrent senders and the daily limit -------------------------------------------------


def test_fifty_concurrent_senders_never_pass_the_daily_limit(moto_server: str) -> None:  # noqa: F811
    """50 send_gate instances, each in its own thread with its own client, against moto's server
    (one request at a time, as DynamoDB applies each atomically); 20 units remain."""
    location_id = f"loc-race-{uuid.uuid4().hex[:6]}"
    setup = load_handler(ROOT / "functions" / "send_gate", f"setup-{location_id}")

    new_location(
        lambda method, path, body=None: call_api(setup, method, path, body),
        location_id,
        datetime(2023, 1, 1, tzinfo=UTC),  # past the ramp-up: the same limit all day
    )
    now = datetime.now(UTC)
    limit = daily_limit(datetime(2023, 1, 1, tzinfo=UTC), now)
    day = counter_day(now)
    already, _ = counters.reserve(
        counters.daily_key(location_id, day), limit, limit - 20, counters.daily_expiry(day)
    )
    assert already == limit - 20

    start = threading.Barrier(SENDERS)

    def sender(index: int) -> tuple[int, str]:
        handler = load_handler(ROOT / "functions" / "send_gate", f"racer-{location_id}-{index}")
        start.wait(timeout=60)
        status, answer, _ = call_api(handler, "POST", "/v1/messages", message(location_id))
        return status, answer.get("error", {}).get("code", "")

    with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="sender") as pool:
        answers = list(pool.map(sender, range(SENDERS)))

    assert sorted(answers) == [(202, "")] * 20 + [(429, "DAILY_LIMIT_REACHED")] * 30
    status, usage, _ = call_api(setup, "GET", f"/v1/locations/{location_id}/usage")
    assert (status, usage["sent_today"], usage["remaining"]) == (200, limit, 0)
    assert len(drain(get_settings().outbound_queue_url)) == 20
