"""Revocation of consent by "any reasonable means" in free text (issue 4, FCC 2025 rule).

Since April 2025 the FCC's TCPA rules (47 CFR 64.1200(a)(10)) ask senders to honour a
revocation of consent made by any reasonable means, not only the exact keywords of SPEC
section 6. A location in `reasonable_means` mode (the default) therefore treats a reply that
clearly asks to stop receiving messages as an opt-out; one in `keywords` mode honours the
exact keywords only. docs/inbound.md lists what counts and what does not, and why.

What counts (after `normalise_reply`: case, accents, spacing and trailing punctuation dropped):

- an opt-out keyword padded only with courtesy words or repeated: "please stop", "STOP!!! thanks",
  "unsubscribe me", "stop stop stop";
- a strong keyword that opens the reply and is followed by a sentence break: "STOP. I never
  signed up", "Unsubscribe - not interested";
- a phrase whose object is the messages themselves: "please stop texting me", "stop sending me
  these", "don't text me anymore", "remove me from your list", "take me off this list",
  "I want to unsubscribe", "opt me out", "no more texts", "leave me alone".

A match that is negated or reported ("don't stop texting me", "why did you stop texting me?",
"I don't want to unsubscribe") does not count. Words with everyday meanings outside an
opt-out ("cancel my appointment", "stop by the store", "when does the sale end?") count only
as the exact keywords of SPEC section 6, never inside a longer message.
"""

import re
from typing import Final

from smsgate.policy.keywords import OPT_OUT_KEYWORDS, normalise_reply

# Words a contact adds around a keyword without changing what it asks.
_COURTESY: Final = frozenset(
    {
        "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thx", "ty", "it", "me", "ok",
        "okay", "just", "asap", "immediately", "already", "sorry", "all", "again", "seriously", "now",
        "texts", "messages", "msgs", "this", "these", "number", "and",
    }
)
# Keywords strong enough to open a longer reply: none has an everyday meaning that starts a
# sentence ("Cancel my 3pm", "End of the day", "Remove the cheese" do).
_LEADING_KEYWORDS: Final = ("stop all", "stopall", "stop", "unsubscribe", "opt out", "opt-out", "optout", "revoke")
# A negation or a report shortly before a phrase turns it around.
_TURNED_AROUND: Final = frozenset(
    {"not", "dont", "never", "didnt", "did", "why", "wont", "cant", "cannot", "doesnt", "shouldnt", "wouldnt",
     "no", "if"}
)
_LOOKBEHIND_WORDS: Final = 3

_MESSAGES: Final = r"(?:texts?|txts?|messages?|msgs?|sms|smss|texting|messaging|these|them|this|those|it|stuff|spam|ads?)"
_SENDING: Final = r"(?:texting|txting|messaging|sending|send|contacting|spamming|bothering|harassing|emailing)"
_ME: Final = r"(?:me|us|my (?:number|phone|cell))"
_PHRASES: Final = re.compile(
    r"\b(?:"
    # "please stop texting me", "stop sending me these texts", "quit messaging us"
    rf"(?:stop|quit|cease|end) {_SENDING}(?: {_ME})?(?: (?:any|these|those|the|your|all))*(?: {_MESSAGES})?"
    # "stop the texts", "end these messages"
    rf"|(?:stop|end|cancel) (?:the|these|those|your|all|all the|all these|all of these|all your) {_MESSAGES}"
    # "don't text me", "do not contact me anymore", "never message us again"
    rf"|(?:dont|do not|never) (?:ever )?(?:text|txt|message|msg|contact|sms|send|spam)(?: {_ME})?"
    rf"(?: (?:any ?more|again|ever))?\b(?= {_ME}|$| (?:any ?more|again|ever|please|thanks?|thank you)|[.,!])"
    # "unsubscribe me", "I want to unsubscribe", "how do I unsubscribe"
    r"|unsubscribe"
    # "opt me out", "I'd like to opt out"
    r"|opt(?: me)? ?-?out"
    # "remove me from your list", "take me off this list", "remove my number"
    rf"|(?:remove|delete|take|get|drop|erase) (?:me|us|my (?:number|phone number|phone|cell|info|details|name))"
    r"(?: (?:from|off|out of) (?:your|the|this|that|these|ur|all|all your|all the|every) ?\w*(?: ?list)?)?"
    # "no more texts", "no more messages please"
    rf"|no more {_MESSAGES}"
    # "I want to stop receiving these", "stop getting texts"
    rf"|stop (?:receiving|getting)(?: {_MESSAGES}| (?:any|these|those|the|your) \w+)?"
    r"|leave me alone"
    r"|(?:i|we) (?:want|wish|would like|d like|need) (?:you )?to (?:stop|unsubscribe|opt out|be removed)"
    r")\b"
)
_SENTENCE_BREAK: Final = re.compile(r"^[\s]*[.!?,;:\-–—]")


def _plain(body: str) -> str:
    """The reply as `normalise_reply` reads it, apostrophes dropped (don't → dont)."""
    text = normalise_reply(body.replace("’", "'").replace("`", "'"))
    return re.sub(r"\s+", " ", text.replace("'", ""))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:-[a-z]+)?", text)


def _is_padded_keyword(text: str) -> bool:
    words = _words(text)
    if not words:
        return False
    joined = " ".join(words)
    keyword_found = False
    for keyword in sorted(OPT_OUT_KEYWORDS, key=len, reverse=True):
        pattern = rf"\b{re.escape(keyword)}\b"
        if re.search(pattern, joined):
            keyword_found = True
            joined = re.sub(pattern, " ", joined)
    return keyword_found and all(word in _COURTESY for word in joined.split())


def _opens_with_strong_keyword(text: str) -> bool:
    for keyword in _LEADING_KEYWORDS:
        if text.startswith(keyword) and _SENTENCE_BREAK.match(text[len(keyword) :]):
            return True
    return False


def _turned_around(text: str, start: int) -> bool:
    before = _words(text[:start])[-_LOOKBEHIND_WORDS:]
    return any(word in _TURNED_AROUND for word in before)


def asks_to_stop(body: str) -> bool:
    """True when a free-text reply clearly asks to receive no more messages (FCC 2025).

    The exact keywords of SPEC section 6 are `classify_reply`'s; this reads the longer
    replies a `reasonable_means` location honours as opt-outs as well.
    """
    text = _plain(body)
    if not text:
        return False
    if _is_padded_keyword(text) or _opens_with_strong_keyword(text):
        return True
    for match in _PHRASES.finditer(text):
        negative_phrase = match.group().startswith(("dont", "do not", "never"))
        if negative_phrase or not _turned_around(text, match.start()):
            return True
    return False
