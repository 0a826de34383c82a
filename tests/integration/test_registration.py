"""10DLC registration through the send_gate handler under moto (docs/registration.md): brand and campaign
states, the one-submission rule, resubmission after failure, validation, the location answer, campaigns
without numbers, the gate row and the low-volume segment cap (service level until the gate calls it)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.dal import counters
from smsgate.dal.locations import require_location
from smsgate.errors import SmsgateError
from smsgate.models.location_views import VolumeCapView
from smsgate.policy.limits import counter_day
from smsgate.policy.segments import count_segments
from smsgate.reasons import ReasonCode
from smsgate.services import registration
from tests.integration.conftest import ApiCall, register_10dlc
from tests.registration_bodies import brand_body, campaign_body

FROM = "+12025550100"
OTHER = "+12025550101"
BASE = "/v1/locations/loc-1"
NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def api(stack: Any, send_gate: ApiCall) -> ApiCall:
    status, answer, _ = send_gate("PUT", BASE, {"name": "Bright Smiles", "numbers": [FROM, OTHER]})
    assert status == 201, answer
    return send_gate


def put(api: ApiCall, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, answer, _ = api("PUT", BASE + path, body)
    return status, answer


def location(api: ApiCall) -> dict[str, Any]:
    status, answer, _ = api("GET", BASE)
    assert status == 200, answer
    return answer


def error_code(answer: dict[str, Any]) -> str:
    return str(answer["error"]["code"])


# --- brand -------------------------------------------------------------------------------------


def test_a_brand_goes_from_submission_to_approval_and_is_then_locked(api: ApiCall) -> None:
    assert location(api)["brand"] is None
    status, brand = put(api, "/brand", brand_body())
    assert status == 200, brand
    assert brand["state"] == "pending" and brand["reasons"] == [] and brand["submitted_at"]
    assert brand["details"]["ein"] == "123456789"
    assert location(api)["brand"]["state"] == "pending"

    status, answer = put(api, "/brand", brand_body(legal_name="Other Name LLC"))
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    assert answer["error"]["state"] == "pending"

    status, brand = put(api, "/brand/decision", {"state": "approved"})
    assert status == 200 and brand["state"] == "approved" and brand["decided_at"]
    assert [change["state"] for change in brand["history"]] == ["pending", "approved"]

    status, answer = put(api, "/brand", brand_body())
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    status, answer = put(api, "/brand/decision", {"state": "failed", "reasons": ["late"]})
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    shown = location(api)["brand"]
    assert shown["state"] == "approved" and shown["details"]["legal_name"] == "Bright Smiles Dental LLC"


def test_a_failed_brand_shows_its_reasons_and_is_corrected_and_resubmitted(api: ApiCall) -> None:
    put(api, "/brand", brand_body(legal_name="Bright Smile"))
    reasons = ["Legal name does not match the EIN record", "Website unreachable"]
    status, brand = put(api, "/brand/decision", {"state": "failed", "reasons": reasons})
    assert status == 200 and brand["state"] == "failed"
    shown = location(api)["brand"]
    assert shown["state"] == "failed" and shown["reasons"] == reasons

    status, brand = put(api, "/brand", brand_body(legal_name="Bright Smiles Dental LLC"))
    assert status == 200 and brand["state"] == "pending" and brand["reasons"] == []
    assert brand["details"]["legal_name"] == "Bright Smiles Dental LLC"
    assert [(change["state"], change["reasons"]) for change in brand["history"]] == [
        ("pending", []),
        ("failed", reasons),
        ("pending", []),
    ]
    status, answer = put(api, "/brand", brand_body())
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    status, brand = put(api, "/brand/decision", {"state": "approved"})
    assert status == 200 and location(api)["brand"]["state"] == "approved"


def test_a_draft_is_edited_freely_until_it_is_submitted(api: ApiCall) -> None:
    status, brand = put(api, "/brand", brand_body(submit=False, legal_name="Draft One"))
    assert status == 200 and brand["state"] == "draft" and brand["submitted_at"] is None
    status, brand = put(api, "/brand", brand_body(submit=False, legal_name="Draft Two"))
    assert status == 200 and brand["state"] == "draft" and brand["details"]["legal_name"] == "Draft Two"
    status, answer = put(api, "/brand/decision", {"state": "approved"})
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    status, brand = put(api, "/brand", brand_body())
    assert status == 200 and brand["state"] == "pending"
    assert [change["state"] for change in brand["history"]] == ["draft", "pending"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ein": "12-345678"}, "ein"),
        ({"ein": "12345678a"}, "ein"),
        ({"website": "not a url"}, "website"),
        ({"entity_type": "SOLE_PROPRIETOR"}, "entity_type"),
        ({"vertical": "DENTISTRY"}, "vertical"),
        ({"path": "express"}, "path"),
        ({"contact": {"name": "Dana", "email": "dana-at-example", "phone": "+12025550199"}}, "contact.email"),
        ({"contact": {"email": "dana@example.com", "phone": "+12025550199"}}, "contact.name"),
        ({"contact": {"name": "Dana", "email": "dana@example.com", "phone": "2025550199"}}, "contact.phone"),
        ({"address": {"street": "1 Main St", "city": "Washington", "state": "DC"}}, "address.postal_code"),
        ({"legal_name": ""}, "legal_name"),
        ({"nickname": "BSD"}, "nickname"),
    ],
)
def test_an_invalid_brand_is_answered_400_with_the_field(
    api: ApiCall, changes: dict[str, Any], field: str
) -> None:
    status, answer = put(api, "/brand", brand_body(**changes))
    assert (status, error_code(answer)) == (400, "VALIDATION_ERROR"), answer
    assert field in [problem["field"] for problem in answer["error"]["fields"]], answer
    assert field in answer["error"]["message"]
    assert location(api)["brand"] is None


def test_an_ein_is_accepted_with_or_without_its_dash_and_stored_as_nine_digits(api: ApiCall) -> None:
    status, brand = put(api, "/brand", brand_body(ein="987654321", submit=False))
    assert status == 200 and brand["details"]["ein"] == "987654321"
    status, brand = put(api, "/brand", brand_body(ein="98-7654321", submit=False))
    assert status == 200 and brand["details"]["ein"] == "987654321"


def test_registration_of_an_unknown_location_is_404(api: ApiCall) -> None:
    status, answer, _ = api("PUT", "/v1/locations/nowhere/brand", brand_body())
    assert (status, error_code(answer)) == (404, "LOCATION_NOT_FOUND")
    status, answer, _ = api("PUT", "/v1/locations/nowhere/campaign/decision", {"state": "approved"})
    assert (status, error_code(answer)) == (404, "LOCATION_NOT_FOUND")


# --- campaign ----------------------------------------------------------------------------------


def test_a_campaign_needs_a_submitted_brand_and_the_locations_own_numbers(api: ApiCall) -> None:
    status, answer = put(api, "/campaign", campaign_body([FROM]))
    assert (status, error_code(answer)) == (422, "NOT_REGISTERED")
    assert "brand" in answer["error"]["message"]
    put(api, "/brand", brand_body())
    status, answer = put(api, "/campaign", campaign_body([FROM, "+12025550177"]))
    assert (status, error_code(answer)) == (422, "NUMBER_NOT_OWNED")
    assert answer["error"]["numbers"] == ["+12025550177"]
    status, campaign = put(api, "/campaign", campaign_body([FROM]))
    assert status == 200 and campaign["state"] == "pending" and campaign["numbers"] == [FROM]


def test_a_campaign_goes_through_every_state(api: ApiCall) -> None:
    put(api, "/brand", brand_body())
    status, campaign = put(api, "/campaign", campaign_body([FROM], submit=False))
    assert status == 200 and campaign["state"] == "draft"
    status, campaign = put(api, "/campaign", campaign_body([FROM]))
    assert status == 200 and campaign["state"] == "pending"
    status, answer = put(api, "/campaign", campaign_body([FROM], use_case="MARKETING"))
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")

    reasons = ["Sample messages do not match the use case"]
    status, campaign = put(api, "/campaign/decision", {"state": "failed", "reasons": reasons})
    assert status == 200 and campaign["state"] == "failed"
    assert location(api)["campaign"]["reasons"] == reasons

    status, campaign = put(api, "/campaign", campaign_body([FROM], use_case="MIXED"))
    assert status == 200 and campaign["state"] == "pending" and campaign["details"]["use_case"] == "MIXED"
    status, campaign = put(api, "/campaign/decision", {"state": "approved"})
    assert status == 200 and campaign["state"] == "approved"
    status, answer = put(api, "/campaign", campaign_body([FROM]))
    assert (status, error_code(answer)) == (409, "REGISTRATION_LOCKED")
    assert [change["state"] for change in location(api)["campaign"]["history"]] == [
        "draft",
        "pending",
        "failed",
        "pending",
        "approved",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"use_case": "NEWSLETTER"}, "use_case"),
        ({"sample_messages": ["Bright Smiles: your cleaning is tomorrow at 9:00."]}, "sample_messages"),
        ({"sample_messages": ["short", "Bright Smiles: please confirm your visit."]}, "sample_messages.0"),
        ({"description": "Reminders."}, "description"),
        ({"opt_in_description": ""}, "opt_in_description"),
        ({"opt_in_method": "bought_list"}, "opt_in_method"),
        ({"has_links": "yes"}, "has_links"),
        ({"numbers": ["+1202"]}, "numbers.0"),
    ],
)
def test_an_invalid_campaign_is_answered_400_with_the_field(
    api: ApiCall, changes: dict[str, Any], field: str
) -> None:
    put(api, "/brand", brand_body())
    body = campaign_body([FROM])
    del body["has_phone_numbers"]
    status, answer = put(api, "/campaign", {**body, "has_phone_numbers": False, **changes})
    assert (status, error_code(answer)) == (400, "VALIDATION_ERROR"), answer
    assert field in [problem["field"] for problem in answer["error"]["fields"]], answer


def test_a_failed_decision_needs_its_reasons(api: ApiCall) -> None:
    put(api, "/brand", brand_body())
    status, answer = put(api, "/brand/decision", {"state": "failed"})
    assert (status, error_code(answer)) == (400, "VALIDATION_ERROR")
    status, answer = put(api, "/brand/decision", {"state": "rejected", "reasons": ["x"]})
    assert (status, error_code(answer)) == (400, "VALIDATION_ERROR")
    assert location(api)["brand"]["state"] == "pending"


def test_approved_campaigns_without_numbers_are_listed_until_numbers_are_assigned(
    stack: Any, send_gate: ApiCall
) -> None:
    # A number belongs to one location at most: each has its own.
    own = {"loc-a": "+12025550181", "loc-b": FROM, "loc-c": "+12025550183"}
    for location_id in ("loc-a", "loc-b", "loc-c"):
        status, _, _ = send_gate(
            "PUT", f"/v1/locations/{location_id}", {"name": location_id, "numbers": [own[location_id]]}
        )
        assert status == 201
        assert send_gate("PUT", f"/v1/locations/{location_id}/brand", brand_body())[0] == 200
        assert (
            send_gate("PUT", f"/v1/locations/{location_id}/brand/decision", {"state": "approved"})[0] == 200
        )
    # loc-a: approved, no numbers; loc-b: approved with a number; loc-c: pending, no numbers.
    for location_id, numbers in (("loc-a", []), ("loc-b", [FROM]), ("loc-c", [])):
        assert send_gate("PUT", f"/v1/locations/{location_id}/campaign", campaign_body(numbers))[0] == 200
    for location_id in ("loc-a", "loc-b"):
        assert (
            send_gate("PUT", f"/v1/locations/{location_id}/campaign/decision", {"state": "approved"})[0]
            == 200
        )
    assert registration.campaigns_without_numbers() == ["loc-a"]

    status, campaign, _ = send_gate(
        "PUT", "/v1/locations/loc-a/campaign/numbers", {"numbers": [own["loc-a"]]}
    )
    assert status == 200 and campaign["numbers"] == [own["loc-a"]] and campaign["state"] == "approved"
    status, campaign, _ = send_gate("PUT", "/v1/locations/loc-b/campaign/numbers", {"numbers": []})
    assert status == 200 and campaign["numbers"] == []
    assert registration.campaigns_without_numbers() == ["loc-b"]

    status, answer, _ = send_gate(
        "PUT", "/v1/locations/loc-b/campaign/numbers", {"numbers": ["+12025550177"]}
    )
    assert (status, error_code(answer)) == (422, "NUMBER_NOT_OWNED")
    status, _, _ = send_gate("PUT", "/v1/locations/loc-b", {"name": "loc-b", "numbers": []})
    status, answer, _ = send_gate("PUT", "/v1/locations/nowhere/campaign/numbers", {"numbers": []})
    assert (status, error_code(answer)) == (404, "LOCATION_NOT_FOUND")


def test_numbers_cannot_be_assigned_before_there_is_a_campaign(api: ApiCall) -> None:
    status, answer = put(api, "/campaign/numbers", {"numbers": [FROM]})
    assert (status, error_code(answer)) == (422, "NOT_REGISTERED")


# --- the gate row (docs/policy.md#10dlc-registration) -------------------------------------------

US = "+12025550143"
PUERTO_RICO = "+17875550143"
GUAM = "+16715550143"
AMERICAN_SAMOA = "+16845550143"
NON_US = ("+447700900123", "+14165550143", "+33612345678")


@pytest.mark.parametrize("to", [US, PUERTO_RICO, GUAM, AMERICAN_SAMOA, "+13405550143", "+16705550143"])
def test_us_and_territory_destinations_need_registration(api: ApiCall, to: str) -> None:
    refusal = registration.gate_refusal(require_location("loc-1"), FROM, to)
    assert refusal is not None and refusal.code == ReasonCode.NOT_REGISTERED
    assert refusal.details["missing"] == ["brand", "campaign", "number"]
    assert "brand is not registered" in refusal.message

    register_10dlc(api, "loc-1", [FROM])
    assert registration.gate_refusal(require_location("loc-1"), FROM, to) is None
    refusal = registration.gate_refusal(require_location("loc-1"), OTHER, to)
    assert refusal is not None and refusal.details["missing"] == ["number"]
    assert "not assigned to the campaign" in refusal.message


@pytest.mark.parametrize("to", NON_US)
def test_other_destinations_need_no_registration(api: ApiCall, to: str) -> None:
    assert registration.gate_refusal(require_location("loc-1"), FROM, to) is None


def test_the_gate_says_what_is_missing_at_each_step(api: ApiCall) -> None:
    def missing() -> tuple[list[str], str]:
        refusal = registration.gate_refusal(require_location("loc-1"), FROM, US)
        return (refusal.details["missing"], refusal.message) if refusal else ([], "")

    put(api, "/brand", brand_body())
    assert missing()[0] == ["brand", "campaign", "number"] and "brand is pending" in missing()[1]
    put(api, "/brand/decision", {"state": "approved"})
    put(api, "/campaign", campaign_body([]))
    assert missing()[0] == ["campaign", "number"] and "campaign is pending" in missing()[1]
    put(api, "/campaign/decision", {"state": "failed", "reasons": ["opt-in unclear"]})
    assert "campaign failed registration" in missing()[1]
    put(api, "/campaign", campaign_body([]))
    put(api, "/campaign/decision", {"state": "approved"})
    assert missing()[0] == ["number"]
    put(api, "/campaign/numbers", {"numbers": [FROM]})
    assert missing() == ([], "")


# --- the low-volume cap (docs/policy.md#low-volume-cap) ------------------------------------------


def _segments(characters: int) -> int:
    return count_segments("x" * characters)[1]


def test_a_low_volume_brand_is_capped_at_6000_segments_a_day_counting_every_segment(api: ApiCall) -> None:
    register_10dlc(api, "loc-1", [FROM], path="low_volume")
    capped = require_location("loc-1")
    three = _segments(400)  # 400 GSM-7 characters: 3 segments of 153
    assert three == 3
    key = counters.volume_key("loc-1", counter_day(NOW))

    reservation = registration.reserve_volume(capped, [three] * 1999, NOW)
    assert (reservation.accepted, reservation.reserved) == (1999, 5997)
    assert counters.used(key) == 5997
    # 3 segments left: a 4-segment message does not fit and takes nothing; a 3-segment one fits.
    four = registration.reserve_volume(capped, [_segments(600)], NOW)
    assert (four.accepted, four.reserved) == (0, 0) and counters.used(key) == 5997
    fits = registration.reserve_volume(capped, [three], NOW)
    assert fits.accepted == 1 and counters.used(key) == 6000
    assert registration.reserve_volume(capped, [1], NOW).accepted == 0
    assert counters.used(key) == 6000

    refusal = registration.volume_refusal(capped, NOW)
    assert (refusal.status, refusal.code, refusal.message) == (
        429,
        ReasonCode.VOLUME_CAP_REACHED,
        "You have exceeded your SMS sending limit.",
    )
    assert refusal.retry_after == 9 * 3600 + 1 and refusal.details["limit"] == 6000
    assert registration.volume_cap_view(capped, NOW) == VolumeCapView(
        limit=6000, segments_today=6000, remaining=0
    )

    # A message that was not queued gives its segments back.
    fits.release()
    assert counters.used(key) == 5997
    # The next counter day starts from zero.
    tomorrow = datetime(2025, 6, 3, 0, 0, 2, tzinfo=UTC)
    assert registration.reserve_volume(capped, [three], tomorrow).accepted == 1


def test_a_bulk_takes_the_messages_that_fit_in_order_and_never_splits_one(api: ApiCall) -> None:
    register_10dlc(api, "loc-1", [FROM], path="low_volume")
    capped = require_location("loc-1")
    registration.reserve_volume(capped, [5] * 1199, NOW)  # 5,995 used, 5 left
    reservation = registration.reserve_volume(capped, [2, 2, 2, 1], NOW)
    assert (reservation.accepted, reservation.reserved) == (2, 4)
    assert counters.used(counters.volume_key("loc-1", counter_day(NOW))) == 5999
    reservation.release(2)
    assert counters.used(counters.volume_key("loc-1", counter_day(NOW))) == 5997


def test_a_standard_brand_and_an_unregistered_location_are_not_capped(api: ApiCall) -> None:
    unregistered = require_location("loc-1")
    assert registration.reserve_volume(unregistered, [10] * 700, NOW).accepted == 700
    register_10dlc(api, "loc-1", [FROM], path="standard")
    standard = require_location("loc-1")
    assert registration.reserve_volume(standard, [10] * 700, NOW).accepted == 700
    assert counters.used(counters.volume_key("loc-1", counter_day(NOW))) == 0
    assert location(api)["volume_cap"] is None


def test_the_location_answer_shows_registration_and_volume(api: ApiCall) -> None:
    answer = register_10dlc(api, "loc-1", [FROM], path="low_volume")
    assert answer["brand"]["state"] == "approved" and answer["campaign"]["state"] == "approved"
    assert answer["campaign"]["numbers"] == [FROM]
    assert answer["brand"]["details"]["path"] == "low_volume"
    assert "revision" not in answer["brand"]
    assert answer["volume_cap"]["limit"] == 6000


def test_a_refusal_carries_the_code_the_api_maps(api: ApiCall) -> None:
    with pytest.raises(SmsgateError) as raised:
        registration.decide("loc-1", "brand", registration_decision(), NOW)
    assert raised.value.code == ReasonCode.REGISTRATION_LOCKED and raised.value.status == 409


def registration_decision() -> Any:
    from smsgate.models.registration import DecisionRequest

    return DecisionRequest(state="approved")


# --- through POST /v1/messages: row 4 and the low-volume cap in the live gate.


def _opt_in(api: ApiCall, phone: str) -> None:
    status, answer, _ = api(
        "PUT",
        f"{BASE}/contacts/{phone.replace('+', '%2B')}/consent",
        {"source": "web_form", "evidence": "form"},
    )
    assert status == 200, answer


def _send(api: ApiCall, to: str, body: str = "Your visit is tomorrow at 9.", sender: str = FROM) -> Any:
    return api(
        "POST",
        "/v1/messages",
        {"location_id": "loc-1", "from": sender, "to": to, "body": body, "kind": "conversation"},
    )


def test_a_registered_location_sends_to_us_and_territory_numbers(api: ApiCall) -> None:
    register_10dlc(api, "loc-1", [FROM])
    for to in (US, PUERTO_RICO, GUAM, NON_US[0]):
        _opt_in(api, to)
        status, answer, _ = _send(api, to)
        assert status == 202, (to, answer)


def test_the_gate_refuses_unregistered_us_and_territory_sends(api: ApiCall) -> None:
    for to in (US, PUERTO_RICO, GUAM, NON_US[0]):
        _opt_in(api, to)
    assert _send(api, NON_US[0])[0] == 202
    for to in (US, PUERTO_RICO, GUAM):
        status, answer, _ = _send(api, to)
        assert (status, error_code(answer)) == (422, "NOT_REGISTERED"), (to, answer)
        assert answer["error"]["missing"] == ["brand", "campaign", "number"]
    register_10dlc(api, "loc-1", [FROM])
    status, answer, _ = _send(api, US, sender=OTHER)
    assert (status, error_code(answer)) == (422, "NOT_REGISTERED") and answer["error"]["missing"] == [
        "number"
    ]
    assert _send(api, US)[0] == 202


def test_the_low_volume_cap_refuses_a_message_whose_segments_do_not_fit(api: ApiCall) -> None:
    register_10dlc(api, "loc-1", [FROM], path="low_volume")
    _opt_in(api, US)
    now = datetime.now(UTC)
    registration.reserve_volume(require_location("loc-1"), [5] * 1199, now)  # 5,995 of 6,000 used
    ten_segments = "x" * (153 * 10)
    status, answer, headers = _send(api, US, ten_segments)
    assert (status, error_code(answer)) == (429, "VOLUME_CAP_REACHED"), answer
    assert answer["error"]["message"] == "You have exceeded your SMS sending limit."
    assert int(headers["Retry-After"]) >= 1
    assert _send(api, US, "x" * (153 * 5))[0] == 202
    assert registration.volume_cap_view(require_location("loc-1"), now) == VolumeCapView(
        limit=6000, segments_today=6000, remaining=0
    )
    assert _send(api, US)[0] == 429


def test_a_bulk_sends_what_fits_under_the_cap_and_fails_the_rest(api: ApiCall) -> None:
    register_10dlc(api, "loc-1", [FROM], path="low_volume")
    recipients = [f"+1202555{index:04d}" for index in range(200, 204)]
    for phone in recipients:
        _opt_in(api, phone)
    now = datetime.now(UTC)
    registration.reserve_volume(require_location("loc-1"), [5] * 1199, now)  # 5 segments left
    body = "x" * (153 * 2)  # 2 segments each, as a conversation (never decorated)
    request = {
        "location_id": "loc-1",
        "from": FROM,
        "body": body,
        "kind": "conversation",
        "recipients": recipients,
    }
    status, preview, _ = api("POST", "/v1/messages/bulk", {**request, "preview": True})
    assert status == 200 and preview["accepted"] == 2, preview
    status, answer, _ = api("POST", "/v1/messages/bulk", request)
    assert status == 202 and answer["accepted"] == 2, answer
    assert answer["failed"] == [{"to": phone, "code": "VOLUME_CAP_REACHED"} for phone in recipients[2:]]
    assert registration.volume_cap_view(require_location("loc-1"), now) == VolumeCapView(
        limit=6000, segments_today=5999, remaining=1
    )
    status, usage, _ = api("GET", f"{BASE}/usage")
    assert usage["sent_today"] == 2


def test_the_carriers_rates_recorded_with_an_approval_travel_with_each_queued_message(
    api: ApiCall, stack: Any
) -> None:
    """The dispatcher paces by the campaign without reading it (docs/pacing.md#what-paces-a-message)."""
    import json

    import boto3

    put(api, "/brand", brand_body())
    put(api, "/brand/decision", {"state": "approved"})
    put(api, "/campaign", campaign_body([FROM]))
    status, answer = put(api, "/campaign/decision", {"state": "approved", "message_class": "Q"})
    assert status in (400, 422), answer
    status, campaign = put(
        api, "/campaign/decision", {"state": "approved", "message_class": "T", "number_mps": 2}
    )
    assert status == 200 and campaign["state"] == "approved"
    _opt_in(api, US)

    assert _send(api, US)[0] == 202

    queue = stack.outputs["OutboundQueueUrl"]
    [queued] = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(queued["Body"])
    assert (record["campaign_id"], record["message_class"], record["number_mps"]) == ("loc-1", "T", 2.0)
