"""The content check of the send gate: check 7 (prohibited topic) before check 8 (filter evasion)."""

from collections import Counter

from smsgate.policy.content.categories import LABELS, OPT_OUT_PHRASING, Category, ContentVerdict
from smsgate.policy.content.disguise import deobfuscate, plain_form
from smsgate.policy.content.misspelling import misspelling
from smsgate.policy.content.opt_out_wording import opt_out_wording
from smsgate.policy.content.terms import prohibited_terms, term_key


def check_content(body: str, relaxed: frozenset[str] = frozenset()) -> ContentVerdict | None:
    """The first content rule the body breaks, or None: check 7 before check 8
    (docs/policy.md#the-gate-order).

    ``relaxed`` lists categories the location's registered campaign allows (see
    `relaxed_categories`); it never excuses a disguised term, which is deception, not topic.
    """
    plain = plain_form(body)
    plain_found = prohibited_terms(plain)
    for category, term in plain_found:
        if category not in relaxed:
            return ContentVerdict(
                code="PROHIBITED_CONTENT",
                category=category,
                message=f"The message mentions {LABELS[category]}, which carriers prohibit (SHAFT).",
                term=term,
            )
    undisguised = Counter(term_key(term) for _, term in plain_found)
    readable = deobfuscate(body)
    for category, term in prohibited_terms(readable):
        key = term_key(term)
        if undisguised[key] > 0:
            undisguised[key] -= 1
            continue
        return _evasion(category, term)
    misspelt = misspelling(readable.split())
    if misspelt is not None:
        return _evasion(*misspelt)
    keyword = opt_out_wording(plain)
    if keyword is not None:
        return ContentVerdict(
            code="FILTER_EVASION",
            category=OPT_OUT_PHRASING,
            message=(
                f"The message asks contacts to opt out with the non-standard wording '{keyword}'; "
                "carriers require a standard keyword such as 'Reply STOP to unsubscribe'."
            ),
            term=keyword,
        )
    return None


def _evasion(category: Category, term: str) -> ContentVerdict:
    return ContentVerdict(
        code="FILTER_EVASION",
        category=category,
        message=(
            f"The message disguises a word about {LABELS[category]} ('{term}') with misspelling or "
            "lookalike characters, which carriers treat as filter evasion."
        ),
        term=term,
    )
