"""Whether a location is suspended at an instant (docs/audit.md#status), as pure functions.

Apart from the audit's decisions (`smsgate.policy.audit`): every send checks a suspension, and
need not load the audit's rates, verdicts and windows to do so (docs/performance.md#cold-imports).
"""

from datetime import datetime

from smsgate.models.entities import Location
from smsgate.models.moments import as_utc


def is_suspended(location: Location, now: datetime) -> bool:
    """A suspension holds until its end (`suspended_until`), or until an operator lifts it."""
    if location.status != "suspended":
        return False
    return location.suspended_until is None or as_utc(now) < as_utc(location.suspended_until)


def location_status(location: Location, now: datetime) -> str:
    """The status a location has at `now`: a suspension whose end has passed no longer counts."""
    if location.status == "suspended" and not is_suspended(location, now):
        return "active"
    return location.status
