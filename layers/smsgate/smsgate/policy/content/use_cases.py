"""Prohibited categories a registered campaign's use case makes lawful to send."""

import re
from typing import Final

# Campaign use cases that make a category lawful to send (docs/content-policy.md). Carriers
# accept alcohol only on campaigns registered as age-gated; nothing else is ever relaxed on
# 10DLC: cannabis/CBD and hate are refused outright, firearms sales and gambling need
# carrier-specific approval this gateway does not model, and tobacco/vape is refused by T-Mobile.
_RELAXED_BY_USE_CASE: Final[dict[str, frozenset[str]]] = {
    "AGE_GATED": frozenset({"alcohol"}),
}
_USE_CASE_SEPARATORS: Final = re.compile(r"[^A-Z0-9]+")


def relaxed_categories(use_case: str | None) -> frozenset[str]:
    """Prohibited categories a registered campaign use case makes sendable; empty for all but
    age-gated campaigns ("AGE_GATED", or a use case carrying that marker such as
    "MARKETING_AGE_GATED"), which may mention alcohol."""
    if not use_case:
        return frozenset()
    words = _USE_CASE_SEPARATORS.sub("_", use_case.upper()).strip("_")
    relaxed: frozenset[str] = frozenset()
    for marker, categories in _RELAXED_BY_USE_CASE.items():
        if words == marker or f"_{marker}_" in f"_{words}_":
            relaxed |= categories
    return relaxed
