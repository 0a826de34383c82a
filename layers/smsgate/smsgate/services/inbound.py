"""Contacts' replies (SPEC section 6). Completed by issue 4; this first cut records the reply
and applies the opt-out and opt-in keywords."""

import uuid
from datetime import datetime

from smsgate.dal import contacts, events, locations
from smsgate.models.entities import ConsentEntry, Dnd
from smsgate.models.events import InboundReply
from smsgate.policy.keywords import classify_reply


def apply_reply(reply: InboundReply, now: datetime) -> str:
    event_key = f"inbound#{reply.carrier}#{reply.inbound_id}"
    if events.is_applied(event_key):
        return "duplicate"
    location_id = locations.location_for_number(reply.number)
    kind = classify_reply(reply.body)
    if location_id is not None:
        contacts.record_inbound(location_id, reply.contact, reply.received_at)
        if kind == "opt_out":
            contacts.set_dnd(location_id, reply.contact, Dnd(state="permanent", reason="opt-out keyword", since=now))
            contacts.record_consent(
                location_id,
                reply.contact,
                ConsentEntry(
                    entry_id=str(uuid.uuid5(uuid.NAMESPACE_URL, event_key)),
                    action="opt_out",
                    source="keyword",
                    evidence=None,
                    captured_at=reply.received_at,
                    recorded_at=now,
                    actor="contact",
                ),
                "opted_out",
            )
        elif kind == "opt_in":
            contacts.set_dnd(location_id, reply.contact, Dnd())
    events.claim(event_key, now)
    return kind or "conversation"
