"""Content policy of the send gate: prohibited topics and filter evasion (docs/policy.md#prohibited-content).

Two passes over one compiled matcher. The *plain* pass reads the body as written (case-folded,
white space collapsed): a prohibited term there is ``PROHIBITED_CONTENT``. The *disguise* pass
reads the body after undoing the tricks spammers use to slip past carrier filters (Unicode
compatibility forms, invisible characters, accents, homoglyphs, inserted symbols or spaces,
leetspeak) and then looks for near-misspellings: a term found only there is ``FILTER_EVASION``.
Non-standard opt-out wording is ``FILTER_EVASION`` too (docs/policy.md#filter-evasion). See
docs/content-policy.md for the design and its measured figures.

The package holds one module per part: `categories` (what a verdict says), `tables` (the term
tables, read once from the text files under `data/`), `terms` (the prohibited-term matcher),
`disguise` (undoing filter-evasion tricks), `misspelling`, `opt_out_wording`, `use_cases`
(categories a campaign relaxes), `shorteners` (a warning, not a refusal) and `check`, which
runs them in order.

The matchers are compiled, and `rapidfuzz` loaded, at the first check rather than at import:
most functions import this package without checking a body, and the cold start of each handler
has a budget (docs/performance.md#cold-imports). The first message checked pays for it instead.
"""

from smsgate.policy.content.categories import (
    CATEGORIES,
    OPT_OUT_PHRASING,
    Category,
    ContentVerdict,
    VerdictCode,
)
from smsgate.policy.content.check import check_content
from smsgate.policy.content.disguise import deobfuscate
from smsgate.policy.content.shorteners import public_shorteners
from smsgate.policy.content.tables import PUBLIC_SHORTENERS
from smsgate.policy.content.use_cases import relaxed_categories
from smsgate.policy.normalise import HOMOGLYPHS

__all__ = [
    "CATEGORIES",
    "HOMOGLYPHS",
    "OPT_OUT_PHRASING",
    "PUBLIC_SHORTENERS",
    "Category",
    "ContentVerdict",
    "VerdictCode",
    "check_content",
    "deobfuscate",
    "public_shorteners",
    "relaxed_categories",
]
