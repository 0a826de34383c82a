"""Messages and their status history (MessagesTable); idempotent send answers live here too."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch, iso, plain
from smsgate.models.entities import CarrierReceipt, Message, StatusChange
from smsgate.settings import get_settings

MESSAGE_RETENTION = timedelta(days=400)
IDEMPOTENCY_RETENTION = timedelta(days=1)


def _table() -> Any:
    return clients.table(get_settings().messages_table)


def _key(message_id: str) -> dict[str, str]:
    return {"pk": f"MSG#{message_id}"}


def _change(change: StatusChange) -> dict[str, Any]:
    item = {"status": change.status, "at": iso(change.at), "error_code": change.error_code}
    if change.reason is not None:
        item["reason"] = change.reason
    return item


def _item(message: Message) -> dict[str, Any]:
    return {
        **_key(message.message_id),
        **message.model_dump(mode="json", exclude={"history"}, exclude_none=True),
        "history": [_change(change) for change in message.history],
        "expires_at": epoch(message.created_at + MESSAGE_RETENTION),
    }


class MessageExists(Exception):
    """A message with this id is already stored: `put_message` never overwrites one."""


def put_message(message: Message) -> None:
    """Store a new message; raises MessageExists when its id is taken (a redelivered reply)."""
    if not clients.conditional_write(
        _table().put_item, Item=_item(message), ConditionExpression="attribute_not_exists(pk)"
    ):
        raise MessageExists(message.message_id)


def new_message_put(message: Message) -> dict[str, Any]:
    """`put_message` as a TransactWriteItems `Put` (the single send's transaction)."""
    return {
        "TableName": get_settings().messages_table,
        "Item": _item(message),
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def put_messages(messages: list[Message]) -> None:
    """Many new messages with batched writes (a bulk send)."""
    with _table().batch_writer() as batch:
        for message in messages:
            batch.put_item(Item=_item(message))


def get_message(message_id: str) -> Message | None:
    item = _table().get_item(Key=_key(message_id), ConsistentRead=True).get("Item")
    if not item:
        return None
    data = plain(item)
    data.pop("pk", None)
    data.pop("expires_at", None)
    return Message.model_validate(data)


def advance_status(
    message_id: str, change: StatusChange, allowed_from: list[str], carrier_message_id: str | None = None
) -> bool:
    """Move a message to a new status only from one of `allowed_from` (never backwards).

    Returns False when the message is missing or already past that status.
    """
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":status": change.status,
        ":code": change.error_code,
        ":change": [_change(change)],
        **{f":from{index}": status for index, status in enumerate(allowed_from)},
    }
    expression = "SET #status = :status, error_code = :code, history = list_append(history, :change)"
    if carrier_message_id is not None:
        expression += ", carrier_message_id = if_not_exists(carrier_message_id, :carrier_id)"
        values[":carrier_id"] = carrier_message_id
    allowed = ", ".join(f":from{index}" for index in range(len(allowed_from)))
    return clients.conditional_write(
        _table().update_item,
        Key=_key(message_id),
        UpdateExpression=expression,
        ConditionExpression=f"attribute_exists(pk) AND #status IN ({allowed})",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def reschedule(message_id: str, due_at: datetime, change: StatusChange) -> bool:
    """Keep a scheduled message scheduled, for a later minute, with why in its history
    (docs/scheduling.md#deferral-at-the-release). False when it is no longer scheduled."""
    return clients.conditional_write(
        _table().update_item,
        Key=_key(message_id),
        UpdateExpression="SET scheduled_for = :due, history = list_append(history, :change)",
        ConditionExpression="attribute_exists(pk) AND #status = :scheduled",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":due": iso(due_at),
            ":change": [_change(change)],
            ":scheduled": "scheduled",
        },
    )


def _receipt(receipt: CarrierReceipt) -> dict[str, Any]:
    return {
        **_change(StatusChange(status=receipt.status, at=receipt.at, error_code=receipt.error_code)),
        "carrier_status": receipt.carrier_status,
        "final": receipt.final,
    }


def status_update(
    message: Message, change: StatusChange, receipt: CarrierReceipt, carrier_message_id: str | None
) -> dict[str, Any]:
    """A TransactWriteItems `Update` moving `message` to `change` and keeping `receipt`.

    It holds only while the message is as read (its status and the length of its history),
    so `change`'s time, computed from the last change read, never precedes the one it follows
    (docs/receipts.md#history); a message changed meanwhile fails the transaction, and the
    caller reads it again.
    """
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":status": change.status,
        ":code": change.error_code,
        ":change": [_change(change)],
        ":receipt": [_receipt(receipt)],
        ":none": [],
        ":current": message.status,
        ":length": len(message.history),
    }
    expression = (
        "SET #status = :status, error_code = :code, history = list_append(history, :change),"
        " receipts = list_append(if_not_exists(receipts, :none), :receipt)"
    )
    if carrier_message_id is not None:
        expression += ", carrier_message_id = if_not_exists(carrier_message_id, :carrier_id)"
        values[":carrier_id"] = carrier_message_id
    return {
        "TableName": get_settings().messages_table,
        "Key": _key(message.message_id),
        "UpdateExpression": expression,
        "ConditionExpression": "attribute_exists(pk) AND #status = :current AND size(history) = :length",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def receipt_update(message_id: str, receipt: CarrierReceipt) -> dict[str, Any]:
    """A TransactWriteItems `Update` keeping a receipt that does not move the status (a late,
    repeated or not final one) beside the history, never in it."""
    return {
        "TableName": get_settings().messages_table,
        "Key": _key(message_id),
        "UpdateExpression": "SET receipts = list_append(if_not_exists(receipts, :none), :receipt)",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":receipt": [_receipt(receipt)], ":none": []},
    }


# ---------------------------------------------------------------- idempotent send answers


def _idempotency_key(location_id: str, key: str) -> dict[str, str]:
    return {"pk": f"IDEM#{location_id}#{key}"}


def claim_idempotency_key(
    location_id: str, key: str, request_hash: str, now: datetime
) -> dict[str, Any] | None:
    """Claim a caller's idempotency key for the request whose digest is `request_hash`. Returns
    None when this call owns it now, else the stored record ({'state': 'pending', 'request_hash'}
    or {'state': 'done', 'request_hash', 'status', 'body', 'headers'})."""
    if clients.conditional_write(
        _table().put_item,
        Item={
            **_idempotency_key(location_id, key),
            "state": "pending",
            "request_hash": request_hash,
            "expires_at": epoch(now + IDEMPOTENCY_RETENTION),
        },
        ConditionExpression="attribute_not_exists(pk)",
    ):
        return None
    item = _table().get_item(Key=_idempotency_key(location_id, key), ConsistentRead=True).get("Item")
    return plain(item) if item else {"state": "pending"}


def complete_idempotency_key(
    location_id: str, key: str, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    _table().update_item(
        Key=_idempotency_key(location_id, key),
        UpdateExpression="SET #state = :done, #status = :status, body = :body, headers = :headers",
        ExpressionAttributeNames={"#state": "state", "#status": "status"},
        ExpressionAttributeValues={
            ":done": "done",
            ":status": status,
            # DynamoDB takes numbers as Decimal; a JSON round trip makes the answer storable.
            ":body": json.loads(json.dumps(body, default=str), parse_float=Decimal),
            ":headers": headers,
        },
    )


def release_idempotency_key(location_id: str, key: str) -> None:
    _table().delete_item(Key=_idempotency_key(location_id, key))
