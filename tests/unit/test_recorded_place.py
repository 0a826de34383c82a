"""A contact's recorded place (docs/quiet-hours.md#where-the-recipient-is): what the API accepts
as one, and how it places a recipient before the number does."""

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from smsgate.models.location_requests import ContactPlaceRequest
from smsgate.policy.quiet_hours import place_of_recipient

DC = "+12025550143"  # area code 202: Eastern time, the District of Columbia
UK = "+447700900143"


@dataclass(frozen=True)
class Recorded:
    time_zone: str | None = None
    state: str | None = None


def test_a_recorded_time_zone_and_state_replace_the_numbers() -> None:
    place = place_of_recipient(DC, Recorded("America/Los_Angeles", "CA"))

    assert (place.time_zones, place.states, place.source) == (("America/Los_Angeles",), ("CA",), "contact")


def test_a_recorded_state_alone_keeps_the_numbers_time_zone() -> None:
    place = place_of_recipient(DC, Recorded(state="FL"))

    assert (place.time_zones, place.states, place.source) == (("America/New_York",), ("FL",), "number")


def test_without_a_recorded_place_the_number_decides() -> None:
    assert place_of_recipient(DC) == place_of_recipient(DC, Recorded())
    assert place_of_recipient(DC).states == ("DC",)
    # A number outside the NANP has a place only when one is recorded.
    assert place_of_recipient(UK).time_zones == ()
    assert place_of_recipient(UK, Recorded("Europe/London")).time_zones == ("Europe/London",)


@pytest.mark.parametrize("name", ["America/Chicago", "Pacific/Honolulu", "America/Puerto_Rico", "UTC"])
def test_an_iana_time_zone_is_accepted(name: str) -> None:
    assert ContactPlaceRequest.model_validate({"time_zone": name}).time_zone == name


@pytest.mark.parametrize(
    "body",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": "america/chicago"},
        {"time_zone": "../../etc/passwd"},
        {"time_zone": ""},
        {"time_zone": 5},
        {"state": "ZZ"},
        {"state": "fl"},
        {"postal_code": "20001"},
    ],
)
def test_anything_else_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ContactPlaceRequest.model_validate(body)
