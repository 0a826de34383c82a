"""Addresses a carrier may report on an inbound message: E.164 numbers and short codes.

A location can text from a short code (5 or 6 digits in the US and Canada, 3 to 8 elsewhere),
and carriers' own notices come from short codes; both carriers report such an address as bare
digits, which E.164 alone would refuse (docs/inbound.md#short-codes).
"""

import re
from typing import Annotated, Final

from pydantic import AfterValidator

from smsgate.models.phone import normalise_e164

_SHORT_CODE: Final = re.compile(r"[1-9][0-9]{2,7}")


def is_short_code(address: str) -> bool:
    return _SHORT_CODE.fullmatch(address) is not None


def normalise_sms_address(value: str) -> str:
    """A short code as given, else the E.164 form of `value` (ValueError when neither)."""
    text = value.strip()
    return text if is_short_code(text) else normalise_e164(text)


SmsAddress = Annotated[str, AfterValidator(normalise_sms_address)]
