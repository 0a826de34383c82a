"""Keywords in contacts' replies: the matcher of the reply reader (docs/inbound.md#how-a-reply-is-read).

`policy.normalise` turns a reply into words; a reply is a keyword when its words are exactly
one keyword's words, whatever marks, symbols, emoji, spaces or invisible characters surround
them ("«STOP»", "Stop 🛑", "ＳＴＯＰ", "opt_out").
"""

import re
from collections.abc import Iterable
from typing import Final

from smsgate.models.vocabulary import ReplyKind
from smsgate.policy.normalise import normalise_reply

# ReplyKind is named here too: the inbound service reads it from this module.

# The union of the defaults of Twilio, Telnyx and AWS End User Messaging SMS, with the
# French keywords Canadian carriers honour.
OPT_OUT_KEYWORDS = frozenset(
    {
        "stop",
        "stopall",
        "stop all",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "opt out",
        "opt-out",
        "remove",
        "arret",
        "td",
    }
)
OPT_IN_KEYWORDS = frozenset({"start", "yes", "unstop"})
HELP_KEYWORDS = frozenset({"help", "info"})

# Each keyword in the form the normaliser gives a reply ("opt-out" reads "opt out").
_OPT_OUT: Final = frozenset(normalise_reply(keyword) for keyword in OPT_OUT_KEYWORDS)
_OPT_IN: Final = frozenset(normalise_reply(keyword) for keyword in OPT_IN_KEYWORDS)
_HELP: Final = frozenset(normalise_reply(keyword) for keyword in HELP_KEYWORDS)


def keyword_alternation(keywords: Iterable[str]) -> str:
    """The keywords as one regex group, each in the form the normaliser gives a reply ("opt-out"
    reads "opt out"), longest first: for the rules that look for a keyword inside a text."""
    forms = {normalise_reply(keyword) for keyword in keywords}
    return (
        "(?:" + "|".join(re.escape(form) for form in sorted(forms, key=lambda form: (-len(form), form))) + ")"
    )


def match_keyword(body: str) -> tuple[ReplyKind, str] | None:
    """The keyword a reply is, with its normalised words; None for anything else.

    Look-alike letters of other scripts count for an opt-out only: reading a disguised STOP
    as STOP errs on the side of the contact, while a permanent DND is lifted only by an
    opt-in the contact plainly wrote (docs/inbound.md#look-alike-letters)."""
    folded = normalise_reply(body, lookalikes=True)
    if folded in _OPT_OUT:
        return "opt_out", folded
    plain = normalise_reply(body, lookalikes=False)
    if plain in _OPT_IN:
        return "opt_in", plain
    if plain in _HELP:
        return "help", plain
    return None


def classify_reply(body: str) -> ReplyKind | None:
    """What a reply asks for, when it is one of the standard keywords; None otherwise."""
    matched = match_keyword(body)
    return matched[0] if matched else None
