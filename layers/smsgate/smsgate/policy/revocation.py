"""Revocation of consent by "any reasonable means" in free text (issue 4, FCC 2025 rule).

Since April 2025 the FCC's TCPA rules (47 CFR 64.1200(a)(10)) ask senders to honour a
revocation of consent made by any reasonable means, not only the exact keywords of SPEC
section 6. A location in `reasonable_means` mode (the default) therefore treats a reply that
clearly asks to stop receiving messages as an opt-out; one in `keywords` mode honours the
exact keywords only. docs/inbound.md lists what counts and what does not, and why.

What counts (read after `normalise_reply`: case, accents, spacing, trailing punctuation and
apostrophes dropped):

- a sentence of the reply that is a strong keyword (STOP, STOP ALL, UNSUBSCRIBE, OPT OUT,
  REVOKE, ARRET) with nothing but courtesy around it: "please stop", "STOP!!! thanks",
  "unsubscribe me", "I never signed up for this. STOP", "Stop, wrong person";
- a phrase whose object is the messages themselves: "please stop texting me", "stop sending me
  these", "don't text me anymore", "remove me from your list", "take me off this list",
  "I want to unsubscribe", "opt me out", "no more texts", "leave me alone".

A phrase negated or reported in its own sentence ("don't stop texting me", "why did you stop
texting me?", "I don't want to unsubscribe") does not count. CANCEL, END, QUIT and REMOVE have
everyday meanings ("cancel my appointment", "when does the sale end?"): they count as the
exact keywords of SPEC section 6 only, never inside a longer reply.
"""

import re
from typing import Final, Literal, NamedTuple

from smsgate.policy.keywords import ReplyKind, classify_reply, normalise_reply

RevocationMode = Literal["keywords", "reasonable_means"]
DEFAULT_REVOCATION_MODE: Final[RevocationMode] = "reasonable_means"

# Keywords strong enough to count inside a longer reply: none has an everyday meaning in a
# sentence, unlike CANCEL ("cancel my 3pm"), END ("when does the sale end"), QUIT or REMOVE.
# fmt: off
_STRONG_KEYWORDS: Final = (
    "stop all", "stopall", "stop", "unsubscribe", "opt out", "opt-out", "optout", "revoke", "arret",
)
# Words a contact adds around a strong keyword without changing what it asks.
_COURTESY: Final = frozenset({
    "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thx", "ty", "it", "me", "ok", "okay",
    "just", "asap", "immediately", "already", "sorry", "all", "again", "seriously", "texts", "messages",
    "msgs", "this", "these", "number", "and", "hi", "hello", "hey", "svp", "merci",
})
# A negation or a report shortly before a phrase, in the same sentence, turns it around.
_TURNED_AROUND: Final = frozenset({
    "not", "dont", "never", "didnt", "did", "why", "wont", "cant", "cannot", "doesnt", "shouldnt", "wouldnt",
    "no", "if",
})
# fmt: on
_LOOKBEHIND_WORDS: Final = 3
_SENTENCE_BREAK: Final = re.compile(r"[.!?,;:\n]+|\s[-–—]+\s")

_MESSAGES: Final = r"(?:texts?|txts?|messages?|msgs?|sms|texting|messaging|these|them|those|stuff|spam|ads?)"
_SENDING: Final = r"(?:texting|txting|messaging|sending|contacting|spamming|bothering|harassing)"
_ME: Final = r"(?:me|us|my (?:number|phone|cell))"
_DETERMINER: Final = r"(?:your|the|this|that|these|ur|all|all your|all the|every|any)"
_LISTS: Final = r"(?:list|texts?|messages?)"
_PHRASES: Final = re.compile(
    r"\b(?:"
    # "please stop texting me", "stop sending me these texts", "quit messaging us"
    rf"(?:stop|quit|cease) {_SENDING}(?: {_ME})?"
    # "stop the texts", "end these messages", "cancel all your messages"
    rf"|(?:stop|end|cancel) {_DETERMINER} {_MESSAGES}"
    # "don't text me", "do not contact me anymore", "never message us again"
    r"|(?:dont|do not|never) (?:ever )?(?:text|txt|message|msg|contact|sms|send|spam)(?: (?:me|us))?"
    r"(?: (?:any ?more|again|ever))?(?=$| (?:any ?more|again|ever|please|thanks?|thank you)\b|[.,!?;])"
    # "unsubscribe me", "I want to unsubscribe", "how do I unsubscribe"
    r"|unsubscribe"
    # "opt me out", "I'd like to opt out"
    r"|opt(?: me)? ?-?out"
    # "remove me", "delete my number", "remove me from your list"
    r"|(?:remove|delete|erase) (?:me|us|my (?:number|phone number|phone|cell|info|details|name))"
    # "take me off this list", "get me off your texts"
    rf"|(?:take|get|drop) (?:me|us|my number) (?:off|out of|from) {_DETERMINER} ?\w* ?{_LISTS}"
    # "no more texts", "no more messages please"
    rf"|no more {_MESSAGES}"
    # "I want to stop receiving these", "stop getting texts"
    rf"|stop (?:receiving|getting) (?:{_MESSAGES}|{_DETERMINER} \w+)"
    r"|leave me alone"
    r")\b"
)


def _plain(body: str) -> str:
    """The reply as `normalise_reply` reads it, apostrophes dropped (don't → dont)."""
    text = normalise_reply(body.replace("’", "'").replace("`", "'"))
    return re.sub(r"\s+", " ", text.replace("'", ""))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:-[a-z]+)?", text)


def _is_padded_keyword(sentence: str) -> bool:
    """A strong keyword with nothing but courtesy around it: "please stop", "stop it, thanks"."""
    joined = " ".join(_words(sentence))
    found = False
    for keyword in _STRONG_KEYWORDS:
        pattern = rf"\b{re.escape(keyword)}\b"
        if re.search(pattern, joined):
            found = True
            joined = re.sub(pattern, " ", joined)
    return found and all(word in _COURTESY for word in joined.split())


def _turned_around(text: str, start: int) -> bool:
    sentence_before = _SENTENCE_BREAK.split(text[:start])[-1]
    return any(word in _TURNED_AROUND for word in _words(sentence_before)[-_LOOKBEHIND_WORDS:])


def asks_to_stop(body: str) -> bool:
    """True when a free-text reply clearly asks to receive no more messages (FCC 2025).

    The exact keywords of SPEC section 6 are `classify_reply`'s; this reads the longer
    replies a `reasonable_means` location honours as opt-outs as well.
    """
    text = _plain(body)
    if not text:
        return False
    if any(_is_padded_keyword(sentence) for sentence in _SENTENCE_BREAK.split(text)):
        return True
    for match in _PHRASES.finditer(text):
        negative_phrase = match.group().startswith(("dont", "do not", "never"))
        if negative_phrase or not _turned_around(text, match.start()):
            return True
    return False


class ReplyReading(NamedTuple):
    """What a contact's reply asks (`kind`, None for a conversation message) and how: the exact
    `keyword` of SPEC section 6, or None for a free-text revocation or a conversation."""

    kind: ReplyKind | None
    keyword: str | None


def read_reply(body: str, mode: RevocationMode = DEFAULT_REVOCATION_MODE) -> ReplyReading:
    """The exact keywords first (every mode); then, in `reasonable_means` mode, a free-text
    request to stop is an opt-out too."""
    kind = classify_reply(body)
    if kind is not None:
        return ReplyReading(kind, normalise_reply(body))
    if mode == "reasonable_means" and asks_to_stop(body):
        return ReplyReading("opt_out", None)
    return ReplyReading(None, None)
