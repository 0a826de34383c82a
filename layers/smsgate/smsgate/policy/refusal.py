"""A check's refusal: the reason code, the message the caller reads and its details.

Its own module, so that the registration policy (which the audit imports) does not import the
whole gate with its content policy (docs/performance.md#cold-imports).
"""

from dataclasses import dataclass, field
from typing import Any

from smsgate.reasons import ReasonCode


@dataclass(frozen=True)
class Refusal:
    code: ReasonCode
    message: str
    details: dict[str, Any] = field(default_factory=dict)
