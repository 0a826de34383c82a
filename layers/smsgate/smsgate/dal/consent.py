"""The append-only consent ledger of the contacts (ContactsTable): opt-ins recorded one by one
or imported in bulk, the lines of the contacts' own keywords, and the ledger read back or exported.

A ledger line of a location's contact is (pk `LOC#<location>`, sk `LEDGER#<phone>#<time>#<entry
id>`); the line of a reply to a number no location owned yet lives under `NUM#<number>` instead,
beside the contact's state on that number (`smsgate.dal.contacts`). Recording a consent also sets
the contact's consent state, in the same transaction as its line.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import iso, plain
from smsgate.dal.contacts import batch_get, contact_key, contacts_table
from smsgate.errors import SmsgateError
from smsgate.models.entities import ConsentEntry
from smsgate.models.moments import as_utc
from smsgate.reasons import ReasonCode
from smsgate.settings import get_settings

TRANSACTION_ACTIONS = 100  # DynamoDB's most actions in one TransactWriteItems
IMPORT_ATTEMPTS = 3


def _ledger_sk(phone: str, at: datetime, entry_id: str) -> str:
    return f"LEDGER#{phone}#{iso(at)}#{entry_id}"


def _line(pk: str, phone: str, at: datetime, entry: ConsentEntry) -> dict[str, Any]:
    """The ledger item of `entry`, keyed by `at` (when it was recorded, or captured)."""
    return {
        "pk": pk,
        "sk": _ledger_sk(phone, at, entry.entry_id),
        "phone": phone,
        **plain(entry.model_dump(mode="json")),
    }


def record_consent(location_id: str, phone: str, entry: ConsentEntry, consent_state: str) -> bool:
    """Append a ledger line and, unless the contact's consent was captured later than this
    one, set the contact's consent state, in one transaction. True when the state was set."""
    ledger_item = _line(f"LOC#{location_id}", phone, entry.recorded_at, entry)
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


def _ledger(pk: str, phone: str) -> list[ConsentEntry]:
    entries: list[ConsentEntry] = []
    query: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": pk, ":prefix": f"LEDGER#{phone}#"},
        "ConsistentRead": True,
    }
    while True:
        page = contacts_table().query(**query)
        entries.extend(ConsentEntry.model_validate(plain(item)) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return entries
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _keyword_scope(location_id: str | None, number: str) -> str:
    return f"LOC#{location_id}" if location_id is not None else f"NUM#{number}"


def append_keyword_ledger(location_id: str | None, number: str, phone: str, entry: ConsentEntry) -> bool:
    """Append the ledger line of a contact's keyword, once: the key holds the reply's own time
    and an id derived from it, so a redelivered reply finds its line. False when it was there."""
    item = _line(_keyword_scope(location_id, number), phone, entry.captured_at, entry)
    return clients.conditional_write(
        contacts_table().put_item, Item=item, ConditionExpression="attribute_not_exists(sk)"
    )


# --- consent import and export (docs/api.md) -------------------------------------------------


def recorded_ledger_lines(location_id: str, lines: list[tuple[str, ConsentEntry]]) -> set[str]:
    """The entry ids among `lines` (phone, entry keyed by its capture time) already in the ledger,
    read with batched gets."""
    keys = [
        {"pk": f"LOC#{location_id}", "sk": _ledger_sk(phone, entry.captured_at, entry.entry_id)}
        for phone, entry in lines
    ]
    return {str(item["entry_id"]) for item in batch_get(keys)}


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
    items = batch_get([contact_key(location_id, phone) for phone in phones])
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
            "Key": contact_key(location_id, phone),
            "UpdateExpression": "SET consent = :consent",
            "ConditionExpression": "attribute_not_exists(consent.captured_at)"
            " OR attribute_type(consent.captured_at, :null) OR consent.captured_at <= :at",
            "ExpressionAttributeValues": {":consent": consent, ":at": captured_at, ":null": "NULL"},
        }
    }


def _imported_line(location_id: str, phone: str, entry: ConsentEntry) -> dict[str, Any]:
    return _line(f"LOC#{location_id}", phone, entry.captured_at, entry)


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
    page = contacts_table().query(**query)
    lines = [(str(item["phone"]), ConsentEntry.model_validate(plain(item))) for item in page["Items"]]
    last = page.get("LastEvaluatedKey")
    return lines, str(last["sk"]) if last else None
