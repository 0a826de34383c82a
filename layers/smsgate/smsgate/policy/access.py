"""Who may act on which location (issue 11): the decision, pure.

A caller is the IAM principal API Gateway's IAM authorizer verified (SigV4). Each principal has
an allow-list of location ids, or `*` for every location; `*` also makes it an operator (the
carriers' registration decisions, lifting a suspension). The allow-list is data
(`smsgate.dal.callers`); this module only decides.
"""

import re
from collections.abc import Collection, Iterable

from smsgate.reasons import ReasonCode

EVERY_LOCATION = "*"

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
    Operator routes need the `*` grant."""
    allowed = set(grants)
    if EVERY_LOCATION in allowed:
        return True
    if operator:
        return False
    return location_id is None or location_id in allowed


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
        return ReasonCode.FORBIDDEN, "This operator route needs the '*' grant."
    return ReasonCode.FORBIDDEN_LOCATION, f"The caller may not act on location {location_id}."
