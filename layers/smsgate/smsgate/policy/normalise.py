"""The one normaliser every reader of free text shares: the reply reader (keywords and
revocation sentences) and the content policy's disguise pass.

A reply is read as people write it (docs/inbound.md#how-a-reply-is-read): compatibility forms
(full-width, mathematical letters) become plain letters, case is folded, accents are dropped
(ARRÊT = ARRET), invisible characters vanish, apostrophes join (don't = dont), and every other
punctuation mark, symbol, emoji and space separates words. Sentence marks also separate
sentences, which the revocation reader needs. Look-alike letters of other scripts (a Cyrillic
"ЅТОР") are read as the Latin letter they show only when the caller asks: the opt-out reader
does, the opt-in reader does not (docs/inbound.md#look-alike-letters).
"""

import re
import unicodedata
from functools import lru_cache
from typing import Final

# Built from the Unicode confusables data shipped by `confusable_homoglyphs` (letters of other
# scripts that look like a Latin letter, after NFKC and case folding). Embedded rather than read
# at import because loading the package's 900 kB JSON costs tens of milliseconds of cold start;
# bench/content_quality.py rebuilds it from the package and a test keeps the two equal.
HOMOGLYPHS: Final[dict[str, str]] = {
    "a": "\u0251\u03b1\u0430\u13aa\u15c5\ua4ee\U000102a0\U00016f40",
    "b": "\u0185\u03b2\u0432\u044c\u13cf\u13f4\u1472\u15af\u15f7\ua4d0\ua7b5\U00010282\U000102a1\U00010301",
    "c": "\u0441\u13df\u1d04\u2ca5\ua4da\U000102a2\U00010302\U0001043d\U0001051c",
    "d": "\u0501\u13a0\u13e7\u146f\u15de\u15ea\ua4d2\ua4d3",
    "e": "\u03b5\u0435\u04bd\u13ac\u2d39\ua4f0\uab32\U00010286\U000118c6\U000118ce",
    "f": "\u03dd\u0584\u15b4\u1e9d\ua4dd\ua799\uab35\U00010287\U000102a5\U00010525\U000118c2",
    "g": "\u018d\u0261\u050d\u0581\u13c0\u13f3\u1d83\ua4d6",
    "h": "\u03b7\u043d\u04bb\u0570\u13bb\u13c2\u157c\u2c8f\ua4e7\U000102cf",
    "i": "\u0131\u0269\u026a\u03b9\u0456\u04cf\u13a5\ua647\U000118c3",
    "j": "\u029d\u03f3\u0458\u13ab\u148d\ua4d9",
    "k": "\u03ba\u043a\u13e6\u16d5\u2c95\ua4d7\U00010518",
    "l": "\u01c0\u13de\u14aa\u16c1\u2c93\u2cd1\u2d4f\ua4e1\ua4f2\U0001028a\U00010309\U00010443\U00010526"
    "\U000118d2\U00016f16\U00016f28",
    "m": "\u03bc\u03fb\u043c\u13b7\u15f0\u16d6\u2c99\ua4df\U000102b0\U00010311",
    "n": "\u0578\u057c\u2c9b\ua4e0\U00010513",
    "o": "\u03bf\u03c3\u043e\u0585\u0b20\u0d20\u101d\u10ff\u12d0\u1d0f\u1d11\u2c9f\u2d54\ua4f3\uab3d"
    "\U00010292\U000102ab\U0001042c\U000104ea\U00010516\U000118c8\U000118d5\U000118d7",
    "p": "\u03c1\u0440\u13e2\u146d\u2ca3\ua4d1\U00010295",
    "q": "\u051b\u0563\u0566\u2d55",
    "r": "\u0280\u0433\u13a1\u13b1\u13d2\u1587\u1d26\u2c85\ua4e3\uab47\uab48\U000104dc\U00016f35",
    "s": "\u01bd\u0455\u057f\u13d5\u13da\ua4e2\ua731\U00010296\U00010448\U000118c1\U00016f3a",
    "t": "\u03c4\u0442\u13a2\u2ca7\ua4d4\U00010297\U000102b1\U00010315\U000118dc\U00016f0a",
    "u": "\u028b\u03c5\u057d\u1200\u144c\u1d1c\ua4f4\ua79f\uab4e\uab52\U000104f6\U000118d8\U00016f42",
    "v": "\u03bd\u0475\u13d9\u142f\u1d20\u2d38\ua4e6\ua6df\U0001051d\U00011706\U000118c0\U00016f08",
    "w": "\u026f\u0461\u051d\u0561\u13b3\u13d4\u1d21\ua4ea\U0001170a\U0001170e\U0001170f",
    "x": "\u03c7\u0445\u1541\u157d\u16b7\u2cad\u2d5d\ua4eb\uab53\U00010290\U000102b4\U00010317\U00010527",
    "y": "\u0263\u028f\u03b3\u0443\u04af\u10e7\u13a9\u13bd\u1d8c\u1eff\u2ca9\ua4ec\uab5a\U000102b2\U000118c4"
    "\U00016f43",
    "z": "\u03b6\u13c3\u1d22\ua4dc\U000118c9",
}

# Invisible characters (zero-width space/joiners, word joiner, BOM, soft hyphen, bidi marks,
# variation selectors, tag characters) and the combining marks NFKD splits accents into.
INVISIBLE_RANGES: Final = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x0300, 0x036F),
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F), (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)  # fmt: skip
INVISIBLE: Final[dict[int, str | None]] = {
    code: None for start, end in INVISIBLE_RANGES for code in range(start, end + 1)
}
_LOOKALIKES: Final[dict[int, str]] = {
    ord(source): latin for latin, sources in HOMOGLYPHS.items() for source in sources
}

# Apostrophes join the letters around them ("don't" = "dont", "Bob’s" = "Bobs"): dropping them is
# how a reader finds the same word whichever apostrophe a phone keyboard typed.
_APOSTROPHES: Final = frozenset("'\u2018\u2019\u02bc\u02bb\u0060\u00b4\u2032\uff07")
# Marks that end a sentence or a clause, after NFKC (full-width forms are folded first), plus the
# ideographic ones NFKC leaves alone; a line break ends one too.
_SENTENCE_MARKS: Final = frozenset(
    ".!?,;:\u2026\u3002\u3001\uff61\uff64\u061f\u060c\u203c\u2047\u2048\u2049\n\r\u2028\u2029"
)
_SEPARATOR: Final = " "
_SENTENCE: Final = "\n"
# ASCII emoticons that end in a letter or digit (":D", ":P", "<3", "xD"), which the
# punctuation rule alone would leave as a word; a reply's smiley is decoration.
_EMOTICON: Final = re.compile(
    r"(?:[:;=][-'^o]?[)(\]\[dDpPoO3/\\|*@$xX]+|<3+|</3)(?!\w)"
    r"|(?:(?<=\W)|^)(?:xD+|XD+|[oO^T>]_+[oO^T<])(?!\w)"
)

# A dash between spaces separates clauses ("Stop - wrong person"); inside a word it separates
# words ("opt-out").
_SPACED_DASH: Final = re.compile(r"\s[-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]+(?=\s)")


@lru_cache(maxsize=4096)
def _read_char(char: str, lookalikes: bool) -> str:
    """What one written character contributes: letters or digits, a word separator, a
    sentence break, or nothing."""
    if char in _APOSTROPHES or ord(char) in INVISIBLE:
        return ""
    category = unicodedata.category(char)
    compatible = unicodedata.normalize("NFKC", char)
    if compatible in _SENTENCE_MARKS or char in _SENTENCE_MARKS:
        return _SENTENCE
    if category[0] in "PSZ" or category in ("Cc", "Co", "Cn", "Cs"):
        # A symbol that is a letter in a frame (Ⓢ, 🅂) reads as that letter; every other mark,
        # symbol, emoji or space separates words, "STOP™" included.
        if category[0] == "S" and len(compatible) == 1 and compatible.isalpha():
            return _read_letters(compatible, lookalikes)
        return _SEPARATOR
    if category == "Cf" or category in ("Mn", "Me"):
        return ""
    return _read_letters(compatible, lookalikes)


def _read_letters(text: str, lookalikes: bool) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.translate(_LOOKALIKES) if lookalikes else plain


def reply_sentences(body: str, *, lookalikes: bool = True) -> tuple[str, ...]:
    """The reply's sentences, each its words joined by single spaces, empty ones left out."""
    text = _SPACED_DASH.sub("\n", _EMOTICON.sub(" ", unicodedata.normalize("NFC", body)))
    read = "".join(_read_char(char, lookalikes) for char in text)
    sentences = (" ".join(sentence.split()) for sentence in read.split(_SENTENCE))
    return tuple(sentence for sentence in sentences if sentence)


def normalise_reply(body: str, *, lookalikes: bool = True) -> str:
    """The reply's words joined by single spaces, sentence marks read as separators too: the
    form a keyword is compared in ("  Stop!! 🛑" → "stop", "opt-out" → "opt out")."""
    return " ".join(reply_sentences(body, lookalikes=lookalikes))
