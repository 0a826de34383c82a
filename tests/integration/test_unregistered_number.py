"""A carrier's "sending number not registered" (30034, 30032) marks the number unregistered: the
gate refuses US sends from it with NOT_REGISTERED until the operator records the campaign's
numbers again (docs/carrier-codes.md#unregistered-numbers)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.dal import messages
from smsgate.models.location_requests import ConsentRequest
from smsgate.models.requests import SendMessageRequest
from smsgate.reasons import ReasonCode
from smsgate.services import consent as consent_service
from smsgate.services import sending
from tests.integration.conftest import (
    CONTACT,
    LOCATION,
    NUMBER,
    ApiCall,
    Invoke,
    audit_counts,
    refusal_of,
    register_10dlc,
)
from tests.integration.test_status_callback import receipt_message, receive

US_CONTACT = "+12025550143"


@pytest.fixture
def status_callback(handler: Callable[[str], Invoke]) -> Invoke:
    return handler("status_callback")


def send(to: str = US_CONTACT) -> str:
    request = SendMessageRequest.model_validate(
        {
            "location_id": LOCATION,
            "from": NUMBER,
            "to": to,
            "body": "Your cleaning is tomorrow.",
            "kind": "workflow",
        }
    )
    return sending.send_message(request, datetime.now(UTC)).message_id


@pytest.mark.parametrize(("fmt", "code"), [("twilio", 30034), ("simulator", 30034), ("twilio", 30032)])
def test_an_unregistered_sender_is_refused_at_the_gate_until_its_numbers_are_recorded_again(
    status_callback: Any, stack: Any, location: Any, send_gate: ApiCall, fmt: str, code: int
) -> None:
    location()
    register_10dlc(send_gate, LOCATION, [NUMBER])
    for phone in (US_CONTACT, CONTACT):
        consent_service.record_consent(
            LOCATION, phone, ConsentRequest(source="web form"), "api", datetime.now(UTC)
        )
    first = send()

    receive(status_callback, receipt_message(fmt, first, "undelivered", code))

    message = messages.get_message(first)
    assert message is not None and (message.status, message.error_code) == ("undelivered", code)
    # It counts in the audit like any other error.
    assert audit_counts(stack)["undelivered"] == 1 and audit_counts(stack)[f"err_{code}"] == 1
    assert refusal_of(send) == ReasonCode.NOT_REGISTERED
    status, answer, _ = send_gate(
        "POST",
        "/v1/messages",
        {
            "location_id": LOCATION,
            "from": NUMBER,
            "to": US_CONTACT,
            "body": "Hello again",
            "kind": "workflow",
        },
    )
    assert (status, answer["error"]["code"]) == (422, "NOT_REGISTERED")
    assert "30034" in answer["error"]["message"]
    send(CONTACT)  # outside the US no registration is needed: the number still sends there
    status, shown, _ = send_gate("GET", f"/v1/locations/{LOCATION}")
    assert shown["campaign"]["unregistered_numbers"] == [NUMBER]

    status, _, _ = send_gate("PUT", f"/v1/locations/{LOCATION}/campaign/numbers", {"numbers": [NUMBER]})

    assert status == 200
    send()  # accepted again


def test_other_errors_leave_the_number_registered(
    status_callback: Any, location: Any, send_gate: ApiCall
) -> None:
    location()
    register_10dlc(send_gate, LOCATION, [NUMBER])
    consent_service.record_consent(
        LOCATION, US_CONTACT, ConsentRequest(source="web form"), "api", datetime.now(UTC)
    )
    first = send()

    receive(status_callback, receipt_message("twilio", first, "undelivered", 30007))

    send()
