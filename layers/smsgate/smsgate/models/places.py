"""Where a contact is, as a location records it: an IANA time zone and a US state
(docs/quiet-hours.md#where-the-recipient-is)."""

from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field

# The states, the District of Columbia and the territories 10DLC covers: the places whose
# calling-hours rules smsgate may apply (smsgate.policy.calling_hours).
UsState = Literal[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
]  # fmt: skip


@cache
def _known_zones() -> frozenset[str]:
    # The layer ships `tzdata`, which `available_timezones` reads where the runtime has no
    # system database (docs/quiet-hours.md#time-zone-data).
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """`name` when it is an IANA time zone `zoneinfo` knows, else ValueError."""
    if name not in _known_zones():
        raise ValueError("is not an IANA time zone name (such as America/Chicago)")
    return name


TimeZoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="An IANA time zone name, such as America/Chicago",
        examples=["America/Chicago"],
    ),
    AfterValidator(check_time_zone),
]
