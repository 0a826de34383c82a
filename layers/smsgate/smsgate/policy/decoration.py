"""Sender identification and opt-out language (SPEC section 3, seeds 003 and 004)."""

import re

from smsgate.models.entities import Contact, Location
from smsgate.policy.keywords import OPT_OUT_KEYWORDS

DECORATED_KINDS = frozenset({"bulk", "workflow", "campaign"})
_OPT_OUT_WORDS = re.compile(
    r"\b(" + "|".join(sorted((re.escape(word) for word in OPT_OUT_KEYWORDS), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def mentions_opt_out(body: str) -> bool:
    """True when the body already offers a standard opt-out keyword."""
    return _OPT_OUT_WORDS.search(body) is not None


def names_location(body: str, name: str) -> bool:
    return name.casefold() in body.casefold()


def needs_introduction(contact: Contact, kind: str) -> bool:
    """The first bulk, workflow or campaign message to a contact introduces the sender.

    Conversation messages are never decorated; a contact who has already been introduced
    is not introduced again (README, "Decisions").
    """
    return kind in DECORATED_KINDS and contact.introduced_at is None


def decorate(body: str, location: Location) -> str:
    """Append what an introductory message lacks: `Thanks, <name>` and the opt-out language."""
    additions: list[str] = []
    if not names_location(body, location.name):
        additions.append(location.sender_text.replace("{name}", location.name))
    if not mentions_opt_out(body):
        additions.append(location.opt_out_text)
    if not additions:
        return body
    return "\n".join([body.rstrip(), *additions])
