"""Contacts' replies (docs/policy.md#opt-out-keywords): opt-out, opt-in and help keywords that are never lost.

One reply is applied in this order. Every step before the last is repeatable, and the last
commits the claim together with the count, so a crash anywhere is repaired by the queue's
redelivery, which redoes what is missing and never counts or sends twice:

1. A reply already claimed is a duplicate: nothing happens.
2. The location owning the number is found (none: the reply is kept against the number itself,
   so a later first send from that number is still refused,
   docs/inbound.md#a-number-or-contact-we-do-not-know).
3. The reply is read (`policy.revocation.read_reply`): an exact keyword, or in a location's
   `reasonable_means` mode a free-text request to stop (docs/inbound.md); a keyword the carrier
   reports it acted on wins (docs/carriers.md#opt-outs-the-carrier-manages).
4. The contact's last inbound time moves forward (it makes replies within 24 h responsive).
5. Opt-out / opt-in: the ledger line (keyed by the reply, written once), then consent and DND
   (absolute writes, never overturning a newer keyword of the same contact).
6. The mandatory reply, unless the carrier already sent it: a Message with an id derived from
   the reply (written once), then the outbound queue. An opt-out is confirmed once: a repeated
   STOP within the window of the one confirmed claims nothing and sends nothing
   (docs/inbound.md#one-confirmation). A second queue record of the same id is sent once: the
   dispatcher claims every message id before sending.
7. The claim and, for an opt-out, the location's `opt_outs` count, in one transaction.
"""

import json
import uuid
from datetime import datetime
from typing import Any, Final

from smsgate.dal import audit, consent, contacts, events, locations, messages, outbound
from smsgate.errors import StorageUnavailable
from smsgate.models.addresses import is_short_code
from smsgate.models.entities import Consent, ConsentEntry, Dnd, Location, Message, StatusChange
from smsgate.models.events import InboundReply
from smsgate.models.outbound import OutboundRecord
from smsgate.models.phone import mask_phone
from smsgate.models.vocabulary import ReplyKind
from smsgate.observability import MetricUnit, logger, metrics
from smsgate.policy.carrier_opt_outs import carrier_keyword
from smsgate.policy.replies import confirmed_before, reply_text
from smsgate.policy.revocation import DEFAULT_REVOCATION_MODE, ReplyReading, read_reply
from smsgate.policy.segments import count_segments
from smsgate.settings import get_settings

# Ledger ids and reply message ids derive from the reply's key, so a redelivery finds them.
_IDS: Final = uuid.UUID("5f0c3a52-7d1e-4b8a-9c6f-2e4d8a1b3c70")
_EVIDENCE_CHARS: Final = 500


def notification_time(sqs_body: str) -> datetime | None:
    """The `Timestamp` of the SNS notification in an SQS record: when AWS published a two-way
    SMS, whose payload carries no time of its own. None for a raw (unwrapped) message."""
    try:
        envelope: Any = json.loads(sqs_body)
        return datetime.fromisoformat(str(envelope["Timestamp"]))
    except (ValueError, TypeError, KeyError):
        return None


def event_key(reply: InboundReply) -> str:
    return f"inbound#{reply.carrier}#{reply.inbound_id}"


def reply_message_id(reply: InboundReply) -> str:
    """The id of the confirmation or help reply to `reply`: the same on every redelivery."""
    return str(uuid.uuid5(_IDS, f"reply#{event_key(reply)}"))


def apply_reply(reply: InboundReply, now: datetime) -> str:
    """Apply one reply (steps in the module doc). Returns 'opt_out', 'opt_in', 'help',
    'conversation', 'stale' (a keyword older than one already applied) or 'duplicate'."""
    key = event_key(reply)
    if events.is_applied(key):
        return _duplicate(reply)
    location = _owner(reply.number)
    reading = read_reply(reply.body, location.revocation_mode if location else DEFAULT_REVOCATION_MODE)
    # The carrier's own reading wins, whatever the body says (docs/carriers.md#opt-outs-the-carrier-manages).
    settings = get_settings()
    by_carrier = carrier_keyword(reply.carrier, reply.carrier_keyword, settings.carrier_confirms_opt_outs)
    if by_carrier is not None:
        reading = ReplyReading(by_carrier, reading.keyword if reading.kind == by_carrier else None)
    if is_short_code(reply.contact):
        # A short code is a service, not a person: it neither opts out nor gets a reply.
        reading = ReplyReading(None, None)
    if location is not None:
        contacts.record_inbound(location.location_id, reply.contact, reply.received_at)
    current = True
    if reading.kind in ("opt_out", "opt_in"):
        current = _apply_keyword(reply, location, reading, now, by_carrier is not None)
    confirmed_by_carrier = by_carrier is not None and settings.carrier_confirms_opt_outs
    if (
        reading.kind is not None
        and location is not None
        and current
        and not confirmed_by_carrier
        and _first_answer(reply, location, reading)
    ):
        _queue_reply(reply, location, reading.kind, now)
    counts: list[dict[str, Any]] = []
    if reading.kind == "opt_out" and location is not None:
        audit.mark_active(location.location_id, reply.received_at)
        counts.append(audit.counter_update(location.location_id, reply.received_at, {"opt_outs": 1}))
    if not events.claim_with(key, now, counts):
        return _duplicate(reply)
    outcome = (reading.kind or "conversation") if current else "stale"
    _observe(reply, location, reading, outcome)
    return outcome


def _owner(number: str) -> Location | None:
    location_id = locations.location_for_number(number)
    return locations.get_location(location_id) if location_id else None


def _apply_keyword(
    reply: InboundReply, location: Location | None, reading: ReplyReading, now: datetime, by_carrier: bool
) -> bool:
    """Ledger line, then consent and DND; False when a newer keyword already decided."""
    opt_out = reading.kind == "opt_out"
    if by_carrier:
        source = "carrier_keyword"
    else:
        source = "keyword" if reading.keyword is not None else "reasonable_means"
    location_id = location.location_id if location else None
    entry = ConsentEntry(
        entry_id=str(uuid.uuid5(_IDS, event_key(reply))),
        action="opt_out" if opt_out else "opt_in",
        source=source,
        evidence=f"{reply.carrier} reply {reply.inbound_id}: {reply.body[:_EVIDENCE_CHARS]}",
        captured_at=reply.received_at,
        recorded_at=now,
        # A keyword the carrier acted on is the carrier's record: it blocked or unblocked the pair.
        actor=reply.carrier if by_carrier else "contact",
    )
    consent.append_keyword_ledger(location_id, reply.number, reply.contact, entry)
    keyword_consent = Consent(
        state="opted_out" if opt_out else "opted_in", source=source, captured_at=reply.received_at
    )
    # The contact's own opt-in lifts any DND: a permanent one only ever lifts this way
    # (docs/policy.md#dnd), and a reply from the number proves it receives texts again.
    reason = (
        f"opt-out: {reply.carrier} reported the contact's opt-out" if by_carrier else _dnd_reason(reading)
    )
    dnd = Dnd(state="permanent", reason=reason, since=reply.received_at) if opt_out else Dnd()
    return contacts.apply_keyword(
        location_id, reply.number, reply.contact, keyword_consent, dnd, reply.received_at
    )


def _first_answer(reply: InboundReply, location: Location, reading: ReplyReading) -> bool:
    """One confirmation per opt-out: a contact who repeats STOP within the window of the one
    confirmed gets nothing more (docs/inbound.md#one-confirmation). Other replies always answer."""
    if reading.kind != "opt_out":
        return True
    first = contacts.claim_opt_out_confirmation(
        location.location_id,
        reply.contact,
        reply_message_id(reply),
        reply.received_at,
        confirmed_before(reply.received_at),
    )
    if not first:
        metrics.add_metric(name="OptOutConfirmationRepeatSkipped", unit=MetricUnit.Count, value=1)
    return first


def _dnd_reason(reading: ReplyReading) -> str:
    if reading.keyword is None:
        return "opt-out: the contact asked to stop in a reply"
    return f"opt-out: the contact replied {reading.keyword.upper()}"


def _queue_reply(reply: InboundReply, location: Location, kind: ReplyKind, now: datetime) -> None:
    """Record and queue the mandatory reply: never decorated, and neither the daily limit nor
    the DND applies to it (docs/policy.md#replies), so it skips the send gate."""
    body = reply_text(kind, location.name)
    encoding, segments = count_segments(body)
    message = Message(
        message_id=reply_message_id(reply),
        location_id=location.location_id,
        from_number=reply.number,
        to=reply.contact,
        body=body,
        kind="reply",
        segments=segments,
        encoding=encoding,
        created_at=now,
        history=(StatusChange(status="queued", at=now),),
    )
    if not _record_once(message):
        return
    record = OutboundRecord.of(
        message,
        opt_out_received_at=reply.received_at.isoformat() if kind == "opt_out" else None,
    )
    if outbound.enqueue([record]):
        raise StorageUnavailable("The outbound queue did not take the reply; the redelivery queues it.")


def _record_once(message: Message) -> bool:
    """Record the reply; False when an earlier attempt recorded it and it has left the queue."""
    try:
        messages.put_message(message)
    except messages.MessageExists:
        earlier = messages.get_message(message.message_id)
        return earlier is None or earlier.status == "queued"
    return True


def _duplicate(reply: InboundReply) -> str:
    metrics.add_metric(name="InboundDuplicate", unit=MetricUnit.Count, value=1)
    logger.info("redelivered reply, nothing applied", extra={"inbound_id": reply.inbound_id})
    return "duplicate"


def _observe(reply: InboundReply, location: Location | None, reading: ReplyReading, outcome: str) -> None:
    metrics.add_metric(name=f"Inbound_{outcome}", unit=MetricUnit.Count, value=1)
    if reading.keyword is not None:
        keyword = reading.keyword.replace(" ", "_").replace("-", "_")
        metrics.add_metric(name=f"InboundKeyword_{keyword}", unit=MetricUnit.Count, value=1)
    elif reading.kind == "opt_out":
        metrics.add_metric(name="InboundRevocation", unit=MetricUnit.Count, value=1)
    if location is None:
        metrics.add_metric(name="InboundUnknownNumber", unit=MetricUnit.Count, value=1)
    logger.info(
        "reply applied",
        extra={
            "inbound_id": reply.inbound_id,
            "carrier": reply.carrier,
            "outcome": outcome,
            "keyword": reading.keyword,
            "location_id": location.location_id if location else None,
            "contact": mask_phone(reply.contact),
            "number": mask_phone(reply.number),
        },
    )
