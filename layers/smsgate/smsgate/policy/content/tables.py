"""The content policy's term tables, read once at import from the text files under `data/`.

The tables are data, edited apart from the code that reads them
(docs/content-policy.md#where-the-tables-live):

- ``terms/<category>.txt``: the prohibited terms of a category, one regular-expression fragment a
  line. Written for precision (the check refuses the message outright): a word that ordinary
  businesses use in another sense ("shot", "pot", "joint", "weed", "gun", "wine", "slots", "bet")
  only counts inside a phrase that fixes its meaning. Notation of the fragments: a literal space
  stands for "white space or hyphens" and "#" for a number or a price; spaces inside
  look-behinds are written "\\s" because a look-behind needs a fixed width.
- ``misspellable_terms.txt``: "word category" a line, the words whose near-misspellings are
  filter evasion. Only long, distinctive words: short ones ("vape", "porn") have too many
  ordinary neighbours.
- ``real_neighbours.txt``: real words within reach of a misspellable term, which never count.
- ``keyword_neighbours.txt``: real words within reach of an opt-out keyword ("shop", "step").
- ``public_shorteners.txt``: the domains of public link shorteners.

Blank lines are ignored; the files hold no comments, since "#" is part of the fragments' notation.
"""

import os
from typing import Final

from smsgate.policy.content.categories import CATEGORIES, Category

_DATA: Final = os.path.join(os.path.dirname(__file__), "data")


def _lines(*path: str) -> tuple[str, ...]:
    with open(os.path.join(_DATA, *path), encoding="utf-8") as table:
        return tuple(line for line in table.read().splitlines() if line.strip())


def _misspellable(lines: tuple[str, ...]) -> dict[str, Category]:
    categories: dict[str, Category] = {category: category for category in CATEGORIES}
    terms: dict[str, Category] = {}
    for line in lines:
        word, category = line.split()
        terms[word] = categories[category]
    return terms


TERMS: Final[dict[Category, tuple[str, ...]]] = {
    category: _lines("terms", f"{category}.txt") for category in CATEGORIES
}
MISSPELLABLE_TERMS: Final[dict[str, Category]] = _misspellable(_lines("misspellable_terms.txt"))
REAL_NEIGHBOURS: Final = frozenset(_lines("real_neighbours.txt"))
KEYWORD_NEIGHBOURS: Final = frozenset(_lines("keyword_neighbours.txt"))
PUBLIC_SHORTENERS: Final = _lines("public_shorteners.txt")
