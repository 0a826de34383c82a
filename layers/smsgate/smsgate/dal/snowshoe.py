"""Which sending numbers sent each body fingerprint (CountersTable), for snowshoeing
(docs/content-policy.md#snowshoeing-storage-smsgatedalsnowshoe-counters-table).

Sliding window from two fixed buckets: a number that sends in bucket *b* is added to the sets of
*b* and *b + 1*, and the check reads only the set of *b*. So the set checked during bucket *b*
holds every number of buckets *b − 1* and *b*, and any period of one window length (which lies
within two adjacent buckets) never sees more than the allowed count of numbers; a number is
remembered for between one and two window lengths.

One item per location, fingerprint key (`smsgate.policy.fingerprint`) and period of
`PERIOD_BUCKETS` buckets: `SNOW#<location>#<period start>#<key>`, one string set per bucket of
the period (`n<bucket start>`) and a TTL `expires_at`. Both sets a send adds to are then in one
item, one conditional update, except in the period's last bucket, whose next bucket is the next
period's; an item holds at most `PERIOD_BUCKETS` small sets, so it stays one write unit. The
check and the additions, for every key of the body, are one transaction: a number is recorded
exactly when it is allowed, however many requests race, and a refused number is never recorded.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.settings import get_settings

# Buckets per item: a week of the default 24-hour window. A send writes one item per key on
# all but the period's last bucket, two on that one (docs/send-path.md#what-it-costs).
PERIOD_BUCKETS = 7


def bucket_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed bucket (UTC, aligned to the epoch) that holds `now`."""
    width = int(window.total_seconds())
    return datetime.fromtimestamp(epoch(now) // width * width, UTC)


def period_start(bucket: datetime, window: timedelta) -> datetime:
    """The start of the period (PERIOD_BUCKETS buckets, aligned to the epoch) that holds `bucket`."""
    width = int(window.total_seconds()) * PERIOD_BUCKETS
    return datetime.fromtimestamp(epoch(bucket) // width * width, UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M")


def item_key(location_id: str, period: datetime, key: str) -> str:
    return f"SNOW#{location_id}#{_stamp(period)}#{key}"


def bucket_attribute(bucket: datetime) -> str:
    """The name of the set of numbers recorded for `bucket` in its period's item."""
    return f"n{_stamp(bucket)}"


def _update(
    location_id: str, key: str, number: str, window: timedelta, buckets: list[datetime]
) -> dict[str, Any]:
    """Add `number` to the sets of `buckets`, which share one period."""
    period = period_start(buckets[0], window)
    names = {f"#b{index}": bucket_attribute(bucket) for index, bucket in enumerate(buckets)}
    return {
        "TableName": get_settings().counters_table,
        "Key": {"pk": item_key(location_id, period, key)},
        "UpdateExpression": "ADD "
        + ", ".join(f"{name} :number" for name in names)
        + " SET expires_at = :ttl",
        "ExpressionAttributeNames": names,
        # The period's last set is read until the next period begins; one window more is margin
        # for a late clock. Every writer of the item computes the same value.
        "ExpressionAttributeValues": {
            ":number": {number},
            ":ttl": epoch(period + (PERIOD_BUCKETS + 1) * window),
        },
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
    following = current + window
    same_period = period_start(following, window) == period_start(current, window)
    items: list[dict[str, Any]] = []
    for key in dict.fromkeys(keys):
        checked = _update(
            location_id, key, number, window, [current, following] if same_period else [current]
        )
        checked["ConditionExpression"] = (
            "attribute_not_exists(#b0) OR contains(#b0, :sender) OR size(#b0) < :max"
        )
        checked["ExpressionAttributeValues"] |= {":sender": number, ":max": max_numbers}
        items.append({"Update": checked})
        if not same_period:
            items.append({"Update": _update(location_id, key, number, window, [following])})
    return items


def senders(location_id: str, keys: Sequence[str], now: datetime, window: timedelta) -> list[set[str]]:
    """The numbers recorded for each key in the current window, read only (for a bulk preview)."""
    current = bucket_start(now, window)
    period = period_start(current, window)
    table = clients.table(get_settings().counters_table)
    found: list[set[str]] = []
    for key in dict.fromkeys(keys):
        item = table.get_item(
            Key={"pk": item_key(location_id, period, key)},
            ConsistentRead=True,
            ProjectionExpression="#b",
            ExpressionAttributeNames={"#b": bucket_attribute(current)},
        ).get("Item")
        found.append(set(item.get(bucket_attribute(current), set())) if item else set())
    return found
