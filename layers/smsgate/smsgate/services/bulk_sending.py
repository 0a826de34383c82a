"""A bulk send (docs/policy.md#bulk): many recipients checked, decorated, counted and queued
with one limit reservation; its preview answers the same decisions and writes nothing.

The checks and records it shares with the single send live in `smsgate.services.outgoing`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smsgate.dal import contacts, counters, locations
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location, Message
from smsgate.models.message_views import BulkAnswer
from smsgate.models.requests import BulkSendRequest
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy import gate
from smsgate.policy.brand_cap import next_brand_reset
from smsgate.policy.bulk import brand_deferred_notice, bulk_deferred_notice, bulk_granted, bulk_notice
from smsgate.policy.fingerprint import is_snowshoe_candidate
from smsgate.policy.limits import counter_day, daily_limit, next_reset, seconds_until_reset
from smsgate.policy.quiet_hours import is_held_kind
from smsgate.policy.refusal import Refusal
from smsgate.policy.send_time import SendTime
from smsgate.reasons import ReasonCode
from smsgate.services import brand_cap, registration, send_later
from smsgate.services.outgoing import (
    Outgoing,
    check_location,
    check_recipient,
    content_refusal,
    new_message,
    record_and_queue,
    snowshoe_preview,
    snowshoe_refused,
)
from smsgate.services.profiles import profile_of
from smsgate.services.sending import over_limit_time_of


@dataclass
class BulkOutcome:
    accepted: list[Message] = field(default_factory=list)
    # Accepted to go later: at `send_at` or when the recipient's quiet hours allow.
    scheduled: list[Message] = field(default_factory=list)
    # Over today's limit or the brand's T-Mobile cap with `when_over_limit: defer`: scheduled
    # for that cap's reset.
    deferred: list[Message] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    notice: str | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    # Seconds to the brand's next T-Mobile day, when its cap failed a recipient.
    brand_retry_after: int | None = None


@dataclass
class BulkPlan:
    """What a bulk's preview and its send share: rows 1-8 decided for every recipient, the
    location's numbers for row 10, and the outcome so far (skipped and failed recipients)."""

    location: Location
    request: BulkSendRequest
    senders: list[str]
    checked: list[Outgoing]
    outcome: BulkOutcome
    limit: int
    daily_key: str
    expiry: datetime
    # When today's limit starts again (a deferral's notice says it).
    resets_at: datetime
    # Each recipient's same-subject record as read (docs/quiet-hours.md#same-subject-limits).
    subject_sends: dict[str, tuple[datetime, ...]] = field(default_factory=dict)

    @property
    def snowshoe_senders(self) -> list[str]:
        """Row 9's senders: those with recipients left, in the order the request gave them;
        none when the body is not fingerprinted."""
        if not is_snowshoe_candidate(self.request.body, self.request.kind):
            return []
        with_recipients = {item.from_number for item in self.checked}
        return [sender for sender in self.senders if sender in with_recipients]


def send_bulk(request: BulkSendRequest, now: datetime) -> BulkOutcome:
    """Gate many recipients with one limit reservation (docs/policy.md#bulk); a preview answers the
    same decisions and writes nothing (docs/send-path.md#bulk-preview-and-send)."""
    send_later.check_send_at(request.send_at, now)
    plan = _plan_bulk(request, now)
    return _preview_bulk(plan, now) if request.preview else _send_bulk(plan, now)


def _plan_bulk(request: BulkSendRequest, now: datetime) -> BulkPlan:
    """Rows 1-8 for every recipient: reads only, the same for a preview and a send."""
    senders = request.numbers or ([request.from_number] if request.from_number else [])
    if not senders:
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR, "Give 'from' or 'numbers': the number(s) to send from."
        )
    location = locations.require_location(request.location_id)
    check_location(location, senders, now)
    outcome = BulkOutcome()
    recipients = list(dict.fromkeys(request.recipients))
    sender_of = {phone: senders[index % len(senders)] for index, phone in enumerate(recipients)}
    known = contacts.load_contacts(location.location_id, [(sender_of[phone], phone) for phone in recipients])
    content = content_refusal(location, request.body)
    checked: list[Outgoing] = []
    for phone in recipients:
        try:
            checked.append(
                check_recipient(
                    location, known[phone], request.body, request.kind, sender_of[phone], now, content
                )
            )
        except SmsgateError as refusal:
            # DND-marked contacts are skipped, not failed (docs/policy.md#bulk).
            target = outcome.skipped if refusal.code == ReasonCode.DND_ACTIVE else outcome.failed
            target.append({"to": phone, "code": str(refusal.code)})
    outcome.warnings = gate.content_warnings(request.body)
    profile = profile_of(location)
    day = counter_day(now, profile)
    return BulkPlan(
        location=location,
        request=request,
        senders=senders,
        checked=checked,
        outcome=outcome,
        limit=daily_limit(location.created_at, now, profile),
        daily_key=counters.daily_key(location.location_id, day),
        expiry=counters.daily_expiry(day),
        resets_at=next_reset(now, profile),
        subject_sends={phone: contact.subject_sends for phone, contact in known.items()},
    )


def _preview_bulk(plan: BulkPlan, now: datetime) -> BulkOutcome:
    """Rows 9-10 read only: what a send would accept now, nothing recorded or counted."""
    used = plan.snowshoe_senders
    refused = snowshoe_preview(plan.location, plan.request.body, used, now) if used else set()
    eligible, later = _split_later(plan, _without_snowshoeing(plan, refused), now)
    used_before = counters.used(plan.daily_key)
    granted, over = _limit_or_defer(
        plan, eligible, bulk_granted(len(eligible), plan.limit, used_before), used_before
    )
    fits = registration.preview_volume(plan.location, [item.segments for item in granted], now)
    kind = plan.request.kind
    within_volume = _within_volume(plan, granted, fits)
    passed = brand_cap.preview(
        plan.location, [item.to for item in within_volume], [item.segments for item in within_volume], now
    )
    within_brand, brand_over = _within_brand_cap(plan, within_volume, passed, now)
    plan.outcome.accepted = [new_message(plan.location, item, kind, now, "", ()) for item in within_brand]
    plan.outcome.scheduled = [new_message(plan.location, item, kind, now, "", ()) for item, _ in later]
    plan.outcome.deferred = [
        new_message(plan.location, item, kind, now, "", ()) for item in (*over, *brand_over)
    ]
    return plan.outcome


def _send_bulk(plan: BulkPlan, now: datetime) -> BulkOutcome:
    """Rows 9-10 recorded: the senders' fingerprints, one reservation of the daily limit and one
    of a low-volume brand's segment cap for all recipients; then what both granted is queued."""
    location, request, outcome = plan.location, plan.request, plan.outcome
    used = plan.snowshoe_senders
    refused = snowshoe_refused(location, request.body, used, now) if used else set()
    eligible, later = _split_later(plan, _without_snowshoeing(plan, refused), now)
    count, used_before = (
        counters.reserve(plan.daily_key, plan.limit, len(eligible), plan.expiry) if eligible else (0, 0)
    )
    granted, over = _limit_or_defer(plan, eligible, count, used_before)
    volume = registration.reserve_volume(location, [item.segments for item in granted], now)
    counters.release(plan.daily_key, len(granted) - volume.accepted)
    within_volume = _within_volume(plan, granted, volume.accepted)
    brand = brand_cap.reserve(
        location, [item.to for item in within_volume], [item.segments for item in within_volume], now
    )
    accepted, brand_over = _within_brand_cap(plan, within_volume, brand.passed, now)
    # What the brand's cap stopped, failed or deferred, gives back its unit of the daily limit
    # and its segments of the low-volume cap: a deferred one counts on the day it is released.
    refused_by_brand = [item for item, ok in zip(within_volume, brand.passed, strict=True) if not ok]
    counters.release(plan.daily_key, len(refused_by_brand))
    volume.release(sum(item.segments for item in refused_by_brand))
    try:
        _schedule_bulk(plan, later, over, brand_over, now)
        outcome.accepted = (
            record_and_queue(
                location,
                accepted,
                request.kind,
                now,
                request.expires_in,
                _subject_records(plan, accepted, now),
            )
            if accepted
            else []
        )
    except Exception:
        counters.release(plan.daily_key, len(accepted))
        volume.release(sum(item.segments for item in accepted))
        brand.release()
        raise
    queued = {message.to for message in outcome.accepted}
    not_queued = [item for item in accepted if item.to not in queued]
    counters.release(plan.daily_key, len(not_queued))
    volume.release(sum(item.segments for item in not_queued))
    brand.release(brand_cap.counted_segments(not_queued))
    metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=len(outcome.accepted))
    logger.info(
        "bulk gated",
        extra={
            "accepted": len(outcome.accepted),
            "scheduled": len(outcome.scheduled),
            "deferred": len(outcome.deferred),
            "skipped": len(outcome.skipped),
            "failed": len(outcome.failed),
        },
    )
    return outcome


# The decisions a preview and a send share, applied to the plan's outcome: each takes the
# recipients still eligible and returns those that pass, failing the others with their code.


def _without_snowshoeing(plan: BulkPlan, refused_senders: set[str]) -> list[Outgoing]:
    """Row 9: recipients on a refused sender fail (SNOWSHOEING); the first numbers within the
    allowed count send (docs/content-policy.md)."""
    eligible = [item for item in plan.checked if item.from_number not in refused_senders]
    plan.outcome.failed += [
        {"to": item.to, "code": str(ReasonCode.SNOWSHOEING)}
        for item in plan.checked
        if item.from_number in refused_senders
    ]
    if refused_senders:
        metrics.add_metric(
            name=f"Refused{ReasonCode.SNOWSHOEING}",
            unit=MetricUnit.Count,
            value=len(plan.checked) - len(eligible),
        )
    return eligible


def _within_limit(plan: BulkPlan, eligible: list[Outgoing], granted: int, used_before: int) -> list[Outgoing]:
    """Row 10, the daily limit: the first `granted` recipients pass; the notice says why the
    others fail (DAILY_LIMIT_REACHED)."""
    over = eligible[granted:]
    if over:
        plan.outcome.notice = bulk_notice(plan.limit, used_before, len(over))
        plan.outcome.failed += [{"to": item.to, "code": str(ReasonCode.DAILY_LIMIT_REACHED)} for item in over]
    return eligible[:granted]


def _split_later(
    plan: BulkPlan, eligible: list[Outgoing], now: datetime
) -> tuple[list[Outgoing], list[tuple[Outgoing, SendTime]]]:
    """When each recipient's message goes (`send_time_of`): those that go now, and those that wait
    for `send_at`, their quiet hours or their same-subject limit; a recipient they refuse fails
    (QUIET_HOURS, SAME_SUBJECT_LIMIT). Nothing more is read: the contact's record read with the
    plan (its recorded place, else its number, and its same-subject sends) and the clock decide."""
    request = plan.request
    policy = send_later.quiet_hours_policy(plan.location, request.quiet_hours)
    if request.send_at is None and not is_held_kind(request.kind, policy):
        return eligible, []
    going: list[Outgoing] = []
    later: list[tuple[Outgoing, SendTime]] = []
    for item in eligible:
        read = plan.subject_sends.get(item.to, ())
        when = send_later.send_time(
            request.kind, item.to, now, policy, request.send_at, read, item.recorded_place
        )
        if isinstance(when, Refusal):
            plan.outcome.failed.append({"to": item.to, "code": str(when.code)})
        elif when.due_at is None:
            going.append(item)
        else:
            later.append((item, when))
    return going, later


def _limit_or_defer(
    plan: BulkPlan, eligible: list[Outgoing], granted: int, used_before: int
) -> tuple[list[Outgoing], list[Outgoing]]:
    """Row 10's daily limit when the sender may have said `when_over_limit: defer`: the
    recipients the limit grants, and those that wait for its reset (none for `fail`, whose
    excess `_within_limit` fails), with the notice that says so
    (docs/scheduling.md#deferral-over-the-limit)."""
    if plan.request.when_over_limit != "defer":
        return _within_limit(plan, eligible, granted, used_before), []
    over = eligible[granted:]
    if over:
        resets_at = plan.resets_at.isoformat()
        plan.outcome.notice = bulk_deferred_notice(plan.limit, used_before, len(over), resets_at)
    return eligible[:granted], over


def _subject_records(
    plan: BulkPlan, accepted: list[Outgoing], now: datetime
) -> dict[str, tuple[datetime, ...]]:
    """The same-subject record each accepted recipient's outbound item is written with: the one
    read, with this send when it counts. A batched write replaces the item, so the record is
    carried even when the message does not count (docs/quiet-hours.md#storage)."""
    policy = send_later.quiet_hours_policy(plan.location, plan.request.quiet_hours)
    records: dict[str, tuple[datetime, ...]] = {}
    for item in accepted:
        read = plan.subject_sends.get(item.to, ())
        counted = send_later.same_subject_record(
            plan.request.kind, item.to, policy, read, now, item.recorded_place
        )
        records[item.to] = read if counted is None else counted[1]
    return records


def _schedule_bulk(
    plan: BulkPlan,
    later: list[tuple[Outgoing, SendTime]],
    over: list[Outgoing],
    brand_over: list[Outgoing],
    now: datetime,
) -> None:
    """Schedule what waits: for `send_at` or quiet hours (counted as accepted), and what the
    daily limit or the brand's cap deferred to its reset (counted as deferred)."""
    request = plan.request
    location = plan.location
    deferred = [
        *((item, over_limit_time_of(location, request, item, now)) for item in over),
        *((item, over_limit_time_of(location, request, item, now, "brand_cap")) for item in brand_over),
    ]
    waiting = send_later.schedule(
        location, [*later, *deferred], request.kind, now, request.expires_in, request.when_over_limit
    )
    plan.outcome.scheduled = waiting[: len(later)]
    plan.outcome.deferred = waiting[len(later) :]


def _within_volume(plan: BulkPlan, granted: list[Outgoing], fits: int) -> list[Outgoing]:
    """Row 10, a low-volume brand's segment cap: it takes, in order, the messages the limit
    granted; the first `fits` pass, the others fail (VOLUME_CAP_REACHED)."""
    plan.outcome.failed += [
        {"to": item.to, "code": str(ReasonCode.VOLUME_CAP_REACHED)} for item in granted[fits:]
    ]
    return granted[:fits]


def _within_brand_cap(
    plan: BulkPlan, within_volume: list[Outgoing], passed: list[bool], now: datetime
) -> tuple[list[Outgoing], list[Outgoing]]:
    """Row 10, the brand's T-Mobile cap: the messages that pass, in order, and those that count
    and do not fit, which wait for the brand's next reset when the sender said
    `when_over_limit: defer` (with a sentence of the notice), else fail (BRAND_CAP_REACHED)
    (docs/registration.md#t-mobile-brand-cap, docs/scheduling.md#deferral-over-the-limit)."""
    refused = [item for item, ok in zip(within_volume, passed, strict=True) if not ok]
    going = [item for item, ok in zip(within_volume, passed, strict=True) if ok]
    if refused and plan.request.when_over_limit == "defer":
        resets_at = next_brand_reset(now, profile_of(plan.location)).isoformat()
        plan.outcome.notice = brand_deferred_notice(plan.outcome.notice, len(refused), resets_at)
        return going, refused
    plan.outcome.failed += [{"to": item.to, "code": str(ReasonCode.BRAND_CAP_REACHED)} for item in refused]
    if refused:
        plan.outcome.brand_retry_after = brand_cap.seconds_until_reset(plan.location, now)
        metrics.add_metric(
            name=f"Refused{ReasonCode.BRAND_CAP_REACHED}", unit=MetricUnit.Count, value=len(refused)
        )
    return going, []


LIMIT_CODES = frozenset({str(ReasonCode.DAILY_LIMIT_REACHED), str(ReasonCode.VOLUME_CAP_REACHED)})


def bulk_status(outcome: BulkOutcome, preview: bool, now: datetime) -> tuple[int, dict[str, str]]:
    """202 (200 for a preview), or 429 with Retry-After when the limit let no recipient through:
    a caller that checks the status alone must not take a bulk that sent nothing for a success
    (docs/api.md#bulk-limit). A preview answers the question it was asked: 200."""
    if preview:
        return 200, {}
    codes = {item["code"] for item in outcome.failed}
    # Messages that wait (send_at, quiet hours, deferred to the reset) will go: not a 429.
    waiting = outcome.scheduled or outcome.deferred
    if outcome.accepted or waiting or not codes & (LIMIT_CODES | {str(ReasonCode.BRAND_CAP_REACHED)}):
        return 202, {}
    # The whole bulk can pass again once every cap that failed it has reset.
    waits = [seconds_until_reset(now)] if codes & LIMIT_CODES else []
    if outcome.brand_retry_after is not None:
        waits.append(outcome.brand_retry_after)
    return 429, {"Retry-After": str(max(waits))}


def bulk_answer(outcome: BulkOutcome, preview: bool) -> BulkAnswer:
    answer: dict[str, Any] = {
        "accepted": len(outcome.accepted) + len(outcome.scheduled),
        "deferred": len(outcome.deferred),
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "messages": []
        if preview
        else [_bulk_message(m) for m in (*outcome.accepted, *outcome.scheduled, *outcome.deferred)],
        "preview": preview,
    }
    if outcome.notice:
        answer["notice"] = outcome.notice
    if outcome.warnings:
        answer["warnings"] = outcome.warnings
    return BulkAnswer.model_validate(answer)


def _bulk_message(message: Message) -> dict[str, Any]:
    """One message of a bulk's answer: `scheduled_for` when it waits."""
    shown: dict[str, Any] = {"to": message.to, "message_id": message.message_id, "status": message.status}
    if message.scheduled_for is not None:
        shown["scheduled_for"] = message.scheduled_for.isoformat()
    return shown
