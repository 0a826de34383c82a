"""The checks of the send gate, in SPEC section 3's order, as pure functions.

Each returns a `Refusal` or None. The service runs them in order; the first refusal decides.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from smsgate.models.entities import Contact, Location
from smsgate.policy.consent import has_consent, is_acquired_list
from smsgate.policy.limits import as_utc
from smsgate.reasons import DND_MESSAGE, ReasonCode

MAX_SEGMENTS = 10


@dataclass(frozen=True)
class Refusal:
    code: ReasonCode
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def check_segments(segments: int) -> Refusal | None:
    if segments > MAX_SEGMENTS:
        return Refusal(
            ReasonCode.VALIDATION_ERROR,
            f"The message needs {segments} segments; at most {MAX_SEGMENTS} are allowed.",
            {"segments": segments},
        )
    return None


def check_sender(location: Location, from_number: str) -> Refusal | None:
    if from_number not in location.numbers:
        return Refusal(ReasonCode.NUMBER_NOT_OWNED, "The 'from' number is not one of the location's numbers.")
    return None


def is_suspended(location: Location, now: datetime) -> bool:
    if location.status != "suspended":
        return False
    return location.suspended_until is None or as_utc(now) < as_utc(location.suspended_until)


def check_suspension(location: Location, now: datetime) -> Refusal | None:
    if is_suspended(location, now):
        until = location.suspended_until.isoformat() if location.suspended_until else None
        return Refusal(
            ReasonCode.LOCATION_SUSPENDED,
            "Outgoing SMS are suspended for this location: its error or opt-out rate passed "
            "the carriers' threshold.",
            {"suspended_until": until},
        )
    return None


def check_dnd(contact: Contact) -> Refusal | None:
    if contact.dnd.state != "none":
        return Refusal(ReasonCode.DND_ACTIVE, DND_MESSAGE, {"dnd": contact.dnd.state})
    return None


def check_consent(contact: Contact, kind: str, now: datetime, responsive_window: timedelta) -> Refusal | None:
    if has_consent(contact, kind, now, responsive_window):
        return None
    if contact.consent.state == "opted_in" and is_acquired_list(contact.consent.source or ""):
        return Refusal(
            ReasonCode.NO_CONSENT,
            "Consent from a bought, sold or exchanged list does not count; the contact must opt in directly.",
        )
    return Refusal(ReasonCode.NO_CONSENT, "The contact has not opted in to messages from this location.")
