"""Who may act on which location, and who is an operator: the decision, pure (docs/tenancy.md).

A caller is the IAM principal API Gateway's IAM authorizer verified (SigV4). Each principal has
grants: location ids, `*` for every location, and `@operator` for the operator's work. The two
are apart on purpose: a CRM backend that needs every location must not approve its own brand and
campaign, lift its own suspensions or backdate its own locations out of the ramp-up. The grants
are data (`smsgate.dal.callers`); this module only decides.
"""

import re
from collections.abc import Collection, Iterable
from datetime import datetime

from smsgate.reasons import ReasonCode

EVERY_LOCATION = "*"
# Never a location id: those start with a letter or a digit.
OPERATOR = "@operator"

# An assumed role's session ARN names the role without its path; grants are written for the
# role (`arn:aws:iam::<account>:role/<name>`), which every session of it then shares.
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d+):assumed-role/(?P<role>[^/]+)/.+$"
)


def principal_keys(principal: str) -> list[str]:
    """The identities a grant may be written for: the principal itself and, for an assumed-role
    session, its role."""
    keys = [principal]
    found = _ASSUMED_ROLE.match(principal)
    if found:
        keys.append(f"arn:{found['partition']}:iam::{found['account']}:role/{found['role']}")
    return keys


def may_act(grants: Iterable[str], location_id: str | None, *, operator: bool = False) -> bool:
    """Whether the union of a caller's grants covers `location_id` (None: no location named).
    An operator route needs the operator grant, whatever locations the caller has."""
    allowed = set(grants)
    if operator:
        return OPERATOR in allowed
    return EVERY_LOCATION in allowed or location_id is None or location_id in allowed


def access_refusal(
    principal: str | None,
    grants: Collection[str],
    location_id: str | None,
    *,
    operator: bool = False,
    anonymous_allowed: bool = False,
) -> tuple[ReasonCode, str] | None:
    """None when the caller may go on; else the reason code and message of the 403.

    A request without a principal only reaches the code on the local stack (API Gateway's IAM
    authorizer refuses unsigned requests before the function runs); it is let through only when
    the deployment says so (`ALLOW_ANONYMOUS_CALLER`, true on the local stack alone), so a
    deployment whose authorizer were removed fails closed.
    """
    if principal is None:
        if anonymous_allowed:
            return None
        return ReasonCode.FORBIDDEN, "The request carries no IAM principal."
    if may_act(grants, location_id, operator=operator):
        return None
    if operator:
        return ReasonCode.FORBIDDEN, f"This is an operator's action: it needs the '{OPERATOR}' grant."
    return ReasonCode.FORBIDDEN_LOCATION, f"The caller may not act on location {location_id}."


def created_at_refusal(
    requested: datetime, stored: datetime | None, now: datetime, *, operator: bool
) -> tuple[ReasonCode, str] | None:
    """None when `requested` may become the location's `created_at`.

    `created_at` decides the ramp-up (docs/tenancy.md#created-at): a date in the future is never
    one, and any other change is the operator's; sending back the stored value changes nothing.
    """
    if requested > now:
        return ReasonCode.VALIDATION_ERROR, "created_at: must not be in the future."
    if stored is not None and requested == stored:
        return None
    if not operator:
        return (
            ReasonCode.FORBIDDEN,
            f"Only an operator sets created_at (it decides the ramp-up): it needs the '{OPERATOR}' grant.",
        )
    return None
