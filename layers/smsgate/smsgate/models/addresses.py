"""Addresses: E.164 numbers and short codes, as carriers report them and as the API takes them.

A location can text from a short code (5 or 6 digits in the US and Canada, 3 to 8 elsewhere),
and carriers' own notices come from short codes; both carriers report such an address as bare
digits, which E.164 alone would refuse (docs/inbound.md#short-codes). The API takes a short code
as a message's sender only; it is never a recipient, nor one of the numbers a tenant declares
(docs/carriers.md#short-codes).
"""

import re
from typing import Annotated, Final

from pydantic import AfterValidator, WithJsonSchema

from smsgate.models.phone import E164_PATTERN, normalise_e164, strict_e164

SHORT_CODE_PATTERN: Final = r"^[1-9][0-9]{2,7}$"
_SHORT_CODE: Final = re.compile(SHORT_CODE_PATTERN)


def is_short_code(address: str) -> bool:
    return _SHORT_CODE.fullmatch(address) is not None


def normalise_sms_address(value: str) -> str:
    """A short code as given, else the E.164 form of `value` (ValueError when neither)."""
    text = value.strip()
    return text if is_short_code(text) else normalise_e164(text)


SmsAddress = Annotated[str, AfterValidator(normalise_sms_address)]


def strict_sender(value: str) -> str:
    """A short code as given, else `strict_e164`: whether the location may send from it is the
    gate's question (row 2), not the request's."""
    return value if is_short_code(value) else strict_e164(value)


# Neither carrier delivers an A2P message to a short code (Twilio refuses it with 21265).
_SHORT_CODE_RECIPIENT = (
    "is a short code: carriers deliver no messages to short codes; "
    "give the contact's own number in E.164 (docs/carriers.md#short-codes)"
)
# A short code runs under a carrier-approved short-code program: an operator records it.
_SHORT_CODE_DECLARED = (
    "is a short code: an operator records a location's approved short codes "
    "(PUT /v1/locations/{location_id}/short-codes, docs/carriers.md#short-codes)"
)


def strict_recipient(value: str) -> str:
    """`strict_e164`, with a message that says why a short code is refused."""
    if is_short_code(value.strip()):
        raise ValueError(_SHORT_CODE_RECIPIENT)
    return strict_e164(value)


def strict_long_code(value: str) -> str:
    """`strict_e164` for the numbers a tenant declares, with a message that says who records a
    short code."""
    if is_short_code(value.strip()):
        raise ValueError(_SHORT_CODE_DECLARED)
    return strict_e164(value)


_E164_SCHEMA = WithJsonSchema({"type": "string", "pattern": E164_PATTERN, "examples": ["+12025550143"]})

Sender = Annotated[
    str,
    AfterValidator(strict_sender),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"{E164_PATTERN}|{SHORT_CODE_PATTERN}",
            "description": "One of the location's numbers (E.164) or an approved short code (digits)",
            "examples": ["+12025550143", "55123"],
        }
    ),
]
"""A message's sender in a request: E.164 as written, or a short code."""

Recipient = Annotated[str, AfterValidator(strict_recipient), _E164_SCHEMA]
"""A message's recipient in a request: E.164 as written; a short code never."""

LongCode = Annotated[str, AfterValidator(strict_long_code), _E164_SCHEMA]
"""A number a tenant declares for its location or its 10DLC campaign: E.164 as written."""
