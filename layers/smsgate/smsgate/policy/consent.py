"""Consent rules (docs/policy.md#consent): consent cannot be bought, sold or exchanged."""

import re
from datetime import datetime, timedelta

from smsgate.models.entities import Contact
from smsgate.models.moments import as_utc

# Words that mark a list acquired from someone else: such consent never counts.
_ACQUIRED_LIST = re.compile(
    r"\b(purchas\w*|bought|buy|sold|sell\w*|exchang\w*|rent\w*|broker\w*"
    r"|third[ _-]?party|list[ _-]?vendor|leads?[ _-]?vendor)\b",
    re.IGNORECASE,
)


def is_acquired_list(source: str) -> bool:
    """True when the consent source names a bought, sold, rented or exchanged list."""
    return _ACQUIRED_LIST.search(source.replace("_", " ")) is not None


# How far ahead of our clock a caller's `captured_at` may be: a caller's clock a little fast is
# not a consent from the future (docs/api.md#consent-time).
CAPTURE_CLOCK_SKEW = timedelta(minutes=5)


def future_capture(captured_at: datetime, now: datetime) -> str | None:
    """Why a consent said to be captured at `captured_at` cannot be true at `now`; None when it can."""
    if as_utc(captured_at) > as_utc(now) + CAPTURE_CLOCK_SKEW:
        return (
            f"{as_utc(captured_at).isoformat()} is in the future "
            f"(our clock says {as_utc(now).isoformat()}; {int(CAPTURE_CLOCK_SKEW.total_seconds() // 60)} "
            "minutes of clock skew are allowed)"
        )
    return None


def is_responsive(contact: Contact, now: datetime, window: timedelta) -> bool:
    """A reply to a contact who wrote first within `window` is responsive (docs/policy.md#consent)."""
    if contact.last_inbound_at is None:
        return False
    return timedelta(0) <= as_utc(now) - as_utc(contact.last_inbound_at) <= window


def has_consent(contact: Contact, kind: str, now: datetime, responsive_window: timedelta) -> bool:
    if contact.consent.state == "opted_in" and not is_acquired_list(contact.consent.source or ""):
        return True
    return (
        kind == "conversation"
        and contact.consent.state != "opted_out"
        and is_responsive(contact, now, responsive_window)
    )
