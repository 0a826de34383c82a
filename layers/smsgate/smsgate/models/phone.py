"""E.164 phone numbers, parsed and normalised by `phonenumbers` (STYLE rule 6).

`phonenumbers` is imported by the first number parsed, not with this module: a handler that
only reads what smsgate stored (the dispatcher, the audit) never pays its import (≈20 ms of
cold start with its metadata modules; README, Performance).
"""

import re
from typing import Annotated

from pydantic import AfterValidator


def normalise_e164(value: str) -> str:
    """The E.164 form of `value`; ValueError when it is not a possible international number."""
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError("must be an E.164 number starting with '+' and the country code")
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not an E.164 number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("is not a possible phone number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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


def mask_phone(e164: str) -> str:
    """What logs may show of a number: country code and last two digits."""
    if len(e164) <= 4:
        return "***"
    return f"{e164[:2]}{'*' * (len(e164) - 4)}{e164[-2:]}"


E164 = Annotated[str, AfterValidator(normalise_e164)]
