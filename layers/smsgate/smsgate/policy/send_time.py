"""When an accepted message goes out: now, or the minute it is scheduled for, and why.

Pure decisions (docs/scheduling.md): the sender's `send_at`, the recipient's quiet hours
(`smsgate.policy.quiet_hours`) and, for what the daily limit stops, the limit's reset. The
schedule is released minute by minute, so a message waits for the first whole minute at or
after the instant it may go: it never goes before the time its sender gave.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smsgate.models.vocabulary import ScheduleReason
from smsgate.policy import quiet_hours
from smsgate.policy.quiet_hours import QuietHoursPolicy, RecipientPlace
from smsgate.policy.refusal import Refusal
from smsgate.reasons import ReasonCode

MINUTE = timedelta(minutes=1)
# How far ahead `send_at` may be (docs/scheduling.md#send_at): at least a minute, so that the
# schedule, not the request, sends it; at most 30 days, the schedule's horizon.
SEND_AT_MIN_AHEAD = MINUTE
SEND_AT_MAX_AHEAD = timedelta(days=30)


@dataclass(frozen=True)
class SendTime:
    """`due_at` None: the message goes now. Else the whole minute it is due and why."""

    due_at: datetime | None = None
    reason: ScheduleReason | None = None


NOW = SendTime()


def whole_minute_from(moment: datetime) -> datetime:
    """The first whole minute at or after `moment` (UTC)."""
    moment = moment.astimezone(UTC)
    minute = moment.replace(second=0, microsecond=0)
    return minute if minute == moment else minute + MINUTE


def send_at_refusal(send_at: datetime | None, now: datetime) -> Refusal | None:
    """400 when `send_at` is less than a minute or more than 30 days ahead of `now`."""
    if send_at is None:
        return None
    ahead = send_at - now
    if SEND_AT_MIN_AHEAD <= ahead <= SEND_AT_MAX_AHEAD:
        return None
    problem = "must be at least 1 minute and at most 30 days ahead"
    return Refusal(
        ReasonCode.VALIDATION_ERROR,
        f"send_at: {problem}",
        {"fields": [{"field": "send_at", "problem": problem}]},
    )


def when_to_send(
    kind: str,
    place: RecipientPlace,
    now: datetime,
    policy: QuietHoursPolicy,
    send_at: datetime | None = None,
) -> SendTime | Refusal:
    """Now, `send_at`, or the first minute from then that the recipient's quiet hours allow;
    or, when the policy's action is `refuse` and the quiet hours hold it, 422 `QUIET_HOURS`
    with `allowed_from` (also when no minute of the next week is allowed: `allowed_from` null)."""
    start = send_at if send_at is not None else now
    decision = quiet_hours.decide(kind, place, start, policy)
    if decision.allowed:
        return NOW if send_at is None else SendTime(whole_minute_from(send_at), "send_at")
    if policy.action == "refuse" or decision.allowed_from is None:
        allowed_from = decision.allowed_from.isoformat() if decision.allowed_from else None
        return Refusal(
            ReasonCode.QUIET_HOURS,
            "The recipient's quiet hours do not allow this message now.",
            {"allowed_from": allowed_from, "held_by": list(decision.held_by)},
        )
    return SendTime(whole_minute_from(decision.allowed_from), "quiet_hours")


def after_reset(
    kind: str, place: RecipientPlace, reset: datetime, policy: QuietHoursPolicy = quiet_hours.DEFAULT_POLICY
) -> datetime:
    """The minute a message the daily limit stopped is due (docs/scheduling.md#deferral): the
    first whole minute after the limit's `reset` (a reset at 00:00:01 is due at 00:01, when a
    release counts against the new day), or the first after it its quiet hours allow. A policy
    that never allows one falls back on the reset: the release gates it again."""
    decision = quiet_hours.decide(kind, place, reset, policy)
    return whole_minute_from(decision.allowed_from or reset)
