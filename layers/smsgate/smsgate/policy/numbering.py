"""From a North American number to where its owner may be: region, states and IANA time zones.

The table `data/nanp.json` ships in the layer; scripts/nanp_table.py writes it from the full
`phonenumbers` package, whose time zone and geocoder data the layer leaves out
(docs/quiet-hours.md#from-a-number-to-time-zones). The longest prefix of the number that the
table knows decides; an area code's own entry lists every zone any of its numbers may be in.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

NANP_PREFIX = "+1"
NANP_LENGTH = 12  # +1, then ten digits
# A +1 number whose area code the table does not know (a new overlay, say) may be anywhere in
# the United States: it waits until it is allowed in every one of these zones.
US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)


@dataclass(frozen=True)
class NumberPlace:
    region: str | None  # ISO 3166 code of the NANP country; None outside the NANP
    states: tuple[str, ...]  # US states or Canadian provinces (two letters)
    time_zones: tuple[str, ...]


UNKNOWN = NumberPlace(None, (), ())


@cache
def _table() -> dict[str, Any]:
    text = resources.files("smsgate").joinpath("data", "nanp.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def place_of_number(e164: str) -> NumberPlace:
    """Where the owner of `e164` may be, from the number alone."""
    if not e164.startswith(NANP_PREFIX) or len(e164) != NANP_LENGTH or not e164[1:].isdigit():
        return UNKNOWN
    national = e164[len(NANP_PREFIX) :]
    table = _table()
    area = table["area_codes"].get(national[:3])
    if area is None:
        return NumberPlace(None, (), US_ZONES)
    zones: list[str] = area["zones"]
    for length in range(len(national), 3, -1):
        finer = table["prefixes"].get(national[:length])
        if finer is not None:
            zones = finer
            break
    return NumberPlace(str(area["region"]), tuple(area["states"]), tuple(zones))


def table_source() -> str:
    """Which `phonenumbers` release the shipped table was written from."""
    return str(_table()["source"])
