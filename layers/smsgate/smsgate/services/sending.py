"""The send gate for one message (docs/policy.md#the-gate-order): checked, decorated, counted,
queued, or scheduled when it waits; a bulk is `smsgate.services.bulk_sending`.

The checks and records both share live in `smsgate.services.outgoing`."""

from datetime import datetime, timedelta
from typing import Any

from smsgate.dal import counters, locations, messages, sends, snowshoe
from smsgate.errors import SmsgateError, StorageUnavailable
from smsgate.models.entities import Location, Message, StatusChange
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.models.vocabulary import OverLimitReason
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy import gate
from smsgate.policy.brand_cap import next_brand_reset
from smsgate.policy.fingerprint import is_snowshoe_candidate, snowshoe_keys
from smsgate.policy.limits import counter_day, daily_limit, next_reset
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import volume_cap
from smsgate.policy.send_time import SendTime
from smsgate.reasons import ReasonCode
from smsgate.services import brand_cap, registration, send_later
from smsgate.services.outgoing import (
    Outgoing,
    check_location,
    check_recipient,
    content_refusal,
    enqueue_messages,
    limit_refusal,
    queued_message,
    refuse,
    snowshoe_refusal,
    snowshoe_refused,
)
from smsgate.services.profiles import profile_of


def warnings_field(body: str) -> dict[str, Any]:
    """`{"warnings": [...]}` for an accepted answer when the body has any, else nothing."""
    warnings = gate.content_warnings(body)
    return {"warnings": warnings} if warnings else {}


# ------------------------------------------------------------------ one message


# A racing send to the same contact changed its same-subject record between this send's read
# and its transaction: the send reads and decides again, this many times in all
# (docs/quiet-hours.md#storage).
SAME_SUBJECT_ATTEMPTS = 3


def send_message(request: SendMessageRequest, now: datetime) -> Message:
    """Gate one message (docs/policy.md#the-gate-order); returns the queued message or raises the refusal.

    Three AWS requests when accepted: one batched read, one transaction for the counters and
    the message, one queue send (docs/send-path.md). A message that waits (`send_at`, quiet
    hours, the same-subject limit, a deferral over the limit) is scheduled instead
    (`_schedule_one`): a few more requests.
    """
    send_later.check_send_at(request.send_at, now)
    for _ in range(SAME_SUBJECT_ATTEMPTS):
        message = _send_once(request, now)
        if message is not None:
            return message
    raise StorageUnavailable("The contact's messages kept changing while this one was decided; try again.")


def _send_once(request: SendMessageRequest, now: datetime) -> Message | None:
    """One read, one decision, one transaction; None when a racing send changed the contact's
    same-subject record meanwhile (the transaction then wrote nothing)."""
    reads = sends.read_for_send(request.location_id, request.from_number, request.to)
    location = locations.found_location(request.location_id, reads.location)
    check_location(location, [request.from_number], now)
    content = content_refusal(location, request.body)
    item = check_recipient(
        location, reads.contact, request.body, request.kind, request.from_number, now, content
    )
    subject_sends = reads.contact.subject_sends
    later = send_time_of(location, request, item, now, subject_sends)
    if later.due_at is not None:
        return _schedule_one(location, request, item, later, now)
    policy = send_later.quiet_hours_policy(location, request.quiet_hours)
    subject = send_later.same_subject_record(
        request.kind, item.to, policy, subject_sends, now, item.recorded_place
    )
    writes = _single_send_writes(location, request, item, now, subject)
    refused = sends.record_send(writes)
    if refused == "same_subject":
        return None
    if refused == "snowshoeing":
        refuse(snowshoe_refusal(location, request.from_number, {request.from_number}))
    if refused == "daily_limit" and request.when_over_limit == "defer":
        return _schedule_one(location, request, item, over_limit_time_of(location, request, item, now), now)
    if refused == "daily_limit":
        metrics.add_metric(name=f"Refused{ReasonCode.DAILY_LIMIT_REACHED}", unit=MetricUnit.Count, value=1)
        raise limit_refusal(location, now)
    if refused == "volume_cap":
        metrics.add_metric(name=f"Refused{ReasonCode.VOLUME_CAP_REACHED}", unit=MetricUnit.Count, value=1)
        raise registration.volume_refusal(location, now)
    if refused == "brand_cap" and request.when_over_limit == "defer":
        return _schedule_one(
            location, request, item, over_limit_time_of(location, request, item, now, "brand_cap"), now
        )
    if refused == "brand_cap":
        raise _brand_cap_refused(location, now)
    try:
        queued = enqueue_messages(location, [writes.message], now)
    except Exception:
        _give_back(writes, item)
        messages.advance_status(writes.message.message_id, StatusChange(status="failed", at=now), ["queued"])
        raise
    if not queued:
        _give_back(writes, item)
        raise StorageUnavailable("The outbound queue did not take the message; nothing was sent.")
    metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=1)
    logger.info("message accepted", extra={"message_id": queued[0].message_id, "segments": item.segments})
    return queued[0]


# ------------------------------------------------------------------ messages that wait
# (docs/scheduling.md#at-the-send-gate): kept out of the path of a message that goes now.


def send_time_of(
    location: Location,
    request: SendMessageRequest | BulkSendRequest,
    item: Outgoing,
    now: datetime,
    subject_sends: tuple[datetime, ...] = (),
) -> SendTime:
    """When the message goes: now, at its `send_at`, or when the recipient's quiet hours and
    same-subject limit allow; raises QUIET_HOURS or SAME_SUBJECT_LIMIT when they hold it and
    the action is `refuse`."""
    policy = send_later.quiet_hours_policy(location, request.quiet_hours)
    when = send_later.send_time(
        request.kind, item.to, now, policy, request.send_at, subject_sends, item.recorded_place
    )
    if isinstance(when, Refusal):
        refuse(when)
        raise AssertionError("refuse raises")
    return when


def over_limit_time_of(
    location: Location,
    request: SendMessageRequest | BulkSendRequest,
    item: Outgoing,
    now: datetime,
    reason: OverLimitReason = "daily_limit",
) -> SendTime:
    """The minute a message the daily limit or the brand's T-Mobile cap (`reason`) stopped waits
    for (`when_over_limit: defer`): that cap's next reset, then the recipient's quiet hours."""
    profile = profile_of(location)
    reset = next_brand_reset(now, profile) if reason == "brand_cap" else next_reset(now, profile)
    policy = send_later.quiet_hours_policy(location, request.quiet_hours)
    return send_later.over_limit_time(request.kind, item.to, reset, policy, reason, item.recorded_place)


def _schedule_one(
    location: Location, request: SendMessageRequest, item: Outgoing, when: SendTime, now: datetime
) -> Message:
    """A single message that waits: row 9 recorded now (the body is decided on at acceptance,
    docs/scheduling.md#release), then the message scheduled; the daily limit counts it on the
    day it is released."""
    if is_snowshoe_candidate(request.body, request.kind):
        refused = snowshoe_refused(location, request.body, [request.from_number], now)
        refuse(snowshoe_refusal(location, request.from_number, refused))
    (message,) = send_later.schedule(
        location, [(item, when)], request.kind, now, request.expires_in, request.when_over_limit
    )
    logger.info("message scheduled", extra={"message_id": message.message_id, "reason": when.reason})
    return message


def accepted_fields(message: Message) -> dict[str, Any]:
    """`scheduled_for` and `reason` in the 202 answer of a scheduled message; nothing for a queued one."""
    if message.status != "scheduled" or message.scheduled_for is None:
        return {}
    return {"scheduled_for": message.scheduled_for.isoformat(), "reason": message.history[0].reason}


def _single_send_writes(
    location: Location,
    request: SendMessageRequest,
    item: Outgoing,
    now: datetime,
    subject: tuple[tuple[datetime, ...], tuple[datetime, ...]] | None,
) -> sends.SendWrites:
    """Rows 9-10 for one message as the transaction's conditions: the body's fingerprint on the
    sending number, one unit of the daily limit, its segments of a low-volume brand's cap; and
    the contact's same-subject record (`subject`: as read, as written) when the message counts."""
    profile = profile_of(location)
    day = counter_day(now, profile)
    expiry = counters.daily_expiry(day)
    snowshoe_actions: list[dict[str, Any]] = []
    if is_snowshoe_candidate(request.body, request.kind):
        snowshoe_actions = snowshoe.sender_updates(
            location.location_id,
            snowshoe_keys(request.body),
            request.from_number,
            now,
            timedelta(hours=profile.snowshoe_window_hours),
            profile.snowshoe_max_numbers,
        )
    daily_key = counters.daily_key(location.location_id, day)
    limit = daily_limit(location.created_at, now, profile)
    cap = volume_cap(location, profile.low_volume_daily_segments)
    volume_key = counters.volume_key(location.location_id, day)
    return sends.SendWrites(
        snowshoe=snowshoe_actions,
        daily=counters.reservation(daily_key, limit, 1, expiry),
        volume=None if cap is None else counters.reservation(volume_key, cap, item.segments, expiry),
        brand=brand_cap.transaction_action(location, item.to, item.segments, now),
        message=queued_message(location, item, request.kind, now, request.expires_in),
        introduced_at=item.introduced_at,
        subject=subject,
    )


def _give_back(writes: sends.SendWrites, item: Outgoing) -> None:
    """Release what the transaction reserved for a message the queue did not take."""
    counters.release(writes.daily["Key"]["pk"], 1)
    if writes.volume is not None:
        counters.release(writes.volume["Key"]["pk"], item.segments)
    brand_cap.release_action(writes.brand, item.segments)


def _brand_cap_refused(location: Location, now: datetime) -> SmsgateError:
    """The single send's answer when the brand's T-Mobile cap is spent and its sender did not ask
    to defer (a deferral waits for `policy.brand_cap.next_brand_reset`, as the daily limit's)."""
    metrics.add_metric(name=f"Refused{ReasonCode.BRAND_CAP_REACHED}", unit=MetricUnit.Count, value=1)
    return brand_cap.refusal(location, now)
