"""The checks of the send gate, in the gate's order (docs/policy.md#the-gate-order), as pure functions.

Each returns a `Refusal` or None. The service runs them in order; the first refusal decides.
"""

from datetime import datetime, timedelta

from smsgate.models.entities import Contact, Location
from smsgate.policy.consent import has_consent, is_acquired_list
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import short_code_of
from smsgate.policy.segments import MAX_SEGMENTS
from smsgate.policy.suspension import is_suspended
from smsgate.reasons import DND_MESSAGE, ReasonCode, WarningCode


def check_segments(segments: int) -> Refusal | None:
    if segments > MAX_SEGMENTS:
        return Refusal(
            ReasonCode.VALIDATION_ERROR,
            f"The message needs {segments} segments; at most {MAX_SEGMENTS} are allowed.",
            {"segments": segments},
        )
    return None


def check_sender(location: Location, from_number: str) -> Refusal | None:
    """Row 2: `from` is one of the location's numbers or one of the short codes an operator
    recorded for it (docs/carriers.md#short-codes)."""
    if from_number not in location.numbers and short_code_of(location, from_number) is None:
        return Refusal(ReasonCode.NUMBER_NOT_OWNED, "The 'from' number is not one of the location's numbers.")
    return None


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


def check_content_policy(body: str, use_case: str | None) -> Refusal | None:
    """Rows 7 (prohibited topic) and 8 (filter evasion) for the body the sender wrote; `use_case`
    is the location's approved campaign's (`policy.registration.content_use_case`), which may
    relax a category (`relaxed_categories`).

    The gate's decoration (sender identification, opt-out language) is not checked here: it is
    the location's own name and texts, the same on every message (docs/content-policy.md)."""
    # The content package is loaded by the first body checked, not with the gate: the functions
    # that gate no body (the scheduled release) never load it (docs/performance.md#cold-imports).
    from smsgate.policy.content import check_content, relaxed_categories

    verdict = check_content(body, relaxed_categories(use_case))
    if verdict is None:
        return None
    return Refusal(
        ReasonCode(verdict.code), verdict.message, {"category": verdict.category, "term": verdict.term}
    )


def check_snowshoeing(recorded: bool, max_numbers: int, window: timedelta) -> Refusal | None:
    """Row 9: `recorded` is False when the body's fingerprint was already sent from the allowed
    count of the location's other numbers within the window."""
    if recorded:
        return None
    hours = int(window.total_seconds() // 3600)
    return Refusal(
        ReasonCode.SNOWSHOEING,
        f"The same or a nearly identical message was already sent from {max_numbers} of this "
        f"location's numbers in the last {hours} h; carriers treat spreading one message over "
        "more numbers as snowshoeing. Send it from one of those numbers.",
        {"max_numbers": max_numbers, "window_hours": hours},
    )


def content_warnings(body: str) -> list[dict[str, str]]:
    """What may hurt delivery without breaking a rule: links on public URL shorteners, which
    carriers filter (a warning in the accepted answer, not a refusal)."""
    from smsgate.policy.content import public_shorteners

    return [
        {
            "code": str(WarningCode.PUBLIC_URL_SHORTENER),
            "message": f"Links on the public shortener {domain} are often filtered by carriers; "
            "use a branded or full link.",
            "domain": domain,
        }
        for domain in public_shorteners(body)
    ]
