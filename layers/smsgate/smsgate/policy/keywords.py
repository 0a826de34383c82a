"""Keywords in contacts' replies (SPEC section 6)."""

import unicodedata
from typing import Literal

ReplyKind = Literal["opt_out", "opt_in", "help"]

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

_TRAILING_PUNCTUATION = ".!?,;:…'\")"


def normalise_reply(body: str) -> str:
    """Case-folded, accents removed (ARRÊT = ARRET), inner spaces collapsed, outer
    white space and trailing punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = plain.casefold().split()
    return " ".join(words).rstrip(_TRAILING_PUNCTUATION).strip()


def classify_reply(body: str) -> ReplyKind | None:
    """What a reply asks for, when it is one of the standard keywords; None otherwise."""
    keyword = normalise_reply(body)
    if keyword in OPT_OUT_KEYWORDS:
        return "opt_out"
    if keyword in OPT_IN_KEYWORDS:
        return "opt_in"
    if keyword in HELP_KEYWORDS:
        return "help"
    return None
