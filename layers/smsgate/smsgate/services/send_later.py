"""The send gate's side of the schedule (docs/scheduling.md): when an accepted message goes
(now, at its `send_at`, or at the first minute its recipient's quiet hours allow), and recording
the messages that wait. The daily limit is not counted here: a scheduled message counts on the
day it is released (docs/scheduling.md#release).

Kept apart from `smsgate.services.sending`, whose hot path (a message that goes now) it leaves
as it is: a send that waits costs a few more requests.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from smsgate.errors import SmsgateError
from smsgate.models.entities import ContactPlace, Location, Message, StatusChange
from smsgate.models.vocabulary import MessageKind, OverLimitReason, QuietHoursAction, WhenOverLimit
from smsgate.observability import MetricUnit, metrics
from smsgate.policy.quiet_hours import (
    QuietHoursPolicy,
    counts_toward_same_subject,
    is_held_kind,
    place_of_recipient,
    same_subject_limit,
    with_counted_send,
)
from smsgate.policy.refusal import Refusal
from smsgate.policy.send_time import NOW, SendTime, after_reset, send_at_refusal, when_to_send
from smsgate.services.outgoing import Outgoing, new_message


def check_send_at(send_at: datetime | None, now: datetime) -> None:
    """400 VALIDATION_ERROR unless `send_at` is 1 minute to 30 days ahead."""
    refusal = send_at_refusal(send_at, now)
    if refusal is not None:
        raise SmsgateError.from_refusal(refusal)


def quiet_hours_policy(location: Location, action: QuietHoursAction | None) -> QuietHoursPolicy:
    """The location's quiet hours, with the request's action when it gives one."""
    return location.quiet_hours.policy(action)


def send_time(
    kind: str,
    to: str,
    now: datetime,
    policy: QuietHoursPolicy,
    send_at: datetime | None,
    subject_sends: tuple[datetime, ...] = (),
    recorded: ContactPlace | None = None,
) -> SendTime | Refusal:
    """Now, or the minute the message is due and why; a Refusal (QUIET_HOURS, or
    SAME_SUBJECT_LIMIT for a contact past its state's same-subject limit) when the action is
    `refuse`. `subject_sends`: the contact's counted sends (docs/quiet-hours.md#same-subject-limits);
    `recorded`: where its contact's record places it (docs/quiet-hours.md#where-the-recipient-is)."""
    if send_at is None and not is_held_kind(kind, policy):
        # A kind quiet hours never hold skips the number's lookup (a conversation's hot path).
        return NOW
    place = place_of_recipient(to, recorded)
    if same_subject_limit(place.states) is None:
        # Only a state with a limit reads the record: the others share the cache's answers.
        subject_sends = ()
    return _when_to_send(kind, place, now, policy, send_at, subject_sends)


def same_subject_record(
    kind: str,
    to: str,
    policy: QuietHoursPolicy,
    subject_sends: tuple[datetime, ...],
    at: datetime,
    recorded: ContactPlace | None = None,
) -> tuple[tuple[datetime, ...], tuple[datetime, ...]] | None:
    """(the record read, the record to write) when a message of `kind` to `to` going at `at`
    counts toward a same-subject limit (the states of its recorded place, else its number's);
    None when it does not."""
    states = place_of_recipient(to, recorded).states
    if not is_held_kind(kind, policy) or not counts_toward_same_subject(kind, states, policy):
        return None
    return subject_sends, with_counted_send(subject_sends, at)


# A bulk's recipients share a few places: each place is decided once per request.
_when_to_send = lru_cache(maxsize=256)(when_to_send)


def over_limit_time(
    kind: str,
    to: str,
    reset: datetime,
    policy: QuietHoursPolicy,
    reason: OverLimitReason,
    recorded: ContactPlace | None = None,
) -> SendTime:
    """When a message the daily limit or the brand's T-Mobile cap (`reason`) stops goes, its
    sender having said `defer`: the first minute after that cap's reset its quiet hours allow."""
    return SendTime(after_reset(kind, place_of_recipient(to, recorded), reset, policy), reason)


def schedule(
    location: Location,
    waiting: Sequence[tuple[Outgoing, SendTime]],
    kind: MessageKind,
    now: datetime,
    expires_in: int | None,
    when_over_limit: WhenOverLimit,
) -> list[Message]:
    """Record each message `scheduled` for its minute, with why in its history, and put it in
    the schedule with the body as it will go. Returns the messages."""
    # Imported by the first message that waits: the schedule's service is mostly the release's,
    # and a message that goes now never needs it (docs/performance.md#cold-imports).
    from smsgate.models.schedule import ScheduledMessage
    from smsgate.services.scheduling import schedule_messages

    created: list[Message] = []
    entries: list[ScheduledMessage] = []
    for item, when in waiting:
        assert when.due_at is not None and when.reason is not None
        message_id = str(uuid.uuid4())
        introduces = item.introduced_at is not None and item.introduced_at == now
        history = (StatusChange(status="scheduled", at=now, reason=when.reason),)
        message = new_message(location, item, kind, now, message_id, history, when.due_at)
        created.append(message)
        entries.append(ScheduledMessage.of(message, when.reason, expires_in, when_over_limit, introduces))
    if created:
        schedule_messages(created, entries)
        for reason in {when.reason for _, when in waiting}:
            count = sum(1 for _, when in waiting if when.reason == reason)
            metrics.add_metric(name=f"Scheduled{reason}", unit=MetricUnit.Count, value=count)
    return created
