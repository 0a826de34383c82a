"""Whether a caller may act on a location: its grants as the callers' table holds them, the
decision by `smsgate.policy.access` (docs/tenancy.md)."""

from smsgate.dal import callers
from smsgate.policy.access import access_refusal, principal_keys
from smsgate.reasons import ReasonCode
from smsgate.settings import get_settings


def refusal(
    principal: str | None, location_id: str | None, *, operator: bool
) -> tuple[ReasonCode, str] | None:
    """Why `principal` (None: an unsigned request) may not act on `location_id` (or, for an
    operator route, is not an operator); None when it may."""
    grants = callers.grants_of(principal_keys(principal)) if principal else set()
    return access_refusal(
        principal,
        grants,
        location_id,
        operator=operator,
        anonymous_allowed=get_settings().allow_anonymous_caller,
    )
