"""From a NANP number to its region, states and time zones, with the table the layer ships."""

import json
from pathlib import Path

from smsgate.policy.numbering import UNKNOWN, US_ZONES, place_of_number, table_source

TABLE = Path(__file__).resolve().parents[2] / "layers" / "smsgate" / "smsgate" / "data" / "nanp.json"


def test_a_number_of_a_one_zone_area_code() -> None:
    place = place_of_number("+13055550123")  # Miami

    assert (place.region, place.states, place.time_zones) == ("US", ("FL",), ("America/New_York",))


def test_an_area_code_across_two_zones_names_both() -> None:
    assert set(place_of_number("+18505550123").time_zones) == {"America/Chicago", "America/New_York"}
    assert place_of_number("+18505550123").states == ("FL",)


def test_a_finer_prefix_narrows_the_area_codes_zones() -> None:
    # 208 (Idaho) spans Mountain and Pacific time; the table knows 208-201 is Mountain.
    assert len(place_of_number("+12085550123").time_zones) > 1
    assert place_of_number("+12082010123").time_zones == ("America/Denver",)


def test_canada_and_the_caribbean() -> None:
    toronto = place_of_number("+14165550123")
    jamaica = place_of_number("+18765550123")

    assert (toronto.region, toronto.states, toronto.time_zones) == ("CA", ("ON",), ("America/Toronto",))
    assert (jamaica.region, jamaica.states, jamaica.time_zones) == ("JM", (), ("America/Jamaica",))


def test_outside_the_nanp_or_an_unknown_area_code() -> None:
    assert place_of_number("+447700900123") == UNKNOWN
    assert place_of_number("+1212555") == UNKNOWN
    assert place_of_number("+19995550123").time_zones == US_ZONES


def test_the_shipped_table_names_its_source_and_covers_every_us_state() -> None:
    table = json.loads(TABLE.read_text())
    states = {
        state for area in table["area_codes"].values() if area["region"] == "US" for state in area["states"]
    }

    assert table_source().startswith("phonenumbers ")
    assert len(states) == 51  # 50 states and DC
