"""Requests of the HTTP API's message routes: strict, unknown fields refused (docs/api.md).

The requests of the location, short-code, consent and contact routes are
`smsgate.models.location_requests`, imported with those routes (docs/performance.md#cold-imports).
"""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from smsgate.models.addresses import Recipient, Sender
from smsgate.models.vocabulary import QuietHoursAction, WhenOverLimit
from smsgate.policy.segments import MAX_SEGMENTS, count_segments
from smsgate.policy.validity import MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS

SendKind = Literal["conversation", "bulk", "workflow", "campaign"]
LOCATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


# C0 controls but tab, line feed and carriage return, DEL and the C1 controls: no handset shows
# them and carriers drop or garble them; NUL ends a string in much of the software on the way
# (docs/api.md#control-characters).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control_characters(text: str) -> str:
    found = _CONTROL.search(text)
    if found:
        raise ValueError(
            f"must not contain control characters (U+{ord(found.group()):04X} at position {found.start()})"
        )
    return text


def check_body(body: str) -> str:
    """A non-empty body of at most 10 segments before decoration (docs/policy.md#segments)."""
    if not body.strip():
        raise ValueError("must not be empty")
    refuse_control_characters(body)
    encoding, segments = count_segments(body)
    if segments > MAX_SEGMENTS:
        raise ValueError(f"needs {segments} {encoding} segments; at most {MAX_SEGMENTS} are allowed")
    return body


# What a send request, single or bulk, accepts as its body, its idempotency key and its validity.
MessageBody = Annotated[str, Field(min_length=1, max_length=1600), AfterValidator(check_body)]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=128)]
# Seconds the message may still go out after this request (docs/carriers.md#message-type-and-validity).
ExpiresIn = Annotated[int, Field(ge=MIN_VALIDITY_SECONDS, le=MAX_VALIDITY_SECONDS)]
# When the message is to go out, with its UTC offset; 1 minute to 30 days ahead
# (docs/scheduling.md#send_at: the range is checked against the request's instant).
SendAt = Annotated[
    AwareDatetime,
    Field(description="ISO 8601 with its offset; from 1 minute to 30 days ahead (docs/scheduling.md)"),
]
OverLimit = Annotated[
    WhenOverLimit,
    Field(
        description="`defer`: what the daily limit or the brand's T-Mobile cap stops waits for "
        "that cap's reset instead of failing"
    ),
]
QuietHoursOverride = Annotated[
    QuietHoursAction | None,
    Field(description="What the recipient's quiet hours do to this request; default: the location's action"),
]


class StrictRequest(BaseModel):
    # defer_build: pydantic builds the validator at the first request that needs it, not at
    # import; each cold start builds only the models of the routes it serves.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class SendMessageRequest(StrictRequest):
    location_id: str = Field(pattern=LOCATION_ID_PATTERN)
    from_number: Sender = Field(alias="from")
    to: Recipient
    body: MessageBody
    kind: SendKind
    idempotency_key: IdempotencyKey | None = None
    expires_in: ExpiresIn | None = None
    send_at: SendAt | None = None
    when_over_limit: OverLimit = "fail"
    quiet_hours: QuietHoursOverride = None


class BulkSendRequest(StrictRequest):
    location_id: str = Field(pattern=LOCATION_ID_PATTERN)
    from_number: Sender | None = Field(default=None, alias="from")
    numbers: list[Sender] | None = Field(default=None, min_length=1, max_length=100)
    body: MessageBody
    kind: SendKind = "bulk"
    recipients: list[Recipient] = Field(min_length=1, max_length=5000)
    preview: bool = False
    idempotency_key: IdempotencyKey | None = None
    expires_in: ExpiresIn | None = None
    send_at: SendAt | None = None
    when_over_limit: OverLimit = "fail"
    quiet_hours: QuietHoursOverride = None
