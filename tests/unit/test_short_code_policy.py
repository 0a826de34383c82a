"""Short codes as a location's senders, as pure policy (docs/carriers.md#short-codes): owned only
when an operator recorded them, exempt from 10DLC, bound to their program's country; and what the
request models let through."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from smsgate.models.entities import Location, ShortCode
from smsgate.models.location_requests import PutLocationRequest, ShortCodesRequest
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.policy import gate
from smsgate.policy import registration as policy
from smsgate.reasons import ReasonCode

LONG = "+12025550100"
US_SHORT = ShortCode(code="55123", country="US", keyword="BAKERY")
CA_SHORT = ShortCode(code="246810", country="CA")


def location(*short_codes: ShortCode) -> Location:
    """No brand, no campaign: a long number could send to no US destination."""
    return Location(
        location_id="loc",
        name="Bakery",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        numbers=(LONG,),
        short_codes=short_codes,
    )


def test_a_recorded_short_code_is_the_locations_sender_and_no_other_is() -> None:
    bakery = location(US_SHORT)

    assert gate.check_sender(bakery, "55123") is None
    assert gate.check_sender(bakery, LONG) is None
    refused = gate.check_sender(bakery, "66777")
    assert refused is not None and refused.code == ReasonCode.NUMBER_NOT_OWNED
    assert policy.short_code_of(bakery, "55123") == US_SHORT
    assert policy.short_code_of(bakery, LONG) is None


@pytest.mark.parametrize(
    "to",
    [
        "+12025550143",  # US
        "+17875550143",  # Puerto Rico: a US program's carriers serve the territories
        "+16715550143",  # Guam
        "+12015550123",  # a +1 number no region claims counts as US
    ],
)
def test_a_us_short_code_reaches_the_us_and_its_territories_without_10dlc(to: str) -> None:
    assert policy.check_registration(location(US_SHORT), "55123", to) is None
    # The long number of the same location needs the registration for the same destination.
    refused = policy.check_registration(location(US_SHORT), LONG, to)
    assert refused is not None and refused.code == ReasonCode.NOT_REGISTERED


@pytest.mark.parametrize(
    ("short_code", "to"),
    [(US_SHORT, "+14165550143"), (US_SHORT, "+447911120143"), (CA_SHORT, "+12025550143")],
)
def test_a_short_code_is_refused_outside_its_country(short_code: ShortCode, to: str) -> None:
    refused = policy.check_registration(location(short_code), short_code.code, to)

    assert refused is not None and refused.code == ReasonCode.NOT_REGISTERED
    assert refused.details["short_code_country"] == short_code.country
    assert refused.details["missing"] == ["number"]
    assert f"approved for destinations in {short_code.country} only" in refused.message


def test_a_canadian_short_code_reaches_canada() -> None:
    assert policy.check_registration(location(CA_SHORT), CA_SHORT.code, "+14165550143") is None


@pytest.mark.parametrize(
    ("code", "country", "problem"),
    [
        ("55123", "US", None),
        ("246810", "CA", None),
        ("123", "GB", None),  # 3 to 8 digits elsewhere
        ("1234", "US", "5 or 6 digits"),
        ("1234567", "CA", "5 or 6 digits"),
        ("55123", "ZZ", "not an ISO region"),
    ],
)
def test_which_short_codes_are_possible(code: str, country: str, problem: str | None) -> None:
    found = policy.short_code_problem(code, country)

    assert (found is None) if problem is None else (found is not None and problem in found)


def send_request(**fields: object) -> dict[str, object]:
    return {
        "location_id": "loc",
        "from": LONG,
        "to": "+12025550143",
        "body": "Hi",
        "kind": "workflow",
        **fields,
    }


def test_a_request_takes_a_short_code_as_sender_and_never_as_recipient() -> None:
    assert SendMessageRequest.model_validate(send_request(**{"from": "55123"})).from_number == "55123"
    assert BulkSendRequest.model_validate(
        {"location_id": "loc", "numbers": ["55123", LONG], "body": "Hi", "recipients": ["+12025550143"]}
    ).numbers == ["55123", LONG]

    for invalid in (
        lambda: SendMessageRequest.model_validate(send_request(to="55123")),
        lambda: BulkSendRequest.model_validate(
            {"location_id": "loc", "from": LONG, "body": "Hi", "recipients": ["+12025550143", "55123"]}
        ),
    ):
        with pytest.raises(ValidationError, match="carriers deliver no messages to short codes"):
            invalid()


def test_a_tenants_numbers_refuse_a_short_code_and_say_who_records_one() -> None:
    with pytest.raises(ValidationError, match="an operator records a location's approved short codes"):
        PutLocationRequest.model_validate({"name": "Bakery", "numbers": [LONG, "55123"]})


def test_a_number_that_is_neither_is_refused_as_before() -> None:
    with pytest.raises(ValidationError, match=r"is not an E\.164 number"):
        SendMessageRequest.model_validate(send_request(**{"from": "12"}))
    with pytest.raises(ValidationError, match=r"is not an E\.164 number"):
        SendMessageRequest.model_validate(send_request(to="0123"))


def test_the_short_codes_request_names_each_code_once() -> None:
    with pytest.raises(ValidationError, match="each short code once: 55123"):
        ShortCodesRequest.model_validate(
            {
                "short_codes": [
                    {"code": "55123", "country": "US"},
                    {"code": "55123", "country": "US", "keyword": "X"},
                ]
            }
        )
    assert ShortCodesRequest.model_validate({"short_codes": []}).short_codes == []
