"""Contacts and their DND and consent state (ContactsTable); their consent ledger is
`smsgate.dal.consent`.

Keys: a contact of a location is (pk `LOC#<location>`, sk `CONTACT#<phone>`). A contact's opt-out
or opt-in keyword to one of our numbers is also kept under (pk `NUM#<number>`, sk
`CONTACT#<phone>`), so a STOP that reached a number no location owned yet still binds whoever
sends from that number later (docs/inbound.md#a-number-or-contact-we-do-not-know).

Keyword changes are conditional on `keyword_at` (epoch milliseconds of the reply): a reply
redelivered late never overturns a newer one (a STOP retried after the contact's START).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import iso, plain
from smsgate.models.entities import Consent, Contact, ContactPlace, Dnd
from smsgate.settings import get_settings


def contacts_table() -> Any:
    return clients.table(get_settings().contacts_table)


def contact_key(location_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"LOC#{location_id}", "sk": f"CONTACT#{phone}"}


def _number_contact_key(number: str, phone: str) -> dict[str, str]:
    return {"pk": f"NUM#{number}", "sk": f"CONTACT#{phone}"}


def _contact(location_id: str, phone: str, item: dict[str, Any] | None) -> Contact:
    data = plain(item or {})
    return Contact.model_validate(
        {
            "location_id": location_id,
            "phone": phone,
            "consent": data.get("consent") or {},
            "dnd": data.get("dnd") or {},
            "last_outbound_at": data.get("last_outbound_at"),
            "last_inbound_at": data.get("last_inbound_at"),
            "introduced_at": data.get("introduced_at"),
            "subject_sends": data.get("subject_sends") or (),
            "place": data.get("place"),
        }
    )


def _outbound_key(location_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"LOC#{location_id}", "sk": f"OUTBOUND#{phone}"}


def get_contact(location_id: str, phone: str) -> Contact:
    return load_contacts(location_id, [(None, phone)])[phone]


def load_contacts(location_id: str, senders_and_phones: list[tuple[str | None, str]]) -> dict[str, Contact]:
    """Contacts keyed by phone, read with batched gets (100 keys a request).

    With a sending number, an opt-out recorded against that number alone (a STOP that reached
    it before any location owned it) counts as the contact's DND.
    """
    return contacts_from_items(
        location_id, senders_and_phones, batch_get(contact_keys(location_id, senders_and_phones))
    )


def contact_keys(location_id: str, senders_and_phones: list[tuple[str | None, str]]) -> list[dict[str, str]]:
    """The keys `load_contacts` reads, for a caller that batches them with other tables' keys."""
    keys: list[dict[str, str]] = []
    for sender, phone in senders_and_phones:
        keys += [contact_key(location_id, phone), _outbound_key(location_id, phone)]
        if sender is not None:
            keys.append(_number_contact_key(sender, phone))
    return keys


def contacts_from_items(
    location_id: str, senders_and_phones: list[tuple[str | None, str]], found: list[dict[str, Any]]
) -> dict[str, Contact]:
    """The contacts the items read at `contact_keys` describe, keyed by phone."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for item in found:
        items[(item["pk"], item["sk"])] = item
    contacts: dict[str, Contact] = {}
    loc = f"LOC#{location_id}"
    for sender, phone in senders_and_phones:
        data = dict(items.get((loc, f"CONTACT#{phone}"), {}))
        data.update(items.get((loc, f"OUTBOUND#{phone}"), {}))
        contact = _contact(location_id, phone, data)
        by_number = items.get((f"NUM#{sender}", f"CONTACT#{phone}")) if sender else None
        if by_number and contact.dnd.state == "none":
            number_dnd = Dnd.model_validate(plain(by_number.get("dnd") or {}))
            if number_dnd.state != "none":
                contact = contact.model_copy(update={"dnd": number_dnd})
        contacts[phone] = contact
    return contacts


def batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Items of the Contacts table at `keys` (the consent ledger reads through this too)."""
    name = get_settings().contacts_table
    return clients.batch_get({name: keys})[name]


def dnd_update(
    location_id: str, phone: str, dnd: Dnd, *, only_if_not_permanent: bool = False
) -> dict[str, Any]:
    """The `Update` (alone, or in a TransactWriteItems) that sets the contact's DND; with
    `only_if_not_permanent`, it fails its condition on a permanent DND."""
    update: dict[str, Any] = {
        "TableName": get_settings().contacts_table,
        "Key": contact_key(location_id, phone),
        "UpdateExpression": "SET dnd = :dnd",
        "ExpressionAttributeValues": {":dnd": plain(dnd.model_dump(mode="json"))},
    }
    if only_if_not_permanent:
        update["ConditionExpression"] = "attribute_not_exists(dnd) OR dnd.#state <> :permanent"
        update["ExpressionAttributeNames"] = {"#state": "state"}
        update["ExpressionAttributeValues"][":permanent"] = "permanent"
    return update


def clear_temporary_dnd(location_id: str, phone: str) -> str:
    """Clear a temporary DND. Returns the state found: 'temporary' (cleared), 'permanent'
    (left in place) or 'none'."""
    cleared = clients.conditional_write(
        contacts_table().update_item,
        Key=contact_key(location_id, phone),
        UpdateExpression="SET dnd = :none",
        ConditionExpression="dnd.#state = :temporary",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":none": {"state": "none"}, ":temporary": "temporary"},
    )
    return "temporary" if cleared else get_contact(location_id, phone).dnd.state


def record_place(location_id: str, phone: str, place: ContactPlace) -> None:
    """Record where the contact is, replacing what was recorded; a place with neither a time zone
    nor a state removes it (docs/quiet-hours.md#where-the-recipient-is)."""
    if place.time_zone is None and place.state is None:
        contacts_table().update_item(Key=contact_key(location_id, phone), UpdateExpression="REMOVE place")
        return
    contacts_table().update_item(
        Key=contact_key(location_id, phone),
        UpdateExpression="SET place = :place",
        ExpressionAttributeValues={":place": plain(place.model_dump(mode="json", exclude_none=True))},
    )


def record_inbound(location_id: str, phone: str, at: datetime) -> None:
    """Record the contact's latest reply time; an older reply delivered late changes nothing."""
    clients.conditional_write(
        contacts_table().update_item,
        Key=contact_key(location_id, phone),
        UpdateExpression="SET last_inbound_at = :at",
        ConditionExpression="attribute_not_exists(last_inbound_at) OR last_inbound_at < :at",
        ExpressionAttributeValues={":at": iso(at)},
    )


def apply_keyword(
    location_id: str | None, number: str, phone: str, consent: Consent, dnd: Dnd, at: datetime
) -> bool:
    """Set consent and DND as a contact's keyword at `at` asks, for the location (when one owns
    the number) and for the number itself. Absolute writes, repeatable; False when a newer
    keyword of the contact was already applied (this one is then left out)."""
    values = {
        ":consent": plain(consent.model_dump(mode="json")),
        ":dnd": plain(dnd.model_dump(mode="json")),
        ":at": int(at.timestamp() * 1000),
    }
    keys = [_number_contact_key(number, phone)]
    if location_id is not None:
        keys.insert(0, contact_key(location_id, phone))
    update = "SET consent = :consent, dnd = :dnd, keyword_at = :at"
    if consent.state == "opted_in":
        # A later opt-out is a new one and gets its own confirmation (docs/inbound.md#one-confirmation).
        update += " REMOVE opt_out_confirmed_at, opt_out_confirmation"
    applied = [
        clients.conditional_write(
            contacts_table().update_item,
            Key=key,
            UpdateExpression=update,
            ConditionExpression="attribute_not_exists(keyword_at) OR keyword_at <= :at",
            ExpressionAttributeValues=values,
        )
        for key in keys
    ]
    return applied[0]


def claim_opt_out_confirmation(
    location_id: str, phone: str, confirmation_id: str, received_at: datetime, confirmed_before: datetime
) -> bool:
    """Claim the confirmation of the contact's opt-out received at `received_at`: False when
    another opt-out of theirs was confirmed at or after `confirmed_before` (and not since lifted
    by an opt-in). Repeatable for the same `confirmation_id`, so a redelivery still sends it."""
    return clients.conditional_write(
        contacts_table().update_item,
        Key=contact_key(location_id, phone),
        UpdateExpression="SET opt_out_confirmed_at = :at, opt_out_confirmation = :id",
        ConditionExpression=(
            "attribute_not_exists(opt_out_confirmed_at) OR opt_out_confirmed_at < :since "
            "OR opt_out_confirmation = :id"
        ),
        ExpressionAttributeValues={
            ":at": int(received_at.timestamp() * 1000),
            ":since": int(confirmed_before.timestamp() * 1000),
            ":id": confirmation_id,
        },
    )


def record_outbound(
    location_id: str,
    sent: list[tuple[str, datetime, datetime | None]],
    *,
    subject_sends: Mapping[str, Sequence[datetime]],
) -> None:
    """Record (phone, sent at, introduced at) for contacts just sent to, with batched writes,
    each with its same-subject record as `subject_sends` gives it (the one read, with this send
    when it counts): a batched write replaces the whole item.

    These live in their own item so a bulk of 5,000 costs 200 writes, not 5,000 updates
    (docs/performance.md#requests-and-cost-per-message); overwriting is right because the
    newest send is the one to keep. Unconditional: a send to the same contact between the
    caller's read and this write is left out of its record (docs/quiet-hours.md#storage).
    """
    with contacts_table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for phone, at, introduced_at in sent:
            item = _outbound_item(location_id, phone, at, introduced_at)
            if subject_sends.get(phone):
                item["subject_sends"] = [iso(moment) for moment in subject_sends[phone]]
            batch.put_item(Item=item)


def outbound_update(
    location_id: str,
    phone: str,
    at: datetime,
    introduced_at: datetime | None,
    subject: tuple[Sequence[datetime], Sequence[datetime]] | None = None,
) -> dict[str, Any]:
    """`record_outbound` for one contact as a TransactWriteItems `Update` (the single send). It
    leaves the contact's same-subject record as it is, unless `subject` is (the record read,
    the record to write): then it writes it only if the record is still the one read, so two
    racing sends cannot both take the last place (docs/quiet-hours.md#storage)."""
    update: dict[str, Any] = {
        "TableName": get_settings().contacts_table,
        "Key": _outbound_key(location_id, phone),
        "UpdateExpression": "SET last_outbound_at = :at, introduced_at = :introduced",
        "ExpressionAttributeValues": {":at": iso(at), ":introduced": iso(introduced_at)},
    }
    if subject is not None:
        read, written = subject
        update["UpdateExpression"] += ", subject_sends = :sends"
        update["ExpressionAttributeValues"][":sends"] = [iso(moment) for moment in written]
        if read:
            update["ConditionExpression"] = "subject_sends = :read"
            update["ExpressionAttributeValues"][":read"] = [iso(moment) for moment in read]
        else:
            update["ConditionExpression"] = "attribute_not_exists(subject_sends)"
    return update


def _outbound_item(
    location_id: str, phone: str, at: datetime, introduced_at: datetime | None
) -> dict[str, Any]:
    return {
        **_outbound_key(location_id, phone),
        "last_outbound_at": iso(at),
        "introduced_at": iso(introduced_at),
    }
