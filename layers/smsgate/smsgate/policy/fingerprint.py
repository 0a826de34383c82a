"""Fingerprints of message bodies for the snowshoeing check (docs/policy.md#snowshoeing).

Snowshoeing spreads the same message over many numbers to stay under per-number filters. The
gate records, per location and window, which numbers sent each fingerprint key (one
conditional ADD per key), so a fingerprint must be a handful of short strings that near-
identical bodies share and unrelated bodies do not.

Design (docs/content-policy.md): the body is normalised so that what a template fills in
(first names, numbers, prices, dates, links, e-mail addresses, case, punctuation, the standard
sender and opt-out footer) disappears; the remaining words are cut into overlapping 4-word
shingles and a MinHash with four independent hash functions picks one shingle per function.
Each key names the band and the chosen shingle. Two bodies share a band's key exactly when the
same shingle wins, which happens with probability equal to their shingle Jaccard similarity;
a shared 4-word run is rare between unrelated messages. Short bodies key on their whole text.
"""

import re
import unicodedata
from hashlib import blake2b
from typing import Final

from smsgate.policy.keywords import HELP_KEYWORDS, OPT_OUT_KEYWORDS, keyword_alternation

BANDS: Final = 4
SHINGLE_WORDS: Final = 4
SHORT_BODY_WORDS: Final = 5

_URL: Final = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|ly|gl|us|info|biz|me|app|at|cc|gy|gd|to|link)"
    r"(?:/\S*)?(?!\w)"
)
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The keywords a footer names (policy.keywords holds their one list), and what it says they do;
# the cleaned text reads them as the reply normaliser does ("opt-out" is "opt out").
_FOOTER_KEYWORD: Final = keyword_alternation(OPT_OUT_KEYWORDS | HELP_KEYWORDS)
_FOOTER_PURPOSE: Final = keyword_alternation({*OPT_OUT_KEYWORDS, *HELP_KEYWORDS, "more info"})
# Sender identification and opt-out language are added by the gate itself
# (docs/policy.md#sender-id, docs/policy.md#opt-out-language): every message of a location
# carries them, so they say nothing about the body.
# Matched on the cleaned words (no punctuation left).
_BOILERPLATE: Final = re.compile(
    rf"\b(?:(?:reply|text|txt|send) )?{_FOOTER_KEYWORD} "
    r"(?:to|for) "
    rf"{_FOOTER_PURPOSE}"
    r"(?: (?:of |from )?(?:these |all |future |our )?(?:messages|texts|msgs|alerts))?\b"
    rf"|\b(?:reply|text|txt) {_FOOTER_KEYWORD}\b"
    r"|\b(?:msg|msgs|message|messaging) (?:and )?data rates may apply\b"
    r"|\b(?:thanks|thank you|regards|cheers)(?: \w+){0,5}$"
)
_GREETING_NAME: Final = re.compile(
    r"\b(hi|hey|hello|dear|hiya|howdy|good morning|good afternoon|good evening) (?:(?:mr|mrs|ms|miss|dr) )?"
    r"[^\W\d_]\w*"
)
_NUMBER: Final = re.compile(r"\S*\d\S*(?:\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w))?")
_CALENDAR: Final = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b|\b(?:monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|today|tonight|tomorrow)\b"
)
_PUNCTUATION: Final = re.compile(r"[^\w<>#]+|_+")
_REPEATS: Final = re.compile(r"#(?: #)+")

# splitmix64 seeds: four independent permutations of the 64-bit shingle hashes.
_SEEDS: Final = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x2545F4914F6CDD1D)
_MASK: Final = (1 << 64) - 1


def normalise_for_fingerprint(body: str) -> str:
    """The body with what a template varies removed: NFKC and case folded, e-mails → ``<email>``,
    links → ``<url>``, the name after a greeting → ``<name>``, anything with a digit and names of
    days and months → ``#`` (a run of them → one ``#``), punctuation dropped, white space
    collapsed, the standard sender and opt-out footer dropped. Idempotent."""
    text = body
    while True:
        cleaner = _normalise_once(text)
        if cleaner == text:
            return text
        text = cleaner


def _normalise_once(body: str) -> str:
    # Repeated to a fixed point: removing one piece can bring two others together.
    text = unicodedata.normalize("NFKC", body).casefold()
    text = _EMAIL.sub(" <email> ", text)
    text = _URL.sub(" <url> ", text)
    text = _NUMBER.sub(" # ", text)
    text = " ".join(_PUNCTUATION.sub(" ", text).split())
    text = _GREETING_NAME.sub(" ", text)
    text = " ".join(_BOILERPLATE.sub(" ", text).split())
    text = _CALENDAR.sub("#", text)
    return _REPEATS.sub("#", text)


def _digest(text: str) -> int:
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big")


def _mix(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def is_snowshoe_candidate(body: str, kind: str) -> bool:
    """Whether row 9 looks at this message at all. A body with no words left after
    normalisation ("Thanks!", "See you at 9") has nothing to fingerprint, and a short one-to-one
    reply ("Ok, see you soon") is what every number of a busy location writes by hand: counting
    those would refuse a receptionist's fourth "ok" of the day as snowshoeing. Templates spread
    over numbers are longer than that, and bulk, workflow and campaign messages are always
    checked (docs/content-policy.md)."""
    words = normalise_for_fingerprint(body).split()
    if not words:
        return False
    return kind != "conversation" or len(words) >= SHORT_BODY_WORDS


def snowshoe_keys(body: str) -> tuple[str, ...]:
    """At most four short keys; near-identical bodies share at least one with high probability,
    unrelated bodies share none with high probability (figures in docs/content-policy.md)."""
    words = normalise_for_fingerprint(body).split()
    if len(words) < SHORT_BODY_WORDS:
        return (f"t{_digest(' '.join(words)):016x}",)
    shingles = {
        _digest(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    keys: list[str] = []
    for band, seed in enumerate(_SEEDS[:BANDS]):
        chosen = min(shingles, key=lambda shingle: _mix(shingle ^ seed))
        key = f"{band}{chosen:016x}"
        if key not in keys:
            keys.append(key)
    return tuple(keys)
