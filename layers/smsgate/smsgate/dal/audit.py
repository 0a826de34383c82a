"""Audit counters per location and hour (CountersTable), read by the threshold audit (SPEC section 8).

Keys: `AUDIT#<location>#<YYYY-MM-DDTHH>` holds ADD-only counters (sent, delivered, failed,
undelivered, opt_outs, and `err_<code>` per error code); `ACTIVE#<YYYY-MM-DDTHH>#<shard>` holds
the string set of locations that sent in that hour, so the audit reads only active locations
and never scans (issue 6). Sharding the active set spreads one hour's writes over 16 items.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.policy.limits import as_utc
from smsgate.settings import get_settings

ACTIVE_SHARDS = 16
AUDIT_RETENTION = timedelta(days=8)
COUNTER_NAMES = frozenset({"sent", "delivered", "failed", "undelivered", "opt_outs"})


def _table() -> Any:
    return clients.table(get_settings().counters_table)


def hour_bucket(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H")


def audit_key(location_id: str, bucket: str) -> str:
    return f"AUDIT#{location_id}#{bucket}"


def active_key(bucket: str, shard: int) -> str:
    return f"ACTIVE#{bucket}#{shard:02d}"


def shard_of(location_id: str) -> int:
    return int(hashlib.blake2b(location_id.encode(), digest_size=2).hexdigest(), 16) % ACTIVE_SHARDS


def counter_update(
    location_id: str, at: datetime, increments: dict[str, int], error_code: int | None = None
) -> dict[str, Any]:
    """The ADD of `increments` (and `err_<code>`) to the location's hour: a TransactWriteItems
    `Update`, so an event's claim and its count commit together (`dal.events.claim_with`)."""
    unknown = set(increments) - COUNTER_NAMES
    if unknown:
        raise ValueError(f"unknown audit counters: {sorted(unknown)}")
    names = {f"#c{index}": name for index, name in enumerate(increments)}
    values: dict[str, Any] = {f":v{index}": value for index, value in enumerate(increments.values())}
    adds = [f"#c{index} :v{index}" for index in range(len(increments))]
    if error_code is not None:
        names["#err"] = f"err_{error_code}"
        values[":one"] = 1
        adds.append("#err :one")
    if not adds:
        raise ValueError("nothing to count")
    values[":ttl"] = epoch(as_utc(at) + AUDIT_RETENTION)
    values[":location"] = location_id
    return {
        "TableName": get_settings().counters_table,
        "Key": {"pk": audit_key(location_id, hour_bucket(at))},
        "UpdateExpression": "ADD " + ", ".join(adds) + " SET expires_at = :ttl, location_id = :location",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def active_update(location_id: str, at: datetime) -> dict[str, Any]:
    """Adding the location to its hour's active set. Adding to a set is idempotent, so this
    needs no transaction; keeping it out of one also keeps the 16 shared shard items out of
    every event's transaction, where they would make concurrent events conflict."""
    bucket = hour_bucket(at)
    return {
        "TableName": get_settings().counters_table,
        "Key": {"pk": active_key(bucket, shard_of(location_id))},
        "UpdateExpression": "ADD locations :location SET expires_at = :ttl",
        "ExpressionAttributeValues": {
            ":location": {location_id},
            ":ttl": epoch(as_utc(at) + AUDIT_RETENTION),
        },
    }


def mark_active(location_id: str, at: datetime) -> None:
    """Record that the location had audited events in `at`'s hour (idempotent)."""
    clients.dynamodb().meta.client.update_item(**active_update(location_id, at))


def count_updates(
    location_id: str, at: datetime, increments: dict[str, int], error_code: int | None = None
) -> list[dict[str, Any]]:
    """The two updates that count an event: usable alone (`count`) or inside a transaction
    with the event's claim, so a redelivered event is counted once."""
    return [counter_update(location_id, at, increments, error_code), active_update(location_id, at)]


def count(location_id: str, at: datetime, increments: dict[str, int], error_code: int | None = None) -> None:
    """Count an event that needs no exactly-once guarantee beyond its caller's own claim."""
    client = clients.dynamodb().meta.client
    for update in count_updates(location_id, at, increments, error_code):
        client.update_item(**update)
