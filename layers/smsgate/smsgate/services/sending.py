"""The send gate (SPEC sections 3-5): one message or a bulk, checked, decorated, counted, queued."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from smsgate.dal import contacts, counters, locations, messages, outbound, snowshoe
from smsgate.errors import SmsgateError, StorageUnavailable
from smsgate.models.entities import Contact, Location, Message, StatusChange
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.models.responses import BulkAnswer
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy import gate
from smsgate.policy.bulk import bulk_granted, bulk_notice
from smsgate.policy.decoration import decorate, needs_introduction
from smsgate.policy.fingerprint import is_snowshoe_candidate, snowshoe_keys
from smsgate.policy.limits import counter_day, daily_limit, next_reset, seconds_until_reset
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import content_use_case
from smsgate.policy.segments import count_segments
from smsgate.policy.validity import validity_seconds
from smsgate.reasons import LIMIT_MESSAGE, ReasonCode
from smsgate.services import registration
from smsgate.services.profiles import profile_of
from smsgate.settings import get_settings


@dataclass(frozen=True)
class Outgoing:
    """A message that passed every per-recipient check and waits for its share of the limit."""

    to: str
    from_number: str
    body: str
    encoding: str
    segments: int
    introduced_at: datetime | None


@dataclass
class BulkOutcome:
    accepted: list[Message] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    notice: str | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)


def refuse(refusal: Refusal | None) -> None:
    if refusal is not None:
        metrics.add_metric(name=f"Refused{refusal.code}", unit=MetricUnit.Count, value=1)
        raise SmsgateError.from_refusal(refusal)


def _check_location(location: Location, senders: list[str], now: datetime) -> None:
    """Rows 2-4: checks that hold for every recipient alike."""
    for sender in senders:
        refuse(gate.check_sender(location, sender))
    refuse(gate.check_suspension(location, now))
    # Row 4 (10DLC registration) depends on the destination: `_check_recipient` decides it.


def _check_recipient(
    location: Location,
    contact: Contact,
    request_body: str,
    kind: str,
    sender: str,
    now: datetime,
    content: Refusal | None,
) -> Outgoing:
    """Rows 4-8 for one recipient; raises SmsgateError with the first refusal. `content` is the
    verdict of rows 7-8 on the request body, decided once for all recipients."""
    settings = get_settings()
    refuse(registration.gate_refusal(location, sender, contact.phone))
    refuse(gate.check_dnd(contact))
    refuse(gate.check_consent(contact, kind, now, timedelta(hours=settings.responsive_window_hours)))
    refuse(content)
    introduce = needs_introduction(contact, kind)
    body = decorate(request_body, location) if introduce else request_body
    encoding, segments = count_segments(body)
    refuse(gate.check_segments(segments))
    return Outgoing(
        to=contact.phone,
        from_number=sender,
        body=body,
        encoding=encoding,
        segments=segments,
        introduced_at=now if introduce else contact.introduced_at,
    )


def _content_refusal(location: Location, body: str) -> Refusal | None:
    """Rows 7-8; an approved age-gated campaign relaxes alcohol (docs/content-policy.md)."""
    return gate.check_content_policy(body, content_use_case(location.campaign))


def _snowshoe_refused(location: Location, body: str, senders: list[str], now: datetime) -> set[str]:
    """Row 9: the senders that may not send this body, each other one recorded (one DynamoDB
    transaction per distinct sender, whatever the number of recipients). A preview records
    nothing. Registered before row 10 on purpose: docs/content-policy.md."""
    profile = profile_of(location)
    window = timedelta(hours=profile.snowshoe_window_hours)
    keys = snowshoe_keys(body)
    refused: set[str] = set()
    for sender in dict.fromkeys(senders):
        if not snowshoe.record_sender(
            location.location_id, keys, sender, now, window, profile.snowshoe_max_numbers
        ):
            refused.add(sender)
    return refused


def _snowshoe_preview(location: Location, body: str, senders: list[str], now: datetime) -> set[str]:
    """What `_snowshoe_refused` would answer, read only."""
    profile = profile_of(location)
    window = timedelta(hours=profile.snowshoe_window_hours)
    recorded = snowshoe.senders(location.location_id, snowshoe_keys(body), now, window)
    refused: set[str] = set()
    for sender in dict.fromkeys(senders):
        if any(
            sender not in numbers and len(numbers) >= profile.snowshoe_max_numbers for numbers in recorded
        ):
            refused.add(sender)
        else:
            recorded = [numbers | {sender} for numbers in recorded]
    return refused


def _snowshoe_refusal(location: Location, sender: str, refused: set[str]) -> Refusal | None:
    profile = profile_of(location)
    window = timedelta(hours=profile.snowshoe_window_hours)
    return gate.check_snowshoeing(sender not in refused, profile.snowshoe_max_numbers, window)


def warnings_field(body: str) -> dict[str, Any]:
    """`{"warnings": [...]}` for an accepted answer when the body has any, else nothing."""
    warnings = gate.content_warnings(body)
    return {"warnings": warnings} if warnings else {}


def _limit_refusal(location: Location, now: datetime) -> SmsgateError:
    return SmsgateError(
        ReasonCode.DAILY_LIMIT_REACHED,
        LIMIT_MESSAGE,
        details={
            "limit": daily_limit(location.created_at, now, profile_of(location)),
            "resets_at": _resets_at(location, now),
        },
        retry_after=seconds_until_reset(now, profile_of(location)),
    )


def _resets_at(location: Location, now: datetime) -> str:
    return next_reset(now, profile_of(location)).isoformat()


def _pacing_fields(location: Location) -> dict[str, Any]:
    """What the dispatcher paces a message by besides its number: an approved campaign's
    share of AT&T's rate and the rates the carriers granted it (docs/pacing.md)."""
    campaign = location.campaign
    if campaign is None or campaign.state != "approved":
        return {}
    return {
        "campaign_id": location.location_id,
        "message_class": campaign.message_class,
        "number_mps": campaign.number_mps,
    }


def _queue(
    location: Location, outgoing: list[Outgoing], kind: str, now: datetime, expires_in: int | None
) -> list[Message]:
    """Record and queue accepted messages; a message SQS refused is marked failed at once."""
    queued = (StatusChange(status="queued", at=now),)
    expires_at = now + timedelta(seconds=validity_seconds(kind, expires_in))
    created = [
        _message(location, item, kind, now, str(uuid.uuid4()), queued).model_copy(
            update={"expires_at": expires_at}
        )
        for item in outgoing
    ]
    if len(created) == 1:
        messages.put_message(created[0])
    else:
        messages.put_messages(created)
    records = [
        outbound.OutboundRecord(
            message_id=message.message_id,
            location_id=message.location_id,
            from_number=message.from_number,
            to=message.to,
            body=message.body,
            kind=message.kind,
            expires_at=message.expires_at,
            **_pacing_fields(location),
        )
        for message in created
    ]
    not_queued = set(outbound.enqueue(records))
    for message_id in not_queued:
        messages.advance_status(message_id, StatusChange(status="failed", at=now), ["queued"])
    contacts.record_outbound(location.location_id, [(item.to, now, item.introduced_at) for item in outgoing])
    return [message for message in created if message.message_id not in not_queued]


def send_message(request: SendMessageRequest, now: datetime) -> Message:
    """Gate one message (SPEC section 3); returns the queued message or raises the refusal."""
    location = locations.require_location(request.location_id)
    _check_location(location, [request.from_number], now)
    contact = contacts.load_contacts(location.location_id, [(request.from_number, request.to)])[request.to]
    content = _content_refusal(location, request.body)
    item = _check_recipient(location, contact, request.body, request.kind, request.from_number, now, content)
    if is_snowshoe_candidate(request.body, request.kind):
        refused = _snowshoe_refused(location, request.body, [request.from_number], now)
        refuse(_snowshoe_refusal(location, request.from_number, refused))
    profile = profile_of(location)
    day = counter_day(now, profile)
    key = counters.daily_key(location.location_id, day)
    granted, _ = counters.reserve(
        key, daily_limit(location.created_at, now, profile), 1, counters.daily_expiry(day)
    )
    if granted == 0:
        metrics.add_metric(name=f"Refused{ReasonCode.DAILY_LIMIT_REACHED}", unit=MetricUnit.Count, value=1)
        raise _limit_refusal(location, now)
    volume = registration.reserve_volume(location, [item.segments], now)
    if volume.accepted == 0:
        counters.release(key, 1)
        metrics.add_metric(name=f"Refused{ReasonCode.VOLUME_CAP_REACHED}", unit=MetricUnit.Count, value=1)
        raise registration.volume_refusal(location, now)
    try:
        queued = _queue(location, [item], request.kind, now, request.expires_in)
    except Exception:
        counters.release(key, 1)
        volume.release()
        raise
    if not queued:
        counters.release(key, 1)
        volume.release()
        raise StorageUnavailable("The outbound queue did not take the message; nothing was sent.")
    metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=1)
    logger.info("message accepted", extra={"message_id": queued[0].message_id, "segments": item.segments})
    return queued[0]


def send_bulk(request: BulkSendRequest, now: datetime) -> BulkOutcome:
    """Gate many recipients with one limit reservation (SPEC section 5)."""
    senders = request.numbers or ([request.from_number] if request.from_number else [])
    if not senders:
        raise SmsgateError(
            ReasonCode.VALIDATION_ERROR, "Give 'from' or 'numbers': the number(s) to send from."
        )
    location = locations.require_location(request.location_id)
    _check_location(location, senders, now)
    outcome = BulkOutcome()
    recipients = list(dict.fromkeys(request.recipients))
    sender_of = {phone: senders[index % len(senders)] for index, phone in enumerate(recipients)}
    known = contacts.load_contacts(location.location_id, [(sender_of[phone], phone) for phone in recipients])
    content = _content_refusal(location, request.body)
    checked: list[Outgoing] = []
    for phone in recipients:
        try:
            checked.append(
                _check_recipient(
                    location, known[phone], request.body, request.kind, sender_of[phone], now, content
                )
            )
        except SmsgateError as refusal:
            # DND-marked contacts are skipped, not failed (SPEC section 5).
            target = outcome.skipped if refusal.code == ReasonCode.DND_ACTIVE else outcome.failed
            target.append({"to": phone, "code": str(refusal.code)})
    eligible = _bulk_snowshoeing(location, request, senders, checked, outcome, now)
    outcome.warnings = gate.content_warnings(request.body)
    _bulk_limits(location, request, eligible, outcome, now)
    return outcome


def _bulk_snowshoeing(
    location: Location,
    request: BulkSendRequest,
    senders: list[str],
    checked: list[Outgoing],
    outcome: BulkOutcome,
    now: datetime,
) -> list[Outgoing]:
    """Row 9 for the senders that still have recipients, in the order the request gave them: the
    first numbers within the allowed count send, recipients on the others fail (SNOWSHOEING)."""
    if not is_snowshoe_candidate(request.body, request.kind):
        return checked
    with_recipients = {item.from_number for item in checked}
    used_senders = [sender for sender in senders if sender in with_recipients]
    snowshoe_check = _snowshoe_preview if request.preview else _snowshoe_refused
    refused_senders = snowshoe_check(location, request.body, used_senders, now) if used_senders else set()
    eligible = [item for item in checked if item.from_number not in refused_senders]
    outcome.failed += [
        {"to": item.to, "code": str(ReasonCode.SNOWSHOEING)}
        for item in checked
        if item.from_number in refused_senders
    ]
    if refused_senders:
        metrics.add_metric(
            name=f"Refused{ReasonCode.SNOWSHOEING}", unit=MetricUnit.Count, value=len(checked) - len(eligible)
        )
    return eligible


def _bulk_limits(
    location: Location,
    request: BulkSendRequest,
    eligible: list[Outgoing],
    outcome: BulkOutcome,
    now: datetime,
) -> None:
    """Row 10 for a bulk: one reservation of the daily limit and one of a low-volume brand's
    segment cap for all recipients; queue what both granted (or, for a preview, only count it)."""
    profile = profile_of(location)
    day = counter_day(now, profile)
    key = counters.daily_key(location.location_id, day)
    limit = daily_limit(location.created_at, now, profile)
    if request.preview:
        used_before = counters.used(key)
        granted = bulk_granted(len(eligible), limit, used_before)
    else:
        granted, used_before = counters.reserve(key, limit, len(eligible), counters.daily_expiry(day))
    over = eligible[granted:]
    if over:
        outcome.notice = bulk_notice(limit, used_before, len(over))
        outcome.failed += [{"to": item.to, "code": str(ReasonCode.DAILY_LIMIT_REACHED)} for item in over]
    # A low-volume brand's segment cap (row 10) takes, in order, the messages the limit granted.
    segments = [item.segments for item in eligible[:granted]]
    if request.preview:
        volume = registration.VolumeReservation(accepted=0, reserved=0)
        fits = registration.preview_volume(location, segments, now)
    else:
        volume = registration.reserve_volume(location, segments, now)
        fits = volume.accepted
        counters.release(key, granted - fits)
    outcome.failed += [
        {"to": item.to, "code": str(ReasonCode.VOLUME_CAP_REACHED)} for item in eligible[fits:granted]
    ]
    granted = fits
    if request.preview:
        outcome.accepted = [
            _message(location, item, request.kind, now, "", ()) for item in eligible[:granted]
        ]
        return
    try:
        outcome.accepted = (
            _queue(location, eligible[:granted], request.kind, now, request.expires_in) if granted else []
        )
    except Exception:
        counters.release(key, granted)
        volume.release()
        raise
    counters.release(key, granted - len(outcome.accepted))
    volume.release(volume.reserved - sum(message.segments for message in outcome.accepted))
    metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=len(outcome.accepted))
    logger.info(
        "bulk gated",
        extra={
            "accepted": len(outcome.accepted),
            "skipped": len(outcome.skipped),
            "failed": len(outcome.failed),
        },
    )


def _message(
    location: Location,
    item: Outgoing,
    kind: str,
    now: datetime,
    message_id: str,
    history: tuple[StatusChange, ...],
) -> Message:
    return Message(
        message_id=message_id,
        location_id=location.location_id,
        from_number=item.from_number,
        to=item.to,
        body=item.body,
        kind=kind,
        segments=item.segments,
        encoding=item.encoding,
        created_at=now,
        history=history,
    )


LIMIT_CODES = frozenset({str(ReasonCode.DAILY_LIMIT_REACHED), str(ReasonCode.VOLUME_CAP_REACHED)})


def bulk_status(outcome: BulkOutcome, preview: bool, now: datetime) -> tuple[int, dict[str, str]]:
    """202 (200 for a preview), or 429 with Retry-After when the limit let no recipient through:
    a caller that checks the status alone must not take a bulk that sent nothing for a success
    (docs/api.md#bulk-limit). A preview answers the question it was asked: 200."""
    if preview:
        return 200, {}
    if not outcome.accepted and any(item["code"] in LIMIT_CODES for item in outcome.failed):
        return 429, {"Retry-After": str(seconds_until_reset(now))}
    return 202, {}


def bulk_answer(outcome: BulkOutcome, preview: bool) -> BulkAnswer:
    answer: dict[str, Any] = {
        "accepted": len(outcome.accepted),
        "skipped": outcome.skipped,
        "failed": outcome.failed,
        "messages": [] if preview else [{"to": m.to, "message_id": m.message_id} for m in outcome.accepted],
        "preview": preview,
    }
    if outcome.notice:
        answer["notice"] = outcome.notice
    if outcome.warnings:
        answer["warnings"] = outcome.warnings
    return BulkAnswer.model_validate(answer)
