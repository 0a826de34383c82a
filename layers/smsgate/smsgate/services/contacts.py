"""A location's contact as the API shows it (its consent, DND, place and ledger), where it is
(docs/quiet-hours.md#where-the-recipient-is), and an operator clearing a temporary DND
(docs/inbound.md)."""

from datetime import datetime

from smsgate.dal import consent, contacts, locations
from smsgate.errors import SmsgateError
from smsgate.models.entities import Contact, ContactPlace
from smsgate.models.location_requests import ContactPlaceRequest
from smsgate.models.location_views import ContactView
from smsgate.reasons import ReasonCode


def contact_view(contact: Contact) -> ContactView:
    ledger = consent.ledger(contact.location_id, contact.phone)
    return ContactView.model_validate(
        {
            "location_id": contact.location_id,
            "phone": contact.phone,
            "consent": contact.consent.model_dump(mode="json"),
            "dnd": contact.dnd.model_dump(mode="json"),
            "last_inbound_at": contact.last_inbound_at.isoformat() if contact.last_inbound_at else None,
            "last_outbound_at": contact.last_outbound_at.isoformat() if contact.last_outbound_at else None,
            "place": contact.place.model_dump(mode="json") if contact.place else None,
            "ledger": ledger,
        }
    )


def get_contact(location_id: str, phone: str) -> ContactView:
    locations.require_location(location_id)
    return contact_view(contacts.get_contact(location_id, phone))


def clear_dnd(location_id: str, phone: str) -> ContactView:
    """Clear a temporary DND; a permanent one only lifts by the contact's own opt-in."""
    locations.require_location(location_id)
    found = contacts.clear_temporary_dnd(location_id, phone)
    if found == "permanent":
        raise SmsgateError(
            ReasonCode.DND_PERMANENT,
            "A permanent DND can only be lifted by the contact replying START (or YES, UNSTOP).",
        )
    return contact_view(contacts.get_contact(location_id, phone))


def record_place(location_id: str, phone: str, request: ContactPlaceRequest, now: datetime) -> ContactView:
    """Record where the contact is: its time zone and state place it for quiet hours before its
    number does."""
    locations.require_location(location_id)
    recorded_at = now if request.time_zone or request.state else None
    place = ContactPlace(time_zone=request.time_zone, state=request.state, recorded_at=recorded_at)
    contacts.record_place(location_id, phone, place)
    return contact_view(contacts.get_contact(location_id, phone))
