"""E.164 phone numbers, parsed and normalised by `phonenumbers` (STYLE rule 6)."""

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator


def normalise_e164(value: str) -> str:
    """The E.164 form of `value`; ValueError when it is not a possible international number."""
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError("must be an E.164 number starting with '+' and the country code")
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not an E.164 number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("is not a possible phone number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """ISO region of a number ('US', 'PR', 'CA', …), None when no region claims it."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.region_code_for_number(parsed)


def mask_phone(e164: str) -> str:
    """What logs may show of a number: country code and last two digits."""
    if len(e164) <= 4:
        return "***"
    return f"{e164[:2]}{'*' * (len(e164) - 4)}{e164[-2:]}"


E164 = Annotated[str, AfterValidator(normalise_e164)]
