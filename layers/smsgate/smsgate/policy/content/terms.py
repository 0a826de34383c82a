"""The prohibited-term matcher: one alternation over every category's terms (`tables.TERMS`)."""

import re
from functools import cache
from typing import Final

from smsgate.policy.content.categories import CATEGORIES, Category
from smsgate.policy.content.tables import TERMS

_NUMBER: Final = r"\$?\d+(?:[.,]\d+)?\$?"


def _fragment(source: str) -> str:
    return source.replace(" ?", r"[\s\-]*").replace(" ", r"[\s\-]+").replace("#", _NUMBER)


# One alternation with a named group per category: a single scan finds the first prohibited
# term anywhere in the body and `lastgroup` names its category.
_CATEGORY_OF: Final[dict[str | None, Category]] = {category: category for category in CATEGORIES}


@cache
def _term_matcher() -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w$])(?:"
        + "|".join(
            f"(?P<{category}>{'|'.join(map(_fragment, fragments))})" for category, fragments in TERMS.items()
        )
        + r")(?!\w)"
    )


def term_key(text: str) -> str:
    """A term as letters and digits only, to compare one found in two readings of a body."""
    return "".join(char for char in text if char.isalnum())


def prohibited_terms(text: str) -> list[tuple[Category, str]]:
    """Each prohibited term in `text` with its category, in order, hyphens read as spaces."""
    found: list[tuple[Category, str]] = []
    for match in _term_matcher().finditer(text):
        found.append((_CATEGORY_OF[match.lastgroup], " ".join(match.group().replace("-", " ").split())))
    return found
