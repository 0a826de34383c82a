"""Undoing the tricks that slip a word past carrier filters (filter evasion).

Unicode compatibility forms, invisible characters, accents, homoglyphs, symbols inserted inside
a word, letters spaced one by one and leetspeak (docs/content-policy.md#normalisation-filter-evasion).
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from smsgate.policy.normalise import HOMOGLYPHS, INVISIBLE

_TYPOGRAPHY: Final[dict[str, str]] = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u00a0": " ",
}  # fmt: skip
_FOLD: Final[dict[int, str | None]] = {
    **INVISIBLE,
    **{ord(source): latin for latin, sources in HOMOGLYPHS.items() for source in sources},
    **{ord(typographic): plain for typographic, plain in _TYPOGRAPHY.items()},
}
_PLAIN: Final = str.maketrans(_TYPOGRAPHY)

_LEET_CHARS: Final = "4@31!|05$7+89€"
_LEET: Final = str.maketrans(dict(zip(_LEET_CHARS, "aaeiilosstbgge", strict=True)))
_HAS_LEET: Final = re.compile(f"[{re.escape(_LEET_CHARS)}]")
_HAS_LETTER: Final = re.compile(r"[^\W\d_]")
# Inside a word every symbol that is not itself a leetspeak letter is padding ("c*a*s*i*n*o").
_PADDING: Final = re.compile(rf"[^\w{re.escape(_LEET_CHARS)}]+|_+")
_EDGE_LEAD: Final = "\"'([{<*#~^-_.,:;"
_EDGE_TRAIL: Final = "\"')]}>*.,!?:;~^-_"
# Letters spaced one by one ("g a m b l i n g", "W E E D") are joined only when the run reads as
# one disguised word: three or more capitals ("T H C"), four or more in lower case ("v a p e"),
# five or more in title case ("G a m b l i n g" at the start of a sentence). Shorter runs and runs
# that mix cases otherwise are ordinary text with one-letter words ("I p a", "i p a", "A b c"):
# joined, "I p a" was once read as "ipa" (alcohol).
_UPPER_CASE_RUN: Final = 3
_LOWER_CASE_RUN: Final = 4
_TITLE_CASE_RUN: Final = 5


def plain_form(body: str) -> str:
    """The body as written, for the plain pass: typographic quotes and dashes as ASCII, case
    folded, white space collapsed."""
    return " ".join(body.translate(_PLAIN).casefold().split())


def _fold_case(shaped: str) -> str:
    """Case folded, homoglyphs read as Latin (of a text already `_shape`d)."""
    if shaped.isascii():
        return shaped.casefold()
    return shaped.casefold().translate(_FOLD)


def _shape(text: str) -> str:
    """NFKC then NFKD, invisible characters and accents dropped; case kept."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).translate(INVISIBLE)


def _unpad(token: str) -> str:
    core = token.lstrip(_EDGE_LEAD).rstrip(_EDGE_TRAIL)
    if not _HAS_LETTER.search(core):
        return core
    return _PADDING.sub("", core)


@dataclass(frozen=True)
class _Token:
    folded: str
    written: str  # the token with its case, for a run of single letters


def _tokens(body: str) -> list[_Token]:
    tokens: list[_Token] = []
    for written in _shape(body).split():
        for piece in _fold_case(written).split():
            folded = _unpad(piece)
            if folded:
                tokens.append(_Token(folded, _unpad(written)))
    return tokens


def _is_spaced_word(run: list[_Token]) -> bool:
    cases = [
        "upper" if token.written.isupper() else "lower"
        for token in run
        if token.written.isupper() or token.written.islower()
    ]
    if set(cases) == {"upper"}:
        return len(run) >= _UPPER_CASE_RUN
    if set(cases) <= {"lower"}:
        return len(run) >= _LOWER_CASE_RUN
    title = cases[0] == "upper" and set(cases[1:]) == {"lower"}
    return title and len(run) >= _TITLE_CASE_RUN


def _spell_out(run: list[_Token]) -> list[str]:
    if _is_spaced_word(run):
        return ["".join(token.folded for token in run)]
    if len(run) < _UPPER_CASE_RUN:
        return [token.folded for token in run]
    # Kept as written, so that reading the result again does not join it either.
    return [token.written if len(token.written) == 1 else token.folded for token in run]


def deobfuscate(body: str) -> str:
    """The body as a filter-evading sender meant it to be read (docs/policy.md#filter-evasion):
    NFKC, invisible characters and accents dropped, case folded, homoglyphs folded to Latin,
    symbols inside a word removed, letters spaced one by one joined when they read as one word,
    leetspeak read as letters."""
    joined: list[str] = []
    run: list[_Token] = []
    for token in [*_tokens(body), None]:
        if token is not None and len(token.folded) == 1 and token.folded.isalnum():
            run.append(token)
            continue
        joined.extend(_spell_out(run))
        run = []
        if token is not None:
            joined.append(token.folded)
    return " ".join(_read_leet(token) for token in joined)


def _read_leet(token: str) -> str:
    if _HAS_LEET.search(token) and _HAS_LETTER.search(token):
        return token.translate(_LEET)
    return token
