"""Processed-event marks (IdempotencyTable): each receipt, reply and send is applied once."""

from datetime import datetime, timedelta
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.settings import get_settings

EVENT_RETENTION = timedelta(days=7)


def _table() -> Any:
    return clients.table(get_settings().idempotency_table)


def _claim_item(event_key: str, now: datetime) -> dict[str, Any]:
    return {"id": event_key, "at": now.isoformat(), "expiration": epoch(now + EVENT_RETENTION)}


def is_applied(event_key: str) -> bool:
    item = _table().get_item(Key={"id": event_key}, ConsistentRead=True).get("Item")
    return bool(item)


def claim(event_key: str, now: datetime) -> bool:
    """Mark an event applied; False when it already was (a duplicate delivery)."""
    return clients.conditional_write(
        _table().put_item, Item=_claim_item(event_key, now), ConditionExpression="attribute_not_exists(id)"
    )


def claim_with(event_key: str, now: datetime, updates: list[dict[str, Any]]) -> bool:
    """Mark an event applied and make `updates` (TransactWriteItems `Update`s, such as
    `dal.audit.counter_update`) in one transaction: both happen or neither does.

    False when the event was already applied; then nothing is written, so a redelivered event
    is never counted twice.
    """
    if not updates:
        return claim(event_key, now)
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": get_settings().idempotency_table,
                "Item": _claim_item(event_key, now),
                "ConditionExpression": "attribute_not_exists(id)",
            }
        },
        *({"Update": update} for update in updates),
    ]
    return clients.write_transaction(items)


def release(event_key: str) -> None:
    """Forget a claim whose work failed, so the redelivered event is applied."""
    _table().delete_item(Key={"id": event_key})
