"""What the tests read and write in the stack's tables directly: a contact's DND put in place
without the replies or receipts that set one, and what a reply left on one of our numbers
(no route shows it)."""

from typing import Any

from smsgate.dal import clients, contacts
from smsgate.dal.codec import plain
from smsgate.models.entities import ConsentEntry, Dnd
from smsgate.settings import get_settings


def _contacts() -> Any:
    return clients.table(get_settings().contacts_table)


def set_dnd(location_id: str, phone: str, dnd: Dnd) -> None:
    update = contacts.dnd_update(location_id, phone, dnd)
    update.pop("TableName")
    _contacts().update_item(**update)


def number_dnd(number: str, phone: str) -> Dnd:
    """The DND a contact's keyword left on one of our numbers, whoever owns it."""
    key = {"pk": f"NUM#{number}", "sk": f"CONTACT#{phone}"}
    item = _contacts().get_item(Key=key, ConsistentRead=True).get("Item")
    return Dnd.model_validate(plain((item or {}).get("dnd") or {}))


def number_ledger(number: str, phone: str) -> list[ConsentEntry]:
    """Ledger lines of replies to a number no location owned when they arrived."""
    page = _contacts().query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": f"NUM#{number}", ":prefix": f"LEDGER#{phone}#"},
        ConsistentRead=True,
    )
    return [ConsentEntry.model_validate(plain(item)) for item in page["Items"]]
