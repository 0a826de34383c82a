"""E.164 phone numbers, parsed and normalised by `phonenumbers` (STYLE rule 6).

`phonenumbers` is imported by the first number parsed, not with this module: a handler that
only reads what smsgate stored (the dispatcher, the audit) never pays its import (≈20 ms of
cold start with its metadata modules; README, Performance).
"""

import re
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

# E.164 as written: '+', then the country code and number, 2 to 15 digits, the first not 0.
# Nothing else: no spaces, dashes, brackets or letters (docs/api.md#phone-numbers).
E164_PATTERN = r"^\+[1-9][0-9]{1,14}$"
_E164 = re.compile(E164_PATTERN)
_NOT_E164 = "is not an E.164 number ('+', then 2 to 15 digits, the first not 0)"
_NOT_POSSIBLE = "is not a possible phone number for its country code"


def normalise_e164(value: str) -> str:
    """The E.164 form of a number a carrier sent in any international notation
    ("+1 (202) 555-0143"); ValueError when it is not a possible international number. For what
    carriers send: a reply is never dropped for its notation."""
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError("must be an E.164 number starting with '+' and the country code")
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_NOT_POSSIBLE) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(_NOT_POSSIBLE)
    e164: str = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164


def strict_e164(value: str) -> str:
    """`value` when it is written in E.164 and possible for its country code; ValueError
    otherwise, whose message shows the E.164 form when the value can be read as a number. For
    what callers of the API send: a number is not silently rewritten into another."""
    if not _E164.fullmatch(value):
        suggestion = _readable_as(value)
        raise ValueError(f"{_NOT_E164}; did you mean {suggestion}?" if suggestion else _NOT_E164)
    return normalise_e164(value)


def _readable_as(value: str) -> str | None:
    """The E.164 form of a number written another way ("+1 (416) 225-5669", "+1416CALLNOW"),
    None when it cannot be read as a possible international number."""
    if len(value) > 40:
        return None
    try:
        e164 = normalise_e164(value)
    except ValueError:
        return None
    return e164 if _E164.fullmatch(e164) else None


def region_of(e164: str) -> str | None:
    """The ISO region of a number ('US', 'PR', 'CA', …): the region that claims it as valid, or
    for a +1 number no region claims (an unassigned exchange, a fictional 555 number) the one
    whose area codes match; None when neither places it."""
    import phonenumbers

    parsed = phonenumbers.parse(e164, None)
    region: str | None = phonenumbers.region_code_for_number(parsed)
    if region is not None or parsed.country_code != 1:
        return region
    national = phonenumbers.national_significant_number(parsed)
    for candidate in phonenumbers.region_codes_for_country_code(1):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(candidate)
        area_codes = metadata.leading_digits if metadata is not None else None
        if area_codes and re.match(f"(?:{area_codes})", national):
            return str(candidate)
    return None


def is_region(code: str) -> bool:
    """Whether `code` is an ISO region `phonenumbers` numbers ('US', 'CA', 'GB', …)."""
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS


def mask_phone(e164: str) -> str:
    """What logs may show of a number: country code and last two digits."""
    if len(e164) <= 4:
        return "***"
    return f"{e164[:2]}{'*' * (len(e164) - 4)}{e164[-2:]}"


E164 = Annotated[str, AfterValidator(normalise_e164)]
"""A number from a carrier's payload, in any international notation, stored in E.164."""

StrictE164 = Annotated[
    str,
    AfterValidator(strict_e164),
    # The document states the form; the validator gives the message (with the E.164 form when it
    # can read the number) that a bare pattern mismatch would not.
    WithJsonSchema({"type": "string", "pattern": E164_PATTERN, "examples": ["+12025550143"]}),
]
"""A number in a request to the API: E.164 as written, nothing else (docs/api.md#phone-numbers)."""
