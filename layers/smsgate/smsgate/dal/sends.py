"""The single send's storage: one batched read of what the gate decides on, one transaction of
what an accepted message changes (docs/send-path.md).

The read and the transaction are made of the owning modules' own keys and actions
(`locations`, `contacts`, `counters`, `snowshoe`, `messages`), so each item keeps one writer.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from smsgate.dal import clients, contacts, locations, messages
from smsgate.models.entities import Contact, Location, Message
from smsgate.settings import get_settings

# "same_subject": the contact's same-subject record changed since it was read (a racing send):
# the caller decides again (docs/quiet-hours.md#storage).
Refused = Literal["snowshoeing", "daily_limit", "volume_cap", "brand_cap", "same_subject"]


@dataclass(frozen=True)
class GateReads:
    """What one BatchGetItem returned: the location (None when it does not exist) and the contact."""

    location: Location | None
    contact: Contact


def read_for_send(location_id: str, sender: str, phone: str) -> GateReads:
    """The location and the contact (its consent, DND, last send and the sending number's own
    DND) in one BatchGetItem over both tables."""
    settings = get_settings()
    wanted: list[tuple[str | None, str]] = [(sender, phone)]
    found = clients.batch_get(
        {
            settings.locations_table: [locations.location_key(location_id)],
            settings.contacts_table: contacts.contact_keys(location_id, wanted),
        }
    )
    place = found[settings.locations_table]
    return GateReads(
        location=locations.location_from_item(place[0] if place else None),
        contact=contacts.contacts_from_items(location_id, wanted, found[settings.contacts_table])[phone],
    )


@dataclass(frozen=True)
class SendWrites:
    """The conditional actions an accepted single send takes, in the gate's order (row 9, then
    row 10's daily limit, low-volume cap and the brand's T-Mobile cap), and the message with its
    contact's outbound record (with its same-subject record, conditionally, when it counts)."""

    snowshoe: list[dict[str, Any]]
    daily: dict[str, Any]
    volume: dict[str, Any] | None
    brand: dict[str, Any] | None
    message: Message
    introduced_at: datetime | None
    # (read, to write): the contact's same-subject record when this message counts toward it.
    subject: tuple[tuple[datetime, ...], tuple[datetime, ...]] | None = None


def record_send(writes: SendWrites) -> Refused | None:
    """One TransactWriteItems: every counter and the message, or nothing. Returns None when
    written, else the first of the gate's conditions (in the gate's order) that did not hold."""
    message = writes.message
    labelled: list[tuple[Refused | None, dict[str, Any]]] = [
        *(("snowshoeing", action) for action in writes.snowshoe),
        ("daily_limit", {"Update": writes.daily}),
    ]
    if writes.volume is not None:
        labelled.append(("volume_cap", {"Update": writes.volume}))
    if writes.brand is not None:
        labelled.append(("brand_cap", {"Update": writes.brand}))
    labelled += [
        (None, {"Put": messages.new_message_put(message)}),
        (
            None if writes.subject is None else "same_subject",
            {
                "Update": contacts.outbound_update(
                    message.location_id, message.to, message.created_at, writes.introduced_at, writes.subject
                )
            },
        ),
    ]
    failed = clients.transaction_refusals([action for _, action in labelled])
    for index in failed:
        label = labelled[index][0]
        if label is not None:
            return label
    if failed:
        # The message's id is new (a UUID): its Put cannot fail unless storage is wrong.
        raise RuntimeError("the send's transaction was refused on the message record itself")
    return None
