"""The threshold audit's decisions (docs/policy.md#audit-thresholds), as pure functions.

Rates are exact fractions: 8 failures in 100 sends is exactly 8 %, and the audit's
boundaries are inclusive ("≥ 8 %"), so a float that makes 8/100 a hair under 0.08 would
let a location at the boundary escape.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from fractions import Fraction

from smsgate.models.audit import WindowCounts
from smsgate.models.entities import Location
from smsgate.models.moments import as_utc
from smsgate.policy.profiles import DEFAULT_PROFILE, PolicyProfile, audit_thresholds_to_api
from smsgate.policy.suspension import is_suspended

HOUR = timedelta(hours=1)


class AuditAction(IntEnum):
    """What the audit does to a location; ordered, so a worse window never means a lesser action."""

    NONE = 0
    VIOLATION = 1
    SUSPENSION = 2


@dataclass(frozen=True)
class Thresholds:
    """The audit's rates, inclusive, and the minimum sample below which nothing happens; by
    default the default profile's (docs/policy-profiles.md)."""

    violation_error_rate: Fraction = DEFAULT_PROFILE.violation_error_rate
    violation_opt_out_rate: Fraction = DEFAULT_PROFILE.violation_opt_out_rate
    suspension_error_rate: Fraction = DEFAULT_PROFILE.suspension_error_rate
    suspension_opt_out_rate: Fraction = DEFAULT_PROFILE.suspension_opt_out_rate
    min_sample: int = DEFAULT_PROFILE.audit_min_sample

    @classmethod
    def from_profile(cls, profile: PolicyProfile, min_sample: int | None = None) -> "Thresholds":
        """The profile's rates and minimum sample (`min_sample` replaces the latter when set)."""
        return cls(
            violation_error_rate=profile.violation_error_rate,
            violation_opt_out_rate=profile.violation_opt_out_rate,
            suspension_error_rate=profile.suspension_error_rate,
            suspension_opt_out_rate=profile.suspension_opt_out_rate,
            min_sample=min_sample or profile.audit_min_sample,
        )

    def to_api(self) -> dict[str, object]:
        return audit_thresholds_to_api(
            (self.violation_error_rate, self.violation_opt_out_rate),
            (self.suspension_error_rate, self.suspension_opt_out_rate),
            self.min_sample,
        )


@dataclass(frozen=True)
class Verdict:
    action: AuditAction
    error_rate: Fraction
    opt_out_rate: Fraction
    # Which rates reached the threshold of `action` ("error_rate", "opt_out_rate").
    breached: tuple[str, ...] = ()
    below_min_sample: bool = False


@dataclass(frozen=True)
class AuditWindow:
    """The hours a run audits: the current hour and the `hours - 1` before it, up to `end`."""

    start: datetime
    end: datetime
    hours: tuple[datetime, ...]


def audit_window(now: datetime, hours: int) -> AuditWindow:
    """The window of a run at `now`. The current, unfinished hour is included, so a location
    that goes wrong is caught by the next run, and `GET …/health` shows what that run will see."""
    if hours < 1:
        raise ValueError("the audit window is at least one hour")
    end = as_utc(now)
    current = end.replace(minute=0, second=0, microsecond=0)
    start = current - (hours - 1) * HOUR
    return AuditWindow(start=start, end=end, hours=tuple(start + index * HOUR for index in range(hours)))


def notice_until(now: datetime, hours: int) -> datetime:
    """Until when a notice given at `now` blocks the next one of the same level for the location.

    Once per window (docs/audit.md#once-per-window): the first run whose window shares no hour with the
    window of `now` is the first one at or after the start of `now`'s hour plus `hours`; the
    hourly runs before it, whose sliding windows still hold those hours, stay silent, and a
    later notice is always about hours the first did not cover.
    """
    return as_utc(now).replace(minute=0, second=0, microsecond=0) + hours * HOUR


def suspension_end(now: datetime, hours: int) -> datetime:
    """When an automatic suspension started at `now` ends (SuspensionHours, default 72)."""
    return as_utc(now) + hours * HOUR


def rate(part: int, sent: int) -> Fraction:
    """`part / sent`, exactly; 0 when nothing was sent (no sends, no rate to speak of)."""
    return Fraction(part, sent) if sent > 0 else Fraction(0)


def audit_verdict(counts: WindowCounts, thresholds: Thresholds) -> Verdict:
    """Error rate = (failed + undelivered) / sent, opt-out rate = opt-outs / sent;
    violation at ≥ 8 % or ≥ 1 %, suspension at ≥ 12.5 % or ≥ 2.5 %; nothing below the minimum sample
    (docs/policy.md#audit-thresholds)."""
    error_rate = rate(counts.errors, counts.sent)
    opt_out_rate = rate(counts.opt_outs, counts.sent)
    if counts.sent < thresholds.min_sample:
        return Verdict(AuditAction.NONE, error_rate, opt_out_rate, below_min_sample=True)
    for action, error_limit, opt_out_limit in (
        (AuditAction.SUSPENSION, thresholds.suspension_error_rate, thresholds.suspension_opt_out_rate),
        (AuditAction.VIOLATION, thresholds.violation_error_rate, thresholds.violation_opt_out_rate),
    ):
        breached = tuple(
            name
            for name, value, limit in (
                ("error_rate", error_rate, error_limit),
                ("opt_out_rate", opt_out_rate, opt_out_limit),
            )
            if value >= limit
        )
        if breached:
            return Verdict(action, error_rate, opt_out_rate, breached)
    return Verdict(AuditAction.NONE, error_rate, opt_out_rate)


def action_to_take(verdict: Verdict, location: Location, now: datetime) -> AuditAction:
    """A suspended location needs nothing more: it cannot send until the suspension ends."""
    if is_suspended(location, now):
        return AuditAction.NONE
    return verdict.action


def status_to_restore(verdict: Verdict, location: Location, now: datetime) -> bool:
    """True when the stored status should go back to `active`: a warned location whose window
    is back under the violation thresholds, or a suspension that has ended."""
    if location.status == "warned":
        return verdict.action == AuditAction.NONE
    return location.status == "suspended" and not is_suspended(location, now)
