"""The whole system over HTTP on the local stack
(docs/local-stack.md#how-the-stack-is-built-from-the-template)."""

import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.e2e.conftest import (
    LocalStack,
    create_location,
    final_message,
    opt_in,
    register_10dlc,
    sending_numbers,
)

FROM = "+12025550100"


@pytest.fixture(autouse=True)
def own_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's location sends from a number of its own (one location per number)."""
    monkeypatch.setattr(sys.modules[__name__], "FROM", sending_numbers()[0])


def new_location(stack: LocalStack, **extra: Any) -> str:
    location_id = create_location(stack, [FROM], created_at=datetime.now(UTC).isoformat(), **extra)
    register_10dlc(stack, location_id, [FROM])
    return location_id


def send(
    stack: LocalStack, location_id: str, to: str, body: str = "Your visit is at 9."
) -> requests.Response:
    return stack.call(
        "POST",
        "/v1/messages",
        {"location_id": location_id, "from": FROM, "to": to, "body": body, "kind": "conversation"},
    )


def test_a_message_is_delivered_end_to_end(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    opt_in(local_stack, location_id, "+12025550143")
    accepted = local_stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": FROM,
            "to": "+12025550143",
            "body": "Your visit is at 9.",
            "kind": "workflow",
        },
    )
    assert accepted.status_code == 202, accepted.text
    message_id = accepted.json()["message_id"]

    message = final_message(local_stack, message_id)
    assert message["status"] == "delivered", message
    assert message["history"][0]["status"] == "queued"
    assert "delivered" in [step["status"] for step in message["history"]]


def test_the_251st_message_of_day_one_is_refused_also_when_20_race(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    opt_in(local_stack, location_id, "+12025550143")
    for _ in range(240):
        assert send(local_stack, location_id, "+12025550143").status_code == 202
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: send(local_stack, location_id, "+12025550143"), range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] * 10 + [429] * 10
    refused = [answer for answer in answers if answer.status_code == 429]
    assert all(answer.json()["error"]["code"] == "DAILY_LIMIT_REACHED" for answer in refused)
    assert all(int(answer.headers["Retry-After"]) > 0 for answer in refused)
    last = send(local_stack, location_id, "+12025550143")
    assert (
        last.status_code == 429
        and last.json()["error"]["message"] == "You have exceeded your SMS sending limit."
    )
    usage = local_stack.call("GET", f"/v1/locations/{location_id}/usage").json()
    assert usage["sent_today"] == 250 and usage["remaining"] == 0


def test_bad_requests_get_a_reason_code_over_http(local_stack: LocalStack) -> None:
    assert local_stack.call("GET", "/v1/nowhere").json()["error"]["code"] == "NOT_FOUND"
    answer = requests.post(
        local_stack.url("/v1/messages"),
        data="{not json",
        timeout=10,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"
    unknown = send(local_stack, "no-such-location", "+12025550143")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "LOCATION_NOT_FOUND"
