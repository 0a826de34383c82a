"""Rows 7-9 of the send gate over HTTP on the local stack (docs/content-policy.md): every reason
appears, and a message with a public shortener link is accepted with a warning and delivered.

Destinations are UK numbers, which need no 10DLC registration (row 4)."""

import sys
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStack, create_location, final_message, opt_in, sending_numbers

NUMBERS = ["+12025550111", "+12025550112", "+12025550113", "+12025550114"]


@pytest.fixture(autouse=True)
def own_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's location sends from numbers of its own (one location per number)."""
    monkeypatch.setattr(sys.modules[__name__], "NUMBERS", sending_numbers(4))


TO = "+447700900101"


def new_location(stack: LocalStack) -> str:
    location_id = create_location(stack, NUMBERS, created_at=datetime(2021, 1, 1, tzinfo=UTC).isoformat())
    opt_in(stack, location_id, TO)
    return location_id


def send(stack: LocalStack, location_id: str, body: str, sender: str | None = None) -> requests.Response:
    return stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": sender or NUMBERS[0],
            "to": TO,
            "body": body,
            "kind": "conversation",
        },
    )


def error_of(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_prohibited_content_is_refused_with_its_category(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    error = error_of(send(local_stack, location_id, "Free spins on our new slots tonight, no deposit needed"))
    assert (error["code"], error["category"]) == ("PROHIBITED_CONTENT", "gambling")


def test_filter_evasion_is_refused(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    error = error_of(send(local_stack, location_id, "Online c4s1n0 bonus tonight"))
    assert (error["code"], error["category"]) == ("FILTER_EVASION", "gambling")
    error = error_of(send(local_stack, location_id, "Big savings this week. Txt NOMORE to quit"))
    assert (error["code"], error["category"]) == ("FILTER_EVASION", "opt_out_phrasing")


def test_a_fourth_number_with_a_near_identical_body_is_snowshoeing(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    template = "Hi {name}, your cleaning at Bright Smiles is booked for {time}. Reply if you need to move it."
    for sender, (name, time) in zip(
        NUMBERS[:3], [("Ann", "9:00"), ("Bob", "10:30"), ("Cy", "2pm")], strict=True
    ):
        accepted = send(local_stack, location_id, template.format(name=name, time=time), sender)
        assert accepted.status_code == 202, accepted.text
    error = error_of(send(local_stack, location_id, template.format(name="Dee", time="4:15"), NUMBERS[3]))
    assert error["code"] == "SNOWSHOEING" and error["max_numbers"] == 3


def test_a_public_shortener_is_a_warning_and_the_message_is_delivered(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    accepted = send(local_stack, location_id, "Your receipt is ready: https://bit.ly/3xYz")
    assert accepted.status_code == 202, accepted.text
    answer = accepted.json()
    assert [(w["code"], w["domain"]) for w in answer["warnings"]] == [("PUBLIC_URL_SHORTENER", "bit.ly")]

    assert final_message(local_stack, answer["message_id"])["status"] == "delivered"
