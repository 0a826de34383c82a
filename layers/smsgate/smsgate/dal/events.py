"""Processed-event marks (IdempotencyTable): each receipt, reply and send is applied once."""

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.settings import get_settings

EVENT_RETENTION = timedelta(days=7)


def _table() -> Any:
    return clients.table(get_settings().idempotency_table)


def is_applied(event_key: str) -> bool:
    item = _table().get_item(Key={"id": event_key}, ConsistentRead=True).get("Item")
    return bool(item)


def claim(event_key: str, now: datetime) -> bool:
    """Mark an event applied; False when it already was (a duplicate delivery)."""
    try:
        _table().put_item(
            Item={"id": event_key, "at": now.isoformat(), "expiration": epoch(now + EVENT_RETENTION)},
            ConditionExpression="attribute_not_exists(id)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release(event_key: str) -> None:
    """Forget a claim whose work failed, so the redelivered event is applied."""
    _table().delete_item(Key={"id": event_key})
