"""When an accepted message goes out: now, or the minute it is scheduled for, and why.

Pure decisions (docs/scheduling.md): the sender's `send_at`, the recipient's quiet hours
(`smsgate.policy.quiet_hours`) and, for what the daily limit stops, the limit's reset. The
schedule is released minute by minute, so a message waits for the first whole minute at or
after the instant it may go: it never goes before the time its sender gave.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smsgate.models.vocabulary import ScheduleReason
from smsgate.policy import quiet_hours
from smsgate.policy.quiet_hours import QuietHoursDecision, QuietHoursPolicy, RecipientPlace
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


@dataclass(frozen=True)
class FirstAllowed:
    """The first instant from a start at which both the recipient's quiet hours and its
    same-subject limit allow a message (`at`; None when no minute of the next week is)."""

    at: datetime | None
    # The quiet hours' answer at the start.
    hours: QuietHoursDecision
    # The same-subject limit moved `at` past what the quiet hours alone allow.
    by_same_subject: bool = False
    limit: int | None = None

    @property
    def allowed_at_start(self) -> bool:
        return self.hours.allowed and not self.by_same_subject


def first_allowed(
    kind: str,
    place: RecipientPlace,
    start: datetime,
    policy: QuietHoursPolicy,
    subject_sends: Sequence[datetime] = (),
) -> FirstAllowed:
    """The first instant at or after `start` that the quiet hours allow and at which the
    contact's counted sends (`subject_sends`) leave room under its same-subject limit
    (docs/quiet-hours.md#same-subject-limits). Each round moves past the oldest send that
    counts, so the search ends within as many rounds as there are sends."""
    hours = quiet_hours.decide(kind, place, start, policy)
    moment, by_subject, limit = hours.allowed_from, False, None
    while moment is not None:
        subject = quiet_hours.check_same_subject(kind, place.states, subject_sends, moment, policy)
        limit = subject.limit
        if subject.allowed or subject.allowed_from is None:
            break
        by_subject = True
        moment = quiet_hours.decide(kind, place, subject.allowed_from, policy).allowed_from
    return FirstAllowed(moment, hours, by_subject, limit)


def when_to_send(
    kind: str,
    place: RecipientPlace,
    now: datetime,
    policy: QuietHoursPolicy,
    send_at: datetime | None = None,
    subject_sends: Sequence[datetime] = (),
) -> SendTime | Refusal:
    """Now, `send_at`, or the first minute from then that the recipient's quiet hours and its
    same-subject limit allow; or, when the policy's action is `refuse` and either holds it, 422
    `QUIET_HOURS` (the quiet hours hold it at that time) or `SAME_SUBJECT_LIMIT` (only the
    limit does), with `allowed_from` (null when no minute of the next week is allowed)."""
    start = send_at if send_at is not None else now
    first = first_allowed(kind, place, start, policy, subject_sends)
    if first.allowed_at_start:
        return NOW if send_at is None else SendTime(whole_minute_from(send_at), "send_at")
    if policy.action == "refuse" or first.at is None:
        return _refusal(first, place)
    return SendTime(whole_minute_from(first.at), "same_subject" if first.by_same_subject else "quiet_hours")


def same_subject_hold(
    kind: str,
    place: RecipientPlace,
    now: datetime,
    policy: QuietHoursPolicy,
    subject_sends: Sequence[datetime],
) -> SendTime | Refusal | None:
    """At a scheduled message's release: None when its same-subject limit lets it go now; else
    the minute it waits for (`same_subject`), or 422 `SAME_SUBJECT_LIMIT` when the location's
    action is `refuse` (docs/quiet-hours.md#at-the-release). Its quiet hours were decided when
    it was scheduled: they alone do not hold it here."""
    if quiet_hours.check_same_subject(kind, place.states, subject_sends, now, policy).allowed:
        return None
    first = first_allowed(kind, place, now, policy, subject_sends)
    if policy.action == "refuse" or first.at is None:
        return _same_subject_refusal(first, place)
    return SendTime(whole_minute_from(first.at), "same_subject")


def _refusal(first: FirstAllowed, place: RecipientPlace) -> Refusal:
    if first.hours.allowed:
        return _same_subject_refusal(first, place)
    return Refusal(
        ReasonCode.QUIET_HOURS,
        "The recipient's quiet hours do not allow this message now.",
        {"allowed_from": _iso(first.at), "held_by": list(first.hours.held_by)},
    )


def _same_subject_refusal(first: FirstAllowed, place: RecipientPlace) -> Refusal:
    return Refusal(
        ReasonCode.SAME_SUBJECT_LIMIT,
        f"The recipient already got {first.limit} marketing messages from this location in the "
        "last 24 hours, as many as the law of their state allows on the same subject.",
        {
            "allowed_from": _iso(first.at),
            "limit": first.limit,
            "held_by": list(quiet_hours.same_subject_rules(place.states)),
        },
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def after_reset(
    kind: str, place: RecipientPlace, reset: datetime, policy: QuietHoursPolicy = quiet_hours.DEFAULT_POLICY
) -> datetime:
    """The minute a message the daily limit stopped is due (docs/scheduling.md#deferral): the
    first whole minute after the limit's `reset` (a reset at 00:00:01 is due at 00:01, when a
    release counts against the new day), or the first after it its quiet hours allow. A policy
    that never allows one falls back on the reset: the release gates it again."""
    decision = quiet_hours.decide(kind, place, reset, policy)
    return whole_minute_from(decision.allowed_from or reset)
