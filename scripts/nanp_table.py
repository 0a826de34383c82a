"""Write layers/smsgate/smsgate/data/nanp.json: NANP area codes to region, states and time zones.

The layer ships `phonenumberslite`, which has no time zone or geocoder data. This script reads
both from the full `phonenumbers` package, once, and writes the small table smsgate needs
(docs/quiet-hours.md#from-a-number-to-time-zones). Run it in a throwaway environment:

    python -m venv /tmp/pn && /tmp/pn/bin/pip install phonenumbers==<the lock's phonenumberslite>
    /tmp/pn/bin/python scripts/nanp_table.py

and commit the JSON it writes with the version it names.
"""

import json
import re
from collections import defaultdict
from pathlib import Path

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA
from phonenumbers.tzdata import TIMEZONE_DATA

OUT = Path(__file__).resolve().parents[1] / "layers" / "smsgate" / "smsgate" / "data" / "nanp.json"

US_STATES = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington State": "WA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Washington D.C.": "DC",
    "District of Columbia": "DC",
}
CA_PROVINCES = {
    "Alberta": "AB",
    "British Columbia": "BC",
    "British Colombia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Nova Scotia": "NS",
    "Prince Edward Island": "PE",
    "Ontario": "ON",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Northwest Territories": "NT",
    "Nunavut": "NU",
    "Yukon": "YT",
}
NAMES = {**US_STATES, **CA_PROVINCES}
CODES = set(NAMES.values())
CITY_STATE = re.compile(r",\s*([A-Z]{2})$")


def subdivisions(description: str) -> set[str]:
    """`New Jersey`, `Boise, ID`, `Nova Scotia/Prince Edward Island` → their two-letter codes."""
    found = CITY_STATE.search(description)
    if found and found.group(1) in CODES:
        return {found.group(1)}
    return {NAMES[part.strip()] for part in description.split("/") if part.strip() in NAMES}


def region_of(area_code: str) -> str | None:
    number = phonenumbers.parse(f"+1{area_code}2345678")
    return phonenumbers.region_code_for_number(number)


def main() -> None:
    zones_by_prefix = {key[1:]: sorted(value) for key, value in TIMEZONE_DATA.items() if key.startswith("1")}
    states: dict[str, set[str]] = defaultdict(set)
    for key, languages in GEOCODE_DATA.items():
        if key.startswith("1") and len(key) >= 4 and "en" in languages:
            states[key[1:4]] |= subdivisions(languages["en"])
    area_codes: dict[str, dict[str, object]] = {}
    for area_code in sorted({prefix[:3] for prefix in zones_by_prefix if len(prefix) >= 3}):
        under = [zones for prefix, zones in zones_by_prefix.items() if prefix.startswith(area_code)]
        region = region_of(area_code)
        if region is None:
            continue
        area_codes[area_code] = {
            "region": region,
            "states": sorted(states.get(area_code, set())) if region in ("US", "CA") else [],
            # Every zone any number of the area code may be in: a lookup that finds no longer
            # prefix waits for all of them.
            "zones": sorted({zone for zones in under for zone in zones}),
        }
    prefixes = {
        prefix: zones
        for prefix, zones in sorted(zones_by_prefix.items())
        if len(prefix) > 3 and zones != area_codes.get(prefix[:3], {}).get("zones")
    }
    table = {
        "source": f"phonenumbers {phonenumbers.__version__}: timezone and geocoder data",
        "area_codes": area_codes,
        "prefixes": prefixes,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(table, indent=0, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"{len(area_codes)} area codes, {len(prefixes)} finer prefixes -> {OUT}")


if __name__ == "__main__":
    main()
