"""How long a message may still go out, and how the carrier is told what kind it is
(docs/carriers.md#message-type-and-validity).

A message that arrives after the moment it was about (an appointment reminder hours after the
appointment) does harm, so every message has a validity: `expires_in` on the request, or its
kind's default. Both carriers are given what remains of it when the dispatcher hands the
message over (Twilio `ValidityPeriod`, AWS `TimeToLive`); a message still in our queue when it
runs out is not sent at all and ends `failed` with `VALIDITY_EXPIRED`.
"""

import math
from datetime import datetime
from typing import Final, Literal

AwsMessageType = Literal["TRANSACTIONAL", "PROMOTIONAL"]

# The range both carriers take: AWS's TimeToLive starts at 5 s, Twilio's ValidityPeriod stops
# at 36,000 s (10 hours).
MIN_VALIDITY_SECONDS: Final = 5
MAX_VALIDITY_SECONDS: Final = 36_000
# Twilio's "Validity Period Expired", the code carriers and we give a message that ran out.
VALIDITY_EXPIRED: Final = 30036

# A conversation reply and a workflow notice are about now; marketing can still land later the
# same day; the mandatory replies to keywords get the longest a carrier allows.
DEFAULT_VALIDITY_SECONDS: Final[dict[str, int]] = {
    "conversation": 3_600,
    "workflow": 3_600,
    "bulk": MAX_VALIDITY_SECONDS,
    "campaign": MAX_VALIDITY_SECONDS,
    "reply": MAX_VALIDITY_SECONDS,
}

# AWS routes and prices by MessageType, and carriers expect marketing to be declared as such.
_PROMOTIONAL_KINDS: Final = frozenset({"bulk", "campaign"})


def message_type(kind: str) -> AwsMessageType:
    """`PROMOTIONAL` for bulk and campaign sends, `TRANSACTIONAL` for the others."""
    return "PROMOTIONAL" if kind in _PROMOTIONAL_KINDS else "TRANSACTIONAL"


def validity_seconds(kind: str, expires_in: int | None) -> int:
    """The validity a new message gets: the request's `expires_in`, else its kind's default."""
    return expires_in if expires_in is not None else DEFAULT_VALIDITY_SECONDS.get(kind, MAX_VALIDITY_SECONDS)


def remaining_seconds(expires_at: datetime | None, now: datetime) -> int | None:
    """Whole seconds of validity left at `now` (0 or less: expired); None for no limit."""
    if expires_at is None:
        return None
    return math.ceil((expires_at - now).total_seconds())
