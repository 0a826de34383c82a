"""10DLC registration over HTTP on the local stack (docs/registration.md): register,
fail and correct, approve, assign numbers, and read it all back from GET location."""

import sys
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import LocalStack, create_location, final_message, register_10dlc, sending_numbers
from tests.registration_bodies import brand_body, campaign_body

FROM = "+12025550100"


@pytest.fixture(autouse=True)
def own_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's location sends from a number of its own (one location per number)."""
    monkeypatch.setattr(sys.modules[__name__], "FROM", sending_numbers()[0])


def new_location(stack: LocalStack) -> str:
    return create_location(stack, [FROM], created_at=datetime.now(UTC).isoformat())


def test_a_brand_and_campaign_are_registered_corrected_and_approved(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    base = f"/v1/locations/{location_id}"

    brand = local_stack.call("PUT", f"{base}/brand", brand_body(ein="123456789"))
    assert brand.status_code == 200 and brand.json()["state"] == "pending", brand.text
    locked = local_stack.call("PUT", f"{base}/brand", brand_body())
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "REGISTRATION_LOCKED"

    failed = local_stack.call(
        "PUT", f"{base}/brand/decision", {"state": "failed", "reasons": ["Website does not match"]}
    )
    assert failed.status_code == 200, failed.text
    shown = local_stack.call("GET", base).json()["brand"]
    assert (shown["state"], shown["reasons"]) == ("failed", ["Website does not match"])

    corrected = local_stack.call(
        "PUT", f"{base}/brand", brand_body(website="https://brightsmiles.example/dc")
    )
    assert corrected.status_code == 200 and corrected.json()["state"] == "pending", corrected.text
    approved = local_stack.call("PUT", f"{base}/brand/decision", {"state": "approved"})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"

    campaign = local_stack.call("PUT", f"{base}/campaign", campaign_body([]))
    assert campaign.status_code == 200 and campaign.json()["state"] == "pending", campaign.text
    decided = local_stack.call("PUT", f"{base}/campaign/decision", {"state": "approved"})
    assert decided.status_code == 200, decided.text
    numbers = local_stack.call("PUT", f"{base}/campaign/numbers", {"numbers": [FROM]})
    assert numbers.status_code == 200 and numbers.json()["numbers"] == [FROM], numbers.text

    location = local_stack.call("GET", base).json()
    assert location["brand"]["state"] == "approved" and location["brand"]["reasons"] == []
    assert [change["state"] for change in location["brand"]["history"]] == [
        "pending",
        "failed",
        "pending",
        "approved",
    ]
    assert location["campaign"]["state"] == "approved" and location["campaign"]["numbers"] == [FROM]
    assert location["volume_cap"] is None


def test_a_registered_low_volume_location_sends_to_a_us_number(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    location = register_10dlc(local_stack, location_id, [FROM], path="low_volume")
    assert location["brand"]["state"] == location["campaign"]["state"] == "approved"
    assert location["campaign"]["numbers"] == [FROM]
    assert location["volume_cap"] == {"limit": 6000, "segments_today": 0, "remaining": 6000}

    to = "+12025550143"
    consent = local_stack.call(
        "PUT",
        f"/v1/locations/{location_id}/contacts/{to.replace('+', '%2B')}/consent",
        {"source": "web_form", "evidence": "checkbox"},
    )
    assert consent.status_code == 200, consent.text
    accepted = local_stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": FROM,
            "to": to,
            "body": "Your visit is at 9.",
            "kind": "workflow",
        },
    )
    assert accepted.status_code == 202, accepted.text
    assert final_message(local_stack, accepted.json()["message_id"])["status"] == "delivered"


def test_an_invalid_brand_is_answered_400_over_http(local_stack: LocalStack) -> None:
    location_id = new_location(local_stack)
    answer = local_stack.call("PUT", f"/v1/locations/{location_id}/brand", brand_body(ein="12-34"))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
    assert [problem["field"] for problem in answer.json()["error"]["fields"]] == ["ein"]
