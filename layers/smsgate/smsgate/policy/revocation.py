"""Revocation of consent by "any reasonable means" in free text.

docs/inbound.md#free-text-revocation-the-fccs-any-reasonable-means-decision says what counts.

Since April 2025 the FCC's TCPA rules (47 CFR 64.1200(a)(10)) ask senders to honour a
revocation of consent made by any reasonable means, not only the exact keywords. A location in
`reasonable_means` mode (the default) therefore treats a reply that clearly asks to stop
receiving messages as an opt-out; one in `keywords` mode honours the exact keywords only.
docs/inbound.md lists what counts and what does not, and why.

What counts (read through `policy.normalise`, the normaliser the keyword matcher uses: case,
accents, look-alike letters, marks, symbols and emoji, apostrophes joined):

- a sentence of the reply that is a strong keyword (STOP, STOP ALL, UNSUBSCRIBE, OPT OUT,
  REVOKE, ARRET) with nothing but courtesy around it: "please stop", "STOP!!! thanks",
  "unsubscribe me", "I never signed up for this. STOP", "Stop, wrong person";
- a sentence that is only a refusal: "not interested", "wrong number";
- a phrase whose object is the messages themselves: "please stop texting me", "stop sending me
  these", "don't text me anymore", "remove me from your list", "take me off this list",
  "I want to unsubscribe", "opt me out", "no more texts", "leave me alone", and the negative
  form "I don't want these texts", "I no longer want to receive messages", "I do not wish to
  receive further communications".

A phrase negated or reported in its own sentence ("don't stop texting me", "why did you stop
texting me?", "I don't want to unsubscribe") does not count. CANCEL, END, QUIT and REMOVE have
everyday meanings ("cancel my appointment", "when does the sale end?"): they count as exact
keywords only, never inside a longer reply.
"""

import re
from typing import Final, NamedTuple

from smsgate.models.vocabulary import ReplyKind, RevocationMode
from smsgate.policy.keywords import match_keyword
from smsgate.policy.normalise import reply_sentences

DEFAULT_REVOCATION_MODE: Final[RevocationMode] = "reasonable_means"

# Keywords strong enough to count inside a longer reply: none has an everyday meaning in a
# sentence, unlike CANCEL ("cancel my 3pm"), END ("when does the sale end"), QUIT or REMOVE.
# fmt: off
_STRONG_KEYWORDS: Final = (
    "stop all", "stopall", "stop", "unsubscribe", "unsub", "opt out", "optout", "revoke", "arret", "arrete",
    "arretez",
)
# Words a contact adds around a strong keyword without changing what it asks.
_COURTESY: Final = frozenset({
    "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thx", "ty", "it", "me", "ok", "okay",
    "just", "asap", "immediately", "already", "sorry", "all", "again", "seriously", "texts", "messages",
    "msgs", "this", "these", "number", "and", "hi", "hello", "hey", "svp", "merci", "oh", "omg", "god",
    "jesus", "ugh", "for", "real", "good", "man", "dude", "guys", "sir", "maam", "lol", "wrong",
})
# A sentence that says nothing but a refusal of the sender: the person writing is not, or no
# longer, the one who consented, or wants nothing from the sender.
_REFUSAL_WORDS: Final = frozenset({"number", "this", "you", "wrong"})
_REFUSALS: Final = re.compile(
    r"(?:(?:i am|im|we are|were|i m) )?(?:not|no longer|not at all|really not) interested"
    r"(?: at all| anymore| any more)?"
    r"|(?:(?:you have|youve got|you got|you have got|this is|its|this is a|u have) )?(?:the |a )?"
    r"wrong (?:number|person|phone|#|no)"
)
# A negation or a report shortly before a phrase, in the same sentence, turns it around.
_TURNED_AROUND: Final = frozenset({
    "not", "dont", "never", "didnt", "did", "why", "wont", "cant", "cannot", "doesnt", "shouldnt", "wouldnt",
    "no", "if",
})
# fmt: on
_LOOKBEHIND_WORDS: Final = 3
# Phrases that are negative themselves ("don't text me", "I no longer want ..."): no negation
# before them turns them around.
_NEGATIVE_STARTS: Final = ("dont", "do not", "never", "no longer", "would rather", "id rather", "rather")
_SENTENCE_BREAK: Final = re.compile(r"[.!?,;:\n]+|\s[-–—]+\s")

_MESSAGES: Final = r"(?:texts?|txts?|messages?|msgs?|sms|texting|messaging|these|them|those|stuff|spam|ads?)"
# What a negative sentence ("I don't want ...") refuses: messages by any name, never "them"
# or "this", which may be anything ("I don't want them to cancel").
_UNWANTED: Final = (
    r"(?:texts?|txts?|messages?|msgs?|sms|spam|ads|promotions?|promos?|offers|marketing|notifications?"
    r"|alerts?|communications?|reminders?|updates|messaging|texting)"
)
_RECEIVE: Final = r"(?:receive|get|have|keep (?:getting|receiving)|be (?:getting|receiving))"
_SOME: Final = (
    r"(?:(?:any ?(?:more|further|other)?|these|your|the|this|those|such|more|further"
    r"|all(?: these| your| the)?) )?"
)
_NO_LONGER: Final = r"(?:dont|do not|no longer|dont ever|never|would rather not|id rather not|rather not)"
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
    # "remove me", "delete my number", "remove me from your list", not "remove me from the waitlist"
    r"|(?:remove|delete|erase) (?:me|us|my (?:number|phone number|phone|cell|info|details|name))"
    rf"(?: from (?:{_DETERMINER} )?(?:(?:mailing|text|texting|sms|contact|call|marketing|distribution) )?"
    r"(?:list|texts?|messages?|database|system|contacts))?(?! from)"
    # "take me off this list", "get me off your texts"
    rf"|(?:take|get|drop) (?:me|us|my number) (?:off|out of|from) {_DETERMINER} ?\w* ?{_LISTS}"
    r"|(?:take|get) (?:me|us|my number) off(?=$|\.| please| thanks| now)"
    # "no more texts", "no more messages please"
    rf"|no more {_MESSAGES}"
    # "I want to stop receiving these", "stop getting texts"
    rf"|stop (?:receiving|getting) (?:{_MESSAGES}|{_DETERMINER} \w+)"
    r"|leave me alone"
    # "I don't want these texts", "I no longer wish to receive messages from you", "I do not
    # want to be contacted"
    rf"|{_NO_LONGER} (?:want|wish|need|like|care) (?:to {_RECEIVE} )?{_SOME}(?:\w+ )?{_UNWANTED}"
    rf"|(?:would|id) rather not {_RECEIVE} {_SOME}{_UNWANTED}"
    rf"|{_NO_LONGER} (?:want|wish) to be (?:texted|contacted|messaged|sent|on (?:your|this|the) list)"
    # "don't send me any more texts", "do not text this number"
    rf"|(?:dont|do not|never) (?:send|text|message) (?:me |us |this number |my number )?(?:any ?more |any "
    rf"|these |those |more |further |your )?{_UNWANTED}"
    r"|(?:dont|do not|never) (?:text|message|contact|call or text|text or call) (?:this|my)"
    r" (?:number|phone|cell)"
    # "stop texts", "discontinue these messages", "enough with the texts", "I want off this list"
    rf"|stop (?:texts?|messages?|msgs?|sms|spam|ads)"
    rf"|(?:discontinue|cease) (?:{_DETERMINER} )?{_UNWANTED}"
    rf"|enough (?:with )?(?:{_DETERMINER} )?{_MESSAGES}"
    rf"|want (?:me )?off (?:of )?{_DETERMINER} ?\w* ?{_LISTS}"
    r"|lose (?:my|this) number"
    r")\b"
)


def _plain(body: str) -> str:
    """The reply as the normaliser reads it, its sentences ended by full stops."""
    return ". ".join(reply_sentences(body))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


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


def _is_refusal(sentence: str) -> bool:
    """Only a refusal with courtesy around it: "Not interested, thanks", "Sorry, wrong number"."""
    words = [word for word in sentence.split() if word not in _COURTESY or word in _REFUSAL_WORDS]
    return any(_REFUSALS.fullmatch(text) is not None for text in (sentence, " ".join(words)))


def _turned_around(text: str, start: int) -> bool:
    sentence_before = _SENTENCE_BREAK.split(text[:start])[-1]
    return any(word in _TURNED_AROUND for word in _words(sentence_before)[-_LOOKBEHIND_WORDS:])


def asks_to_stop(body: str) -> bool:
    """True when a free-text reply clearly asks to receive no more messages (FCC 2025).

    The exact keywords of docs/policy.md#opt-out-keywords are `classify_reply`'s; this reads the longer
    replies a `reasonable_means` location honours as opt-outs as well.
    """
    text = _plain(body)
    if not text:
        return False
    if any(_is_padded_keyword(sentence) or _is_refusal(sentence) for sentence in _SENTENCE_BREAK.split(text)):
        return True
    for match in _PHRASES.finditer(text):
        negative_phrase = match.group().startswith(_NEGATIVE_STARTS)
        if negative_phrase or not _turned_around(text, match.start()):
            return True
    return False


class ReplyReading(NamedTuple):
    """What a contact's reply asks (`kind`, None for a conversation message) and how: the exact
    `keyword` of docs/policy.md#opt-out-keywords, or None for a free-text revocation or a conversation."""

    kind: ReplyKind | None
    keyword: str | None


def read_reply(body: str, mode: RevocationMode = DEFAULT_REVOCATION_MODE) -> ReplyReading:
    """The exact keywords first (every mode); then, in `reasonable_means` mode, a free-text
    request to stop is an opt-out too."""
    matched = match_keyword(body)
    if matched is not None:
        return ReplyReading(*matched)
    if mode == "reasonable_means" and asks_to_stop(body):
        return ReplyReading("opt_out", None)
    return ReplyReading(None, None)
