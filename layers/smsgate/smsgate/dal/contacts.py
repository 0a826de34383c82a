"""Contacts, their DND and consent state, and the append-only consent ledger (ContactsTable).

Keys: a contact of a location is (pk `LOC#<location>`, sk `CONTACT#<phone>`); its ledger lines
are (pk `LOC#<location>`, sk `LEDGER#<phone>#<time>#<entry id>`). A contact's opt-out or opt-in
keyword to one of our numbers is also kept under (pk `NUM#<number>`, sk `CONTACT#<phone>`), so
a STOP that reached a number no location owned yet still binds whoever sends from that number
later (issue 4); such a reply's ledger lines live under `NUM#<number>` too.

Keyword changes are conditional on `keyword_at` (epoch milliseconds of the reply): a reply
redelivered late never overturns a newer one (a STOP retried after the contact's START).
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import iso, plain
from smsgate.errors import SmsgateError
from smsgate.models.entities import Consent, ConsentEntry, Contact, Dnd
from smsgate.policy.limits import as_utc
from smsgate.reasons import ReasonCode
from smsgate.settings import get_settings

TRANSACTION_ACTIONS = 100  # DynamoDB's most actions in one TransactWriteItems
IMPORT_ATTEMPTS = 3


def _table() -> Any:
    return clients.table(get_settings().contacts_table)


def _contact_key(location_id: str, phone: str) -> dict[str, str]:
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
        }
    )


def _outbound_key(location_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"LOC#{location_id}", "sk": f"OUTBOUND#{phone}"}


def get_contact(location_id: str, phone: str) -> Contact:
    return load_contacts(location_id, [(None, phone)])[phone]


def load_contacts(location_id: str, senders_and_phones: list[tuple[str | None, str]]) -> dict[str, Contact]:
    """Contacts keyed by phone, read with batched gets (100 keys a request).

    With a sending number, an opt-out recorded against that number alone (a STOP that reached
    it before any location owned it, issue 4) counts as the contact's DND.
    """
    return contacts_from_items(
        location_id, senders_and_phones, _batch_get(contact_keys(location_id, senders_and_phones))
    )


def contact_keys(location_id: str, senders_and_phones: list[tuple[str | None, str]]) -> list[dict[str, str]]:
    """The keys `load_contacts` reads, for a caller that batches them with other tables' keys."""
    keys: list[dict[str, str]] = []
    for sender, phone in senders_and_phones:
        keys += [_contact_key(location_id, phone), _outbound_key(location_id, phone)]
        if sender is not None:
            keys.append(_number_contact_key(sender, phone))
    return keys


def _batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    name = get_settings().contacts_table
    return clients.batch_get({name: keys})[name]


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


def record_consent(location_id: str, phone: str, entry: ConsentEntry, consent_state: str) -> bool:
    """Append a ledger line and, unless the contact's consent was captured later than this
    one, set the contact's consent state, in one transaction. True when the state was set."""
    ledger_item = {
        "pk": f"LOC#{location_id}",
        "sk": f"LEDGER#{phone}#{iso(entry.recorded_at)}#{entry.entry_id}",
        "phone": phone,
        **plain(entry.model_dump(mode="json")),
    }
    name = get_settings().contacts_table
    put = {"Put": {"TableName": name, "Item": ledger_item, "ConditionExpression": "attribute_not_exists(sk)"}}
    if clients.write_transaction([put, _consent_update(name, location_id, phone, entry, consent_state)]):
        return True
    # A newer consent (or opt-out) is the contact's state: the line still goes in the ledger.
    if clients.write_transaction([put]):
        return False
    # The ledger is append-only and every entry id is new: a line already there is a bug.
    raise SmsgateError(ReasonCode.INTERNAL_ERROR, "Internal error; the consent was not recorded.")


def ledger(location_id: str, phone: str) -> list[ConsentEntry]:
    return _ledger(f"LOC#{location_id}", phone)


def number_ledger(number: str, phone: str) -> list[ConsentEntry]:
    """Ledger lines of replies to a number no location owned when they arrived."""
    return _ledger(f"NUM#{number}", phone)


def _ledger(pk: str, phone: str) -> list[ConsentEntry]:
    entries: list[ConsentEntry] = []
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": pk, ":prefix": f"LEDGER#{phone}#"},
        "ConsistentRead": True,
    }
    while True:
        page = _table().query(**query)
        entries.extend(ConsentEntry.model_validate(plain(item)) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return entries
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def dnd_update(
    location_id: str, phone: str, dnd: Dnd, *, only_if_not_permanent: bool = False
) -> dict[str, Any]:
    """The `Update` (alone, or in a TransactWriteItems) that sets the contact's DND; with
    `only_if_not_permanent`, it fails its condition on a permanent DND."""
    update: dict[str, Any] = {
        "TableName": get_settings().contacts_table,
        "Key": _contact_key(location_id, phone),
        "UpdateExpression": "SET dnd = :dnd",
        "ExpressionAttributeValues": {":dnd": plain(dnd.model_dump(mode="json"))},
    }
    if only_if_not_permanent:
        update["ConditionExpression"] = "attribute_not_exists(dnd) OR dnd.#state <> :permanent"
        update["ExpressionAttributeNames"] = {"#state": "state"}
        update["ExpressionAttributeValues"][":permanent"] = "permanent"
    return update


def set_dnd(location_id: str, phone: str, dnd: Dnd, *, only_if_not_permanent: bool = False) -> bool:
    """Set the contact's DND; with `only_if_not_permanent`, a permanent DND is left alone."""
    update = dnd_update(location_id, phone, dnd, only_if_not_permanent=only_if_not_permanent)
    update.pop("TableName")
    return clients.conditional_write(_table().update_item, **update)


def clear_temporary_dnd(location_id: str, phone: str) -> str:
    """Clear a temporary DND. Returns the state found: 'temporary' (cleared), 'permanent'
    (left in place) or 'none'."""
    cleared = clients.conditional_write(
        _table().update_item,
        Key=_contact_key(location_id, phone),
        UpdateExpression="SET dnd = :none",
        ConditionExpression="dnd.#state = :temporary",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":none": {"state": "none"}, ":temporary": "temporary"},
    )
    return "temporary" if cleared else get_contact(location_id, phone).dnd.state


def record_inbound(location_id: str, phone: str, at: datetime) -> None:
    """Record the contact's latest reply time; an older reply delivered late changes nothing."""
    clients.conditional_write(
        _table().update_item,
        Key=_contact_key(location_id, phone),
        UpdateExpression="SET last_inbound_at = :at",
        ConditionExpression="attribute_not_exists(last_inbound_at) OR last_inbound_at < :at",
        ExpressionAttributeValues={":at": iso(at)},
    )


def _keyword_scope(location_id: str | None, number: str) -> str:
    return f"LOC#{location_id}" if location_id is not None else f"NUM#{number}"


def append_keyword_ledger(location_id: str | None, number: str, phone: str, entry: ConsentEntry) -> bool:
    """Append the ledger line of a contact's keyword, once: the key holds the reply's own time
    and an id derived from it, so a redelivered reply finds its line. False when it was there."""
    item = {
        "pk": _keyword_scope(location_id, number),
        "sk": f"LEDGER#{phone}#{iso(entry.captured_at)}#{entry.entry_id}",
        "phone": phone,
        **plain(entry.model_dump(mode="json")),
    }
    return clients.conditional_write(
        _table().put_item, Item=item, ConditionExpression="attribute_not_exists(sk)"
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
        keys.insert(0, _contact_key(location_id, phone))
    update = "SET consent = :consent, dnd = :dnd, keyword_at = :at"
    if consent.state == "opted_in":
        # A later opt-out is a new one and gets its own confirmation (docs/inbound.md#one-confirmation).
        update += " REMOVE opt_out_confirmed_at, opt_out_confirmation"
    applied = [
        clients.conditional_write(
            _table().update_item,
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
        _table().update_item,
        Key=_contact_key(location_id, phone),
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


def number_dnd(number: str, phone: str) -> Dnd:
    """The DND a contact's keyword left on one of our numbers, whoever owns it."""
    item = _table().get_item(Key=_number_contact_key(number, phone), ConsistentRead=True).get("Item")
    return Dnd.model_validate(plain((item or {}).get("dnd") or {}))


def record_outbound(location_id: str, sent: list[tuple[str, datetime, datetime | None]]) -> None:
    """Record (phone, sent at, introduced at) for contacts just sent to, with batched writes.

    These live in their own item so a bulk of 5,000 costs 200 writes, not 5,000 updates
    (issue 10); overwriting is right because the newest send is the one to keep.
    """
    with _table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for phone, at, introduced_at in sent:
            batch.put_item(Item=_outbound_item(location_id, phone, at, introduced_at))


def outbound_put(
    location_id: str, phone: str, at: datetime, introduced_at: datetime | None
) -> dict[str, Any]:
    """`record_outbound` for one contact as a TransactWriteItems `Put` (the single send)."""
    return {
        "TableName": get_settings().contacts_table,
        "Item": _outbound_item(location_id, phone, at, introduced_at),
    }


def _outbound_item(
    location_id: str, phone: str, at: datetime, introduced_at: datetime | None
) -> dict[str, Any]:
    return {
        **_outbound_key(location_id, phone),
        "last_outbound_at": iso(at),
        "introduced_at": iso(introduced_at),
    }


# --- consent import and export (issue 12) ----------------------------------------------------


def _ledger_sk(phone: str, at: datetime, entry_id: str) -> str:
    return f"LEDGER#{phone}#{iso(at)}#{entry_id}"


def recorded_ledger_lines(location_id: str, lines: list[tuple[str, ConsentEntry]]) -> set[str]:
    """The entry ids among `lines` (phone, entry keyed by its capture time) already in the ledger,
    read with batched gets."""
    keys = [
        {"pk": f"LOC#{location_id}", "sk": _ledger_sk(phone, entry.captured_at, entry.entry_id)}
        for phone, entry in lines
    ]
    return {str(item["entry_id"]) for item in _batch_get(keys)}


def import_consents(location_id: str, lines: list[tuple[str, ConsentEntry]], consent_state: str) -> None:
    """Record imported opt-ins: for each contact, its ledger lines, keyed by their capture time
    and a deterministic entry id so that a re-run finds them, and its consent (that of its line
    captured last) unless the contact's current consent or opt-out was captured later: the
    newest wins, as in the single call.

    Whole contacts go in transactions of up to 100 actions, so a contact's consent is never
    written without its ledger lines, and 500 rows take about 10 requests instead of one per
    contact. The consent is a conditional UpdateItem: it never overwrites a DND or a newer
    keyword the contact sent meanwhile. Only a contact with more than 99 lines in one call
    spans two transactions.
    """
    entries: dict[str, list[ConsentEntry]] = {}
    for phone, entry in lines:
        entries.setdefault(phone, []).append(entry)
    name = get_settings().contacts_table
    for _attempt in range(IMPORT_ATTEMPTS):
        current = _consent_times(location_id, list(entries))
        contacts: list[tuple[str, list[dict[str, Any]]]] = []
        for phone, own in entries.items():
            newest = max(own, key=lambda entry: as_utc(entry.captured_at))
            update = [_consent_update(name, location_id, phone, newest, consent_state)]
            puts = [
                {"Put": {"TableName": name, "Item": _imported_line(location_id, phone, entry)}}
                for entry in own
            ]
            contacts.append((phone, (update if _newer(newest, current.get(phone)) else []) + puts))
        refused = [
            phone
            for phones, transaction in _whole_contacts(contacts)
            if not clients.write_transaction(transaction)
            for phone in phones
        ]
        if not refused:
            return
        # A consent changed between the read and the write (a STOP, another import): read
        # again and write what is still newer; the ledger lines are idempotent puts.
        entries = {phone: entries[phone] for phone in refused}
    raise SmsgateError(ReasonCode.SERVICE_UNAVAILABLE, "Consents kept changing during the import; retry.")


def _consent_times(location_id: str, phones: list[str]) -> dict[str, str | None]:
    """When each contact's current consent (opt-in or opt-out) was captured, as stored."""
    items = _batch_get([_contact_key(location_id, phone) for phone in phones])
    return {
        str(item["sk"]).removeprefix("CONTACT#"): (item.get("consent") or {}).get("captured_at")
        for item in items
    }


def _newer(entry: ConsentEntry, current: str | None) -> bool:
    return current is None or (iso(as_utc(entry.captured_at)) or "") >= current


def _consent_update(
    table_name: str, location_id: str, phone: str, entry: ConsentEntry, consent_state: str
) -> dict[str, Any]:
    """Set the contact's consent unless the one it has was captured later: the newest wins,
    whatever order they arrive in (docs/api.md#consent-time). Times are stored in UTC ISO form,
    which sorts as text."""
    captured_at = iso(as_utc(entry.captured_at))
    consent = {"state": consent_state, "source": entry.source, "captured_at": captured_at}
    return {
        "Update": {
            "TableName": table_name,
            "Key": _contact_key(location_id, phone),
            "UpdateExpression": "SET consent = :consent",
            "ConditionExpression": "attribute_not_exists(consent.captured_at)"
            " OR attribute_type(consent.captured_at, :null) OR consent.captured_at <= :at",
            "ExpressionAttributeValues": {":consent": consent, ":at": captured_at, ":null": "NULL"},
        }
    }


def _imported_line(location_id: str, phone: str, entry: ConsentEntry) -> dict[str, Any]:
    return {
        "pk": f"LOC#{location_id}",
        "sk": _ledger_sk(phone, entry.captured_at, entry.entry_id),
        "phone": phone,
        **plain(entry.model_dump(mode="json")),
    }


def _whole_contacts(
    contacts: list[tuple[str, list[dict[str, Any]]]],
) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    """The contacts' actions in transactions of at most TRANSACTION_ACTIONS, no contact split
    unless its own actions are more than one transaction holds; each with the contacts in it."""
    phones: list[str] = []
    transaction: list[dict[str, Any]] = []
    for phone, actions in contacts:
        for start in range(0, len(actions), TRANSACTION_ACTIONS):
            part = actions[start : start + TRANSACTION_ACTIONS]
            if transaction and len(transaction) + len(part) > TRANSACTION_ACTIONS:
                yield phones, transaction
                phones, transaction = [], []
            transaction += part
            if phone not in phones:
                phones.append(phone)
    if transaction:
        yield phones, transaction


def ledger_page(
    location_id: str, phone: str | None, limit: int, after: str | None
) -> tuple[list[tuple[str, ConsentEntry]], str | None]:
    """One page of the ledger of a location (or of one of its contacts), oldest contact first:
    (phone, entry) pairs and the sort key to continue after, None on the last page. One Query."""
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": f"LOC#{location_id}",
            ":prefix": f"LEDGER#{phone}#" if phone else "LEDGER#",
        },
        "Limit": limit,
        "ConsistentRead": True,
    }
    if after is not None:
        query["ExclusiveStartKey"] = {"pk": f"LOC#{location_id}", "sk": after}
    page = _table().query(**query)
    lines = [(str(item["phone"]), ConsentEntry.model_validate(plain(item))) for item in page["Items"]]
    last = page.get("LastEvaluatedKey")
    return lines, str(last["sk"]) if last else None
