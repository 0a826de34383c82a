"""Releasing scheduled messages when their minute comes (docs/scheduling.md#release).

A run at `now` (the EventBridge rule, every minute):
1. reads the cursor: the last minute already released or handed over (the current minute is
   read again by the next run); after an outage the run starts there, so every minute due and
   not released is caught up (at most MAX_MINUTES_PER_RUN a run, oldest first: the next runs
   go on from where it stopped);
2. releases minute by minute and shard by shard itself, up to `release_inline_messages`
   messages; every minute-shard past that is one message on the release queue, consumed by the
   same function, one minute-shard per record (partial batch failures, then the DLQ);
3. moves the cursor to the last minute it covered.

Releasing a message: claim it (`scheduled` → `released`, conditional, so exactly once however
many runs or records see it), check again what may have changed since it was accepted
(suspension, the sender, registration, DND, consent, the daily limit, a low-volume cap and the
brand's T-Mobile cap), and hand what passes to the dispatcher's queue (`hand_to_dispatcher`);
what a daily cap stops waits for its reset when its sender said `defer`; what fails ends
`failed` with the gate's reason code in its history.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from smsgate.dal import contacts, counters, locations, messages, outbound, schedule
from smsgate.models.entities import Contact, Location, Message, StatusChange
from smsgate.models.moments import as_utc
from smsgate.models.schedule import ScheduledMessage
from smsgate.models.vocabulary import OverLimitReason, ScheduleReason
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy import gate
from smsgate.policy.brand_cap import next_brand_reset
from smsgate.policy.limits import counter_day, daily_limit, next_reset
from smsgate.policy.quiet_hours import (
    RecipientPlace,
    counts_toward_same_subject,
    place_of_recipient,
    with_counted_send,
)
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import pacing_fields
from smsgate.policy.send_time import after_reset, same_subject_hold
from smsgate.policy.validity import validity_seconds
from smsgate.reasons import ReasonCode
from smsgate.services import brand_cap, registration
from smsgate.services.profiles import profile_of
from smsgate.settings import get_settings

MINUTE = timedelta(minutes=1)
# A first run (no cursor yet) looks this far back for messages due before it.
FIRST_RUN_LOOKBACK = timedelta(minutes=5)
# Minutes one run covers; a longer outage is caught up over the next runs, oldest first.
MAX_MINUTES_PER_RUN = 180
# Messages of a minute-shard claimed and gated together: each location among them costs one
# read of its record, one of its contacts per hundred and one reservation of its daily limit.
GATED_TOGETHER = 1000


@dataclass
class ReleaseTally:
    released: int = 0
    failed: int = 0
    # Over the daily limit or the brand's T-Mobile cap with `when_over_limit: defer`: scheduled
    # again for that cap's next reset.
    deferred: int = 0
    # Already released or canceled when this worker came to them.
    taken: int = 0

    def __iadd__(self, other: "ReleaseTally") -> "ReleaseTally":
        self.released += other.released
        self.failed += other.failed
        self.deferred += other.deferred
        self.taken += other.taken
        return self

    @property
    def handled(self) -> int:
        return self.released + self.failed + self.deferred + self.taken


def schedule_messages(scheduled: list[Message], due: list[ScheduledMessage]) -> None:
    """Record `scheduled` (status `scheduled`, `scheduled_for` set, the reason in its history)
    and put them in the schedule. The message first: a schedule entry always has its message."""
    if len(scheduled) == 1:
        messages.put_message(scheduled[0])
    elif scheduled:
        messages.put_messages(scheduled)
    schedule.put_scheduled(due)


CancelOutcome = Literal["canceled", "not_scheduled", "not_found"]


def cancel_scheduled(message_id: str, now: datetime) -> CancelOutcome:
    """Take back a scheduled message: `canceled`, or `not_scheduled` once its release claimed it
    (or it was never scheduled), or `not_found`."""
    message = messages.get_message(message_id)
    if message is None:
        return "not_found"
    if message.status != "scheduled" or message.scheduled_for is None:
        return "not_scheduled"
    if not schedule.cancel(message_id, message.scheduled_for, now):
        return "not_scheduled"
    messages.advance_status(message_id, StatusChange(status="canceled", at=now), ["scheduled"])
    return "canceled"


def run_release(now: datetime) -> dict[str, Any]:
    """The scheduled run (steps 1-3 of the module doc); returns its report."""
    settings = get_settings()
    current = schedule.minute_of(now)
    cursor = schedule.release_cursor()
    first = cursor + MINUTE if cursor is not None else current - FIRST_RUN_LOOKBACK
    minutes: list[datetime] = []
    minute = first
    while minute <= current and len(minutes) < MAX_MINUTES_PER_RUN:
        minutes.append(minute)
        minute += MINUTE
    budget = settings.release_inline_messages
    tally = ReleaseTally()
    handed_over: list[dict[str, Any]] = []
    for minute in minutes:
        for shard in range(schedule.SHARDS):
            if budget <= 0 and settings.release_queue_url:
                handed_over.append(_chunk(minute, shard, None))
                continue
            done, start = release_shard(minute, shard, now, budget if settings.release_queue_url else None)
            tally += done
            budget -= done.handled
            if start is not None:
                handed_over.append(_chunk(minute, shard, start))
    _fan_out(handed_over)
    if minutes:
        # The current minute is read again by the next run: a message scheduled for it while
        # this run was reading (a quiet-hours opening decided a moment ago) is not left behind.
        schedule.advance_release_cursor(min(minutes[-1], current - MINUTE))
    report = {
        "at": as_utc(now).isoformat(),
        "minutes": len(minutes),
        "from": minutes[0].isoformat() if minutes else None,
        "to": minutes[-1].isoformat() if minutes else None,
        **asdict(tally),
        "queued_chunks": len(handed_over),
    }
    if tally.handled or handed_over:
        logger.info("scheduled messages released", extra={"report": report})
    return report


def release_chunk(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One minute-shard handed over by a run: released to its end."""
    minute = datetime.fromisoformat(str(body["minute"]))
    tally, _ = release_shard(minute, int(body["shard"]), now, None, body.get("start"))
    return {"minute": minute.isoformat(), "shard": body["shard"], **asdict(tally)}


def release_shard(
    minute: datetime,
    shard: int,
    now: datetime,
    at_most: int | None = None,
    start: dict[str, Any] | None = None,
) -> tuple[ReleaseTally, dict[str, Any] | None]:
    """Release the minute-shard, read page by page and released GATED_TOGETHER messages at a
    time (a location's messages among them gated with one read of each kind); stops after
    `at_most` messages (None: all) and answers where the rest starts (None: nothing left)."""
    tally = ReleaseTally()
    due: list[ScheduledMessage] = []
    while True:
        page, start = schedule.due_page(minute, shard, start)
        due += page
        enough = at_most is not None and tally.handled + len(due) >= at_most
        if start is None or enough or len(due) >= GATED_TOGETHER:
            tally += release_messages(due, now)
            due = []
        if start is None or (at_most is not None and tally.handled >= at_most):
            return tally, start


def release_messages(due: list[ScheduledMessage], now: datetime) -> ReleaseTally:
    """Claim each message, then gate and queue the claimed ones, a location at a time."""
    tally = ReleaseTally()
    claimed = [item for item in due if schedule.claim_release(item.message_id, item.due_at, now)]
    tally.taken = len(due) - len(claimed)
    by_location: dict[str, list[ScheduledMessage]] = defaultdict(list)
    for item in claimed:
        by_location[item.location_id].append(item)
    found = locations.get_locations(list(by_location)) if by_location else {}
    for location_id, group in by_location.items():
        location = found.get(location_id)
        if location is None:
            _fail(group, ReasonCode.LOCATION_NOT_FOUND, now)
            tally.failed += len(group)
            continue
        released, deferred = hand_to_dispatcher(location, group, now)
        tally.released += released
        tally.deferred += deferred
        tally.failed += len(group) - released - deferred
    return tally


def hand_to_dispatcher(location: Location, due: list[ScheduledMessage], now: datetime) -> tuple[int, int]:
    """Gate `due` (one location's claimed messages) again and queue what passes for the
    dispatcher; what the same-subject limit holds, or the daily limit or the brand's cap stops
    and may wait, is scheduled again; the rest end `failed` with their reason code. Returns how
    many were queued and how many deferred.

    The checks are those of the send gate that can change between the acceptance and the
    release; content and snowshoeing were decided on the body when it was accepted."""
    passing: list[ScheduledMessage] = []
    suspended = gate.check_suspension(location, now)
    if suspended is not None:
        _fail(due, suspended.code, now)
        return 0, 0
    known = contacts.load_contacts(location.location_id, [(item.from_number, item.to) for item in due])
    window = timedelta(hours=get_settings().responsive_window_hours)
    for item in due:
        contact = known[item.to]
        refusal = _first(
            gate.check_sender(location, item.from_number),
            registration.gate_refusal(location, item.from_number, item.to),
            gate.check_dnd(contact),
            gate.check_consent(contact, item.kind, now, window),
        )
        if refusal is None:
            passing.append(item)
        else:
            _fail([item], refusal.code, now)
    # Where each recipient is: its contact's recorded place, else its number
    # (docs/quiet-hours.md#where-the-recipient-is), decided once for every check that follows.
    places = {item.to: place_of_recipient(item.to, known[item.to].place) for item in passing}
    passing, waiting = _within_same_subject(location, passing, known, now, places)
    # When each contact was introduced, kept as it is by a release that does not introduce it.
    introduced = {item.to: known[item.to].introduced_at for item in passing}
    subject_sends = {item.to: known[item.to].subject_sends for item in passing}
    released, deferred = _queue_within_limits(location, passing, now, introduced, subject_sends, places)
    return released, deferred + waiting


def _within_same_subject(
    location: Location,
    items: list[ScheduledMessage],
    known: dict[str, Contact],
    now: datetime,
    places: dict[str, RecipientPlace],
) -> tuple[list[ScheduledMessage], int]:
    """The same-subject limit at the release (docs/quiet-hours.md#at-the-release), counting the
    messages this release lets through before each one: those that pass, and how many were
    scheduled again for the first minute the limit and the quiet hours allow; with the location's
    action `refuse`, the others end `failed` (SAME_SUBJECT_LIMIT)."""
    policy = location.quiet_hours.policy()
    records = {item.to: known[item.to].subject_sends for item in items}
    passing: list[ScheduledMessage] = []
    again: list[ScheduledMessage] = []
    for item in items:
        place = places[item.to]
        if not counts_toward_same_subject(item.kind, place.states, policy):
            passing.append(item)
            continue
        hold = same_subject_hold(item.kind, place, now, policy, records[item.to])
        if hold is None:
            records[item.to] = with_counted_send(records[item.to], now)
            passing.append(item)
        elif isinstance(hold, Refusal):
            _fail([item], hold.code, now)
        else:
            assert hold.due_at is not None
            again.append(item.model_copy(update={"due_at": hold.due_at, "reason": "same_subject"}))
    return passing, _schedule_again(again, "same_subject", now)


def _queue_within_limits(
    location: Location,
    passing: list[ScheduledMessage],
    now: datetime,
    introduced: dict[str, datetime | None],
    subject_sends: dict[str, tuple[datetime, ...]],
    places: dict[str, RecipientPlace],
) -> tuple[int, int]:
    """The daily limit counts a message on the day it is released (one reservation for the
    group), then a low-volume brand's segment cap, then the brand's T-Mobile cap; what the daily
    limit or the brand's cap stops waits for that cap's reset when its sender said `defer`, the
    rest fail with the code that stopped it."""
    if not passing:
        return 0, 0
    profile = profile_of(location)
    day = counter_day(now, profile)
    key = counters.daily_key(location.location_id, day)
    granted, _ = counters.reserve(
        key, daily_limit(location.created_at, now, profile), len(passing), counters.daily_expiry(day)
    )
    over = passing[granted:]
    waiting = [item for item in over if item.when_over_limit == "defer"]
    _fail([item for item in over if item.when_over_limit != "defer"], ReasonCode.DAILY_LIMIT_REACHED, now)
    deferred = defer_to_reset(location, waiting, next_reset(now, profile), now, "daily_limit", places)
    volume = registration.reserve_volume(location, [item.segments for item in passing[:granted]], now)
    counters.release(key, granted - volume.accepted)
    _fail(passing[volume.accepted : granted], ReasonCode.VOLUME_CAP_REACHED, now)
    accepted, brand, brand_deferred = _within_brand_cap(location, passing[: volume.accepted], now, places)
    deferred += brand_deferred
    # What the brand's cap stopped, failed or deferred, gives back its unit of the daily limit:
    # a deferred message counts on the day of its next release, once.
    refused_by_brand = volume.accepted - len(accepted)
    counters.release(key, refused_by_brand)
    volume.release(volume.reserved - sum(item.segments for item in accepted))
    try:
        queued = _queue(location, accepted, now, introduced, subject_sends, places)
    except Exception:
        counters.release(key, len(accepted))
        volume.release(sum(item.segments for item in accepted))
        brand.release()
        raise
    if len(queued) < len(accepted):
        counters.release(key, len(accepted) - len(queued))
        not_queued = [item for item in accepted if item.message_id not in queued]
        volume.release(sum(item.segments for item in not_queued))
        brand.release(brand_cap.counted_segments(not_queued))
    metrics.add_metric(name="ReleasedScheduled", unit=MetricUnit.Count, value=len(queued))
    return len(queued), deferred


def _within_brand_cap(
    location: Location,
    items: list[ScheduledMessage],
    now: datetime,
    places: dict[str, RecipientPlace],
) -> tuple[list[ScheduledMessage], brand_cap.BrandReservation, int]:
    """The brand's T-Mobile cap on the release day, after the daily limit and the low-volume cap
    (docs/registration.md#t-mobile-brand-cap): what does not fit waits for the brand's next
    reset when its sender said `defer` (docs/scheduling.md#deferral-at-the-release), else ends
    `failed` (BRAND_CAP_REACHED). Returns what passed, the reservation and how many were deferred."""
    brand = brand_cap.reserve(location, [item.to for item in items], [item.segments for item in items], now)
    over = [item for item, ok in zip(items, brand.passed, strict=True) if not ok]
    _fail([item for item in over if item.when_over_limit != "defer"], ReasonCode.BRAND_CAP_REACHED, now)
    waiting = [item for item in over if item.when_over_limit == "defer"]
    reset = next_brand_reset(now, profile_of(location))
    deferred = defer_to_reset(location, waiting, reset, now, "brand_cap", places)
    return [item for item, ok in zip(items, brand.passed, strict=True) if ok], brand, deferred


def defer_to_reset(
    location: Location,
    items: list[ScheduledMessage],
    reset: datetime,
    now: datetime,
    reason: OverLimitReason,
    places: dict[str, RecipientPlace],
) -> int:
    """Schedule `items` again for the `reset` of the cap that stopped them (`reason`), or the
    first minute after it that their recipient's quiet hours allow under the location's policy
    (`places`: where each recipient is). The new schedule entry first: a message that says it is
    due then always has one (one canceled meanwhile leaves an entry its release will find not
    scheduled). Returns how many were deferred."""
    if not items:
        return 0
    policy = location.quiet_hours.policy(None)
    again: list[ScheduledMessage] = []
    for item in items:
        due = after_reset(item.kind, places[item.to], reset, policy)
        again.append(item.model_copy(update={"due_at": due, "reason": reason}))
    deferred = _schedule_again(again, reason, now)
    metrics.add_metric(name=f"ReleaseDeferred{reason}", unit=MetricUnit.Count, value=len(again))
    return deferred


def _schedule_again(again: list[ScheduledMessage], reason: ScheduleReason, now: datetime) -> int:
    """Put `again` in the schedule for their new minute, then move each message's
    `scheduled_for` there with `reason` in its history. Returns how many moved."""
    if not again:
        return 0
    schedule.put_scheduled(again)
    change = StatusChange(status="scheduled", at=now, reason=reason)
    return sum(1 for item in again if messages.reschedule(item.message_id, item.due_at, change))


def _queue(
    location: Location,
    accepted: list[ScheduledMessage],
    now: datetime,
    introduced: dict[str, datetime | None],
    subject_sends: dict[str, tuple[datetime, ...]],
    places: dict[str, RecipientPlace],
) -> set[str]:
    """`scheduled` → `queued`, then the outbound queue; a message SQS refused ends `failed`.
    The contact's record keeps when it was introduced: now for a message that introduces the
    location, else as it was (docs/policy.md#sender-id); and its same-subject record, with each
    message sent that counts (docs/quiet-hours.md#at-the-release)."""
    moved = [
        item
        for item in accepted
        if messages.advance_status(item.message_id, StatusChange(status="queued", at=now), ["scheduled"])
    ]
    records = [
        outbound.OutboundRecord(
            **item.addressing(),
            kind=item.kind,
            expires_at=now + timedelta(seconds=validity_seconds(item.kind, item.expires_in)),
            **pacing_fields(location),
        )
        for item in moved
    ]
    not_queued = set(outbound.enqueue(records)) if records else set()
    for message_id in not_queued:
        messages.advance_status(
            message_id,
            StatusChange(status="failed", at=now, reason=str(ReasonCode.SERVICE_UNAVAILABLE)),
            ["queued"],
        )
    sent = [item for item in moved if item.message_id not in not_queued]
    if sent:
        policy = location.quiet_hours.policy()
        kept = dict(subject_sends)
        for item in sent:
            if counts_toward_same_subject(item.kind, places[item.to].states, policy):
                kept[item.to] = with_counted_send(kept.get(item.to, ()), now)
        contacts.record_outbound(
            location.location_id,
            [(item.to, now, now if item.introduces else introduced.get(item.to)) for item in sent],
            subject_sends=kept,
        )
    return {item.message_id for item in sent}


def _fail(items: list[ScheduledMessage], code: str, now: datetime) -> None:
    for item in items:
        messages.advance_status(
            item.message_id, StatusChange(status="failed", at=now, reason=str(code)), ["scheduled"]
        )
    if items:
        metrics.add_metric(name=f"ReleaseRefused{code}", unit=MetricUnit.Count, value=len(items))


def _first(*refusals: Refusal | None) -> Refusal | None:
    return next((refusal for refusal in refusals if refusal is not None), None)


def _chunk(minute: datetime, shard: int, start: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"minute": minute.isoformat(), "shard": shard}
    if start is not None:
        body["start"] = start
    return body


def _fan_out(bodies: list[dict[str, Any]]) -> None:
    """One queue message per minute-shard left; a refused one fails the run, which EventBridge
    retries (the claims make a second release of the same messages impossible)."""
    refused = schedule.hand_over(bodies)
    if refused:
        raise RuntimeError(f"could not queue {refused} release chunks; the run will retry")
