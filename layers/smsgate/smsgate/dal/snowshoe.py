"""Which sending numbers sent each body fingerprint (CountersTable), for snowshoeing (SPEC
section 3, check 9; docs/content-policy.md).

One item per location, window bucket and fingerprint key (`smsgate.policy.fingerprint`):
`SNOW#<location>#<bucket start>#<key>`, a string set `numbers` and a TTL `expires_at`.

Sliding window from two fixed buckets: a number that sends in bucket *b* is added to the items of
*b* and *b + 1*, and the check reads only the item of *b*. So the item checked during bucket *b*
holds every number of buckets *b − 1* and *b*, and any period of one window length (which lies
within two adjacent buckets) never sees more than the allowed count of numbers; a number is
remembered for between one and two window lengths. The check and both additions, for every key
of the body, are one transaction: a number is recorded exactly when it is allowed, however many
requests race, and a refused number is never recorded.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.settings import get_settings


def bucket_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed bucket (UTC, aligned to the epoch) that holds `now`."""
    width = int(window.total_seconds())
    return datetime.fromtimestamp(epoch(now) // width * width, UTC)


def item_key(location_id: str, bucket: datetime, key: str) -> str:
    return f"SNOW#{location_id}#{bucket.strftime('%Y%m%dT%H%M')}#{key}"


def _update(location_id: str, bucket: datetime, key: str, number: str, window: timedelta) -> dict[str, Any]:
    return {
        "TableName": get_settings().counters_table,
        "Key": {"pk": item_key(location_id, bucket, key)},
        "UpdateExpression": "ADD numbers :number SET expires_at = if_not_exists(expires_at, :ttl)",
        # The item of bucket b is read until b ends and written from b - 1 on.
        "ExpressionAttributeValues": {":number": {number}, ":ttl": epoch(bucket + 2 * window)},
    }


def record_sender(
    location_id: str, keys: Sequence[str], number: str, now: datetime, window: timedelta, max_numbers: int
) -> bool:
    """Record `number` as a sender of the body fingerprinted by `keys`; False, recording nothing,
    when for any key `max_numbers` other numbers already sent it within the window."""
    return clients.write_transaction(sender_updates(location_id, keys, number, now, window, max_numbers))


def sender_updates(
    location_id: str, keys: Sequence[str], number: str, now: datetime, window: timedelta, max_numbers: int
) -> list[dict[str, Any]]:
    """The TransactWriteItems actions of `record_sender`, for a caller that writes them in a
    transaction of its own (the single send): any of them failing its condition is the refusal."""
    current = bucket_start(now, window)
    items: list[dict[str, Any]] = []
    for key in dict.fromkeys(keys):
        checked = _update(location_id, current, key, number, window)
        checked["ConditionExpression"] = (
            "attribute_not_exists(numbers) OR contains(numbers, :sender) OR size(numbers) < :max"
        )
        checked["ExpressionAttributeValues"] |= {":sender": number, ":max": max_numbers}
        items += [
            {"Update": checked},
            {"Update": _update(location_id, current + window, key, number, window)},
        ]
    return items


def senders(location_id: str, keys: Sequence[str], now: datetime, window: timedelta) -> list[set[str]]:
    """The numbers recorded for each key in the current window, read only (for a bulk preview)."""
    current = bucket_start(now, window)
    table = clients.table(get_settings().counters_table)
    found: list[set[str]] = []
    for key in dict.fromkeys(keys):
        item = table.get_item(Key={"pk": item_key(location_id, current, key)}, ConsistentRead=True).get(
            "Item"
        )
        found.append(set(item.get("numbers", set())) if item else set())
    return found
