"""Outgoing messages, for the single send and the bulk alike: the checks of rows 2-9 that
decide each one, and the records and queue sends that carry an accepted one
(docs/send-path.md)."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from smsgate.dal import contacts, messages, outbound, snowshoe
from smsgate.errors import SmsgateError
from smsgate.models.entities import Contact, ContactPlace, Location, Message, StatusChange
from smsgate.models.outbound import OutboundRecord
from smsgate.observability import MetricUnit, metrics
from smsgate.policy import gate
from smsgate.policy.decoration import decorate, needs_introduction
from smsgate.policy.fingerprint import snowshoe_keys
from smsgate.policy.limits import daily_limit, next_reset, seconds_until_reset
from smsgate.policy.refusal import Refusal
from smsgate.policy.registration import content_use_case, pacing_fields
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
    # Where the contact's record places it, when its location recorded it: quiet hours follow it
    # before the number (docs/quiet-hours.md#where-the-recipient-is).
    recorded_place: ContactPlace | None = None


def refuse(refusal: Refusal | None) -> None:
    if refusal is not None:
        metrics.add_metric(name=f"Refused{refusal.code}", unit=MetricUnit.Count, value=1)
        raise SmsgateError.from_refusal(refusal)


def check_location(location: Location, senders: list[str], now: datetime) -> None:
    """Rows 2-4: checks that hold for every recipient alike."""
    for sender in senders:
        refuse(gate.check_sender(location, sender))
    refuse(gate.check_suspension(location, now))
    # Row 4 (10DLC registration) depends on the destination: `check_recipient` decides it.


def check_recipient(
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
        recorded_place=contact.place,
    )


def content_refusal(location: Location, body: str) -> Refusal | None:
    """Rows 7-8; an approved age-gated campaign relaxes alcohol (docs/content-policy.md)."""
    return gate.check_content_policy(body, content_use_case(location.campaign))


def snowshoe_refused(location: Location, body: str, senders: list[str], now: datetime) -> set[str]:
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


def snowshoe_preview(location: Location, body: str, senders: list[str], now: datetime) -> set[str]:
    """What `snowshoe_refused` would answer, read only."""
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


def snowshoe_refusal(location: Location, sender: str, refused: set[str]) -> Refusal | None:
    profile = profile_of(location)
    window = timedelta(hours=profile.snowshoe_window_hours)
    return gate.check_snowshoeing(sender not in refused, profile.snowshoe_max_numbers, window)


def limit_refusal(location: Location, now: datetime) -> SmsgateError:
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


def queued_message(
    location: Location, item: Outgoing, kind: str, now: datetime, expires_in: int | None
) -> Message:
    """A new message as recorded when accepted: queued now, valid for its kind's time."""
    queued = (StatusChange(status="queued", at=now),)
    return new_message(location, item, kind, now, str(uuid.uuid4()), queued).model_copy(
        update={"expires_at": now + timedelta(seconds=validity_seconds(kind, expires_in))}
    )


def enqueue_messages(location: Location, created: list[Message], now: datetime) -> list[Message]:
    """Queue recorded messages; a message SQS refused is marked failed at once. The queued ones."""
    pacing = pacing_fields(location)
    not_queued = set(outbound.enqueue([OutboundRecord.of(message, **pacing) for message in created]))
    for message_id in not_queued:
        messages.advance_status(message_id, StatusChange(status="failed", at=now), ["queued"])
    return [message for message in created if message.message_id not in not_queued]


def record_and_queue(
    location: Location,
    outgoing: list[Outgoing],
    kind: str,
    now: datetime,
    expires_in: int | None,
    subject_sends: Mapping[str, Sequence[datetime]],
) -> list[Message]:
    """Record and queue accepted messages (a bulk: batched writes, then batched sends); each
    contact's outbound item keeps the same-subject record `subject_sends` gives."""
    created = [queued_message(location, item, kind, now, expires_in) for item in outgoing]
    if len(created) == 1:
        messages.put_message(created[0])
    else:
        messages.put_messages(created)
    queued = enqueue_messages(location, created, now)
    contacts.record_outbound(
        location.location_id,
        [(item.to, now, item.introduced_at) for item in outgoing],
        subject_sends=subject_sends,
    )
    return queued


def new_message(
    location: Location,
    item: Outgoing,
    kind: str,
    now: datetime,
    message_id: str,
    history: tuple[StatusChange, ...],
    scheduled_for: datetime | None = None,
) -> Message:
    """The message record of `item`: queued, or scheduled for `scheduled_for`."""
    return Message(
        message_id=message_id,
        location_id=location.location_id,
        from_number=item.from_number,
        to=item.to,
        body=item.body,
        kind=kind,
        segments=item.segments,
        encoding=item.encoding,
        status="queued" if scheduled_for is None else "scheduled",
        created_at=now,
        scheduled_for=scheduled_for,
        history=history,
    )
