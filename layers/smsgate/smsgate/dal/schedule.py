"""The schedule: messages due at a minute, released once (ScheduleTable, docs/scheduling.md).

A minute's messages are spread over SHARDS partitions, `MINUTE#<yyyy-mm-ddThh:mm>#<shard>`, the
shard a stable hash of the message id: 100,000 messages due in one minute are 32 partitions of
about 3,100 items, each read by its own query and released by its own worker. The sort key is
the message id. Every change of state is conditional: `scheduled` becomes `released` or
`canceled` once, whoever asks first. A cursor item remembers the last minute whose release was
complete or handed to the queue, so a run after an outage catches up from there.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch, iso, plain
from smsgate.models.schedule import ScheduledMessage
from smsgate.settings import get_settings

SHARDS = 32
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
# A released or canceled item is kept this long after its minute, for the record.
RETENTION = timedelta(days=35)
PAGE = 100
_CURSOR_KEY = {"pk": "CURSOR#release", "sk": "-"}


def _table() -> Any:
    name = get_settings().schedule_table
    if not name:
        raise RuntimeError("SCHEDULE_TABLE is not set: this function has no access to the schedule")
    return clients.table(name)


def minute_of(moment: datetime) -> datetime:
    """The UTC minute `moment` falls in."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def shard_of(message_id: str) -> int:
    # A stable hash (Python's own is salted per process): every function computes the same shard.
    return int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:4], "big") % SHARDS


def partition(minute: datetime, shard: int) -> str:
    return f"MINUTE#{minute_of(minute).strftime(MINUTE_FORMAT)}#{shard:02d}"


def _key(message_id: str, due_at: datetime) -> dict[str, str]:
    return {"pk": partition(due_at, shard_of(message_id)), "sk": message_id}


def _item(message: ScheduledMessage) -> dict[str, Any]:
    return {
        **_key(message.message_id, message.due_at),
        **message.model_dump(mode="json", exclude_none=True),
        "due_at": iso(minute_of(message.due_at)),
        "expires_at": epoch(message.due_at + RETENTION),
    }


def _message(item: dict[str, Any]) -> ScheduledMessage:
    data = plain(item)
    for key in ("pk", "sk", "expires_at", "released_at", "canceled_at"):
        data.pop(key, None)
    return ScheduledMessage.model_validate(data)


def put_scheduled(messages: Iterable[ScheduledMessage]) -> None:
    """Schedule messages (batched writes of 25); a message id is scheduled once."""
    batch_items = [_item(message) for message in messages]
    if not batch_items:
        return
    if len(batch_items) == 1:
        _table().put_item(Item=batch_items[0], ConditionExpression="attribute_not_exists(pk)")
        return
    with _table().batch_writer() as batch:
        for item in batch_items:
            batch.put_item(Item=item)


def due_page(
    minute: datetime, shard: int, start: dict[str, Any] | None = None, limit: int = PAGE
) -> tuple[list[ScheduledMessage], dict[str, Any] | None]:
    """One page of the messages of `minute` and `shard` still `scheduled`, and where the next
    page starts (None: the last page)."""
    request: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk",
        "FilterExpression": "#state = :scheduled",
        "ExpressionAttributeNames": {"#state": "state"},
        "ExpressionAttributeValues": {":pk": partition(minute, shard), ":scheduled": "scheduled"},
        "Limit": limit,
    }
    if start:
        request["ExclusiveStartKey"] = start
    answer = _table().query(**request)
    return [_message(item) for item in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def get_scheduled(message_id: str, due_at: datetime) -> ScheduledMessage | None:
    item = _table().get_item(Key=_key(message_id, due_at), ConsistentRead=True).get("Item")
    return _message(item) if item else None


def _leave_scheduled(message_id: str, due_at: datetime, state: str, now: datetime) -> bool:
    return clients.conditional_write(
        _table().update_item,
        Key=_key(message_id, due_at),
        UpdateExpression=f"SET #state = :state, {state}_at = :at",
        ConditionExpression="#state = :scheduled",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":state": state, ":at": iso(now), ":scheduled": "scheduled"},
    )


def claim_release(message_id: str, due_at: datetime, now: datetime) -> bool:
    """`scheduled` → `released`: True for the one caller that released it (exactly once)."""
    return _leave_scheduled(message_id, due_at, "released", now)


def cancel(message_id: str, due_at: datetime, now: datetime) -> bool:
    """`scheduled` → `canceled`: False when it was released (or canceled) first."""
    return _leave_scheduled(message_id, due_at, "canceled", now)


def release_cursor() -> datetime | None:
    """The last minute whose release was complete or handed to the queue."""
    item = _table().get_item(Key=_CURSOR_KEY, ConsistentRead=True).get("Item")
    return datetime.fromisoformat(str(item["minute"])) if item else None


def advance_release_cursor(minute: datetime) -> bool:
    """Move the cursor forward to `minute`, never back (two overlapping runs may both try)."""
    value = iso(minute_of(minute))
    return clients.conditional_write(
        _table().update_item,
        Key=_CURSOR_KEY,
        UpdateExpression="SET #minute = :minute",
        ConditionExpression="attribute_not_exists(#minute) OR #minute < :minute",
        ExpressionAttributeNames={"#minute": "minute"},
        ExpressionAttributeValues={":minute": value},
    )


_SQS_BATCH = 10


def hand_over(chunks: list[dict[str, Any]]) -> int:
    """Queue one message per minute-shard on the release queue (docs/scheduling.md#fan-out);
    returns how many SQS did not take."""
    url = get_settings().release_queue_url
    refused = 0
    for first in range(0, len(chunks), _SQS_BATCH):
        entries = [
            {"Id": str(index), "MessageBody": json.dumps(chunk, default=str)}
            for index, chunk in enumerate(chunks[first : first + _SQS_BATCH])
        ]
        answer = clients.sqs().send_message_batch(QueueUrl=url, Entries=entries)
        refused += len(answer.get("Failed", []))
    return refused
