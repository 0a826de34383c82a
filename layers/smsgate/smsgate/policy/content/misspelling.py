"""Near-misspellings of prohibited words, a filter-evasion trick (docs/content-policy.md).

Misspellings within a small edit distance (OSA: a transposition counts once) of words that are
prohibited on their own (`tables.MISSPELLABLE_TERMS`). Real words within reach of a term never
count (`tables.REAL_NEIGHBOURS`).
"""

from typing import Final

from smsgate.policy.content.categories import Category
from smsgate.policy.content.tables import MISSPELLABLE_TERMS, REAL_NEIGHBOURS

_CHOICES: Final = tuple(MISSPELLABLE_TERMS)
_FIRST_LETTERS: Final = frozenset(term[0] for term in MISSPELLABLE_TERMS)


def _allowed_edits(token: str, term: str) -> int:
    # Two edits only where the word's frame (start and end) is intact, as in "tobbaco".
    if len(term) >= 9 or (len(term) >= 7 and token[:2] == term[:2] and token[-1] == term[-1]):
        return 2
    return 1


def nearest(word: str, choices: tuple[str, ...]) -> tuple[str, int] | None:
    """The choice fewest OSA edits from `word` and their number, if two or fewer."""
    # Imported here: rapidfuzz is loaded at the first check, not at the handler's cold start.
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    best = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=2)
    if best is None:
        return None
    choice, distance, _ = best
    return choice, int(distance)


def misspelling(tokens: list[str]) -> tuple[Category, str] | None:
    """The first token that misspells a prohibited word, as (category, the word), or None."""
    for token in tokens:
        if len(token) < 5 or token[0] not in _FIRST_LETTERS or not token.isalpha():
            continue
        if token in MISSPELLABLE_TERMS or token in REAL_NEIGHBOURS:
            continue
        best = nearest(token, _CHOICES)
        if best is None:
            continue
        term, distance = best
        if term[0] == token[0] and distance <= _allowed_edits(token, term):
            return MISSPELLABLE_TERMS[term], term
    return None
