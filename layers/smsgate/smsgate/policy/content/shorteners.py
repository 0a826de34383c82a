"""Public link shorteners in a body: a warning of the gate, not a refusal.

Public shorteners hide the destination; carriers filter them, so the gate warns (it does not
refuse: the policy has no such check, and branded short domains are fine;
docs/content-policy.md#public-url-shorteners). The domains are a table (`tables.PUBLIC_SHORTENERS`).
"""

import re
from typing import Final

from smsgate.policy.content.tables import PUBLIC_SHORTENERS

_SHORTENER: Final = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?(?P<domain>"
    + "|".join(re.escape(domain) for domain in sorted(PUBLIC_SHORTENERS, key=len, reverse=True))
    + r")(?![\w-]|\.\w)"
)


def public_shorteners(body: str) -> list[str]:
    """Domains of public URL shorteners in the body, each once, in order of appearance."""
    found = dict.fromkeys(match.group("domain") for match in _SHORTENER.finditer(body.casefold()))
    return list(found)
