"""Non-standard opt-out wording, a filter-evasion trick (docs/content-policy.md).

A message that asks contacts to opt out with a word carriers do not honour ("Reply NOMORE to
quit", "text S.T.O.P") keeps them from opting out: only the standard keywords
(`policy.keywords.OPT_OUT_KEYWORDS`) are accepted in opt-out wording.
"""

import re
from functools import cache
from typing import Final

from smsgate.policy.content.disguise import deobfuscate
from smsgate.policy.content.misspelling import nearest
from smsgate.policy.content.tables import KEYWORD_NEIGHBOURS
from smsgate.policy.content.terms import term_key
from smsgate.policy.keywords import OPT_OUT_KEYWORDS
from smsgate.policy.normalise import normalise_reply

_VERB: Final = r"(?:reply|replying|text|texting|txt|respond|responding|send|sending|msg)\b"
_ITEM: Final = (
    r"(?:\"[^\"\n]{1,30}\"|'[^'\n]{1,30}'|opt[ -]?out|stop ?all|(?:\w[.\s*_\-]){2,}\w(?!\w)|[^\s,;:!?\"']+)"
)
_ITEMS: Final = rf"{_ITEM}(?:\s*(?:,|/|\bor\b|\band\b)\s*{_ITEM}){{0,3}}"
_OBJECT: Final = (
    r"(?:all\s+|future\s+|these\s+|our\s+|further\s+|the\s+)?"
    r"(?:msgs?|messages|texts|txts|alerts|notifications|sms|these|marketing|promos|promotions|offers|"
    r"updates)\b"
)
_TARGET: Final = (
    rf"(?:opt[ -]?out|unsubscribe|unsub\b|be\s+(?:removed|unsubscribed|taken\s+off)"
    rf"|no\s+longer\s+(?:receive|get)|(?:stop|quit|end|cancel|halt)\s+(?:receiving|getting)\b|(?:stop|quit|end|cancel|halt)\s+{_OBJECT}"
    rf"|(?:stop|quit|unsubscribe)\s*(?:$|[.!;)]))"
)
_TARGET_FIRST: Final = (
    r"(?:opt[ -]?out|unsubscribe|stop\s+(?:receiving|getting)"
    r"|no\s+longer\s+(?:wish|want)\s+to\s+(?:receive|get)|be\s+removed|(?:cancel|end)\s+(?:msgs|messages|"
    r"texts|alerts|notifications))"
)


@cache
def _opt_out_wording_matcher() -> re.Pattern[str]:
    return re.compile(
        # "Reply NOMORE to quit" (the target is optional: "Reply STPO" is caught by its keyword).
        rf"\b{_VERB}(?:\s+(?:with|back(?:\s+with)?|us))?\s*[:\-]?\s*(?P<kws>{_ITEMS})"
        rf"(?P<target>(?:\s+to\s+\+?\d[\d\- ]{{3,14}})?"
        rf"\s+(?:to|and\s+you(?:'ll|\s+will)|if\s+you\s+(?:want|wish)\s+to)\s+{_TARGET})?"
        # "To opt out, reply NOMORE" / "You can unsubscribe any time by texting NOMORE".
        rf"|\b{_TARGET_FIRST}[^.!?;\n]{{0,40}}?[,:\-]?\s*(?:just\s+|simply\s+|please\s+|by\s+)?{_VERB}"
        rf"(?:\s+(?:with|back(?:\s+with)?|us))?\s*[:\-]?\s*(?P<kws2>{_ITEMS})(?!\s+(?:to|for)\s+(?!opt|unsub|stop|quit|end)\w)"
    )


_ITEM_SPLIT: Final = re.compile(rf"({_ITEM})(?:\s*(?:,|/|\bor\b|\band\b)\s*|$)")
_KEYWORD_KEYS: Final = frozenset(term_key(keyword) for keyword in OPT_OUT_KEYWORDS)
_KEYWORD_LOOKALIKES: Final = ("stop", "optout", "unsubscribe")


def _keyword_items(listing: str) -> list[str]:
    return [item.group(1) for item in _ITEM_SPLIT.finditer(listing) if item.group(1)]


def _keyword(item: str) -> str:
    return normalise_reply(item.strip("\"'"), lookalikes=False)


def _looks_like_keyword(keyword: str) -> bool:
    plain = term_key(deobfuscate(keyword))
    if plain in _KEYWORD_KEYS:
        return True
    if not plain.isalpha() or plain in KEYWORD_NEIGHBOURS or len(plain) < 3:
        return False
    best = nearest(plain, _KEYWORD_LOOKALIKES)
    if best is None:
        return False
    term, distance = best
    return distance <= (2 if len(term) >= 9 else 1)


def opt_out_wording(plain: str) -> str | None:
    """The non-standard keyword the body asks contacts to opt out with, or None."""
    for match in _opt_out_wording_matcher().finditer(plain):
        listing = match.group("kws") or match.group("kws2")
        keywords = [_keyword(item) for item in _keyword_items(listing)]
        if not keywords or any(keyword in OPT_OUT_KEYWORDS for keyword in keywords):
            continue
        explicit = match.group("kws2") is not None or match.group("target") is not None
        for keyword in keywords:
            if explicit or _looks_like_keyword(keyword):
                return keyword
    return None
