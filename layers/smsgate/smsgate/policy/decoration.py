"""Sender identification and opt-out language on a first bulk, workflow or campaign message
(docs/inbound.md#decoration-opt-out-language-not-the-word).

Both checks read the body through the reply reader's normaliser, so case, spacing, quotes and
punctuation do not matter: "Bob’s Pizza" names "Bob's Pizza", "reply stop!" offers the opt-out.
"""

import re
from typing import Final

from smsgate.models.entities import Contact, Location
from smsgate.policy.keywords import OPT_OUT_KEYWORDS, keyword_alternation
from smsgate.policy.normalise import normalise_reply, reply_sentences

DECORATED_KINDS = frozenset({"bulk", "workflow", "campaign"})

# Opt-out language is an instruction, not the bare word: "Reply STOP", "Text END to opt out",
# "STOP to cancel", "unsubscribe at example.com". "We'll stop by at 3pm" offers no way out.
_KEYWORD: Final = keyword_alternation(OPT_OUT_KEYWORDS)
_VERB: Final = r"(?:reply|replying|respond|responding|text|texting|txt|send|sending|msg|sms|type|typing)"
_OUT: Final = (
    r"(?:opt out|optout|unsubscribe|unsub|stop|end|cancel|quit|be removed|leave|stop receiving|stop getting"
    r"|(?:end|cancel) (?:texts|messages|msgs|alerts)|no longer receive)"
)
_OPT_OUT_LANGUAGE: Final = re.compile(
    rf"\b{_VERB}(?: (?:with|back|back with|us|the word|us the word))? {_KEYWORD}\b"
    rf"|\b{_KEYWORD} to {_OUT}\b"
    r"|\b(?:unsubscribe|opt out|optout)(?: (?:at any time|anytime|any time|now|instantly))?"
    r" (?:at|here|via|visit|go to|click|tap|online|http|https|www|link|using)\b"
    r"|\bto (?:unsubscribe|opt out|optout|stop (?:receiving|getting) (?:these|texts|messages|msgs))\b"
)


def mentions_opt_out(body: str) -> bool:
    """True when the body already tells the contact how to opt out (an instruction such as
    "Reply STOP" or "Text END to opt out"), not merely a word like "stop"."""
    return any(_OPT_OUT_LANGUAGE.search(sentence) for sentence in reply_sentences(body, lookalikes=False))


def names_location(body: str, name: str) -> bool:
    """True when the body names the location, compared as words after normalising case,
    spaces, quotes and punctuation."""
    wanted = normalise_reply(name, lookalikes=False)
    if not wanted:
        return name.casefold() in body.casefold()
    return f" {wanted} " in f" {normalise_reply(body, lookalikes=False)} "


def needs_introduction(contact: Contact, kind: str) -> bool:
    """The first bulk, workflow or campaign message to a contact introduces the sender.

    Conversation messages are never decorated; a contact who has already been introduced
    is not introduced again (docs/policy.md#sender-id).
    """
    return kind in DECORATED_KINDS and contact.introduced_at is None


def decorate(body: str, location: Location) -> str:
    """Append what an introductory message lacks: `Thanks, <name>` and the opt-out language
    (unless the body already carries it, or the location's own opt-out text)."""
    additions: list[str] = []
    if not names_location(body, location.name):
        additions.append(location.sender_text.replace("{name}", location.name))
    if not (mentions_opt_out(body) or names_location(body, location.opt_out_text)):
        additions.append(location.opt_out_text)
    if not additions:
        return body
    return "\n".join([body.rstrip(), *additions])
