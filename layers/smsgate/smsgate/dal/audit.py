"""Audit counters per location and hour (CountersTable), read by the threshold audit
(docs/data-model.md#counterstable; the rule: docs/policy.md#audit-thresholds).

Keys: `AUDIT#<location>#<YYYY-MM-DDTHH>` holds ADD-only counters (sent, delivered, failed,
undelivered, opt_outs, and `err_<code>` per error code); `ACTIVE#<YYYY-MM-DDTHH>#<shard>` holds
the string set of locations that sent in that hour, so the audit reads only active locations
and never scans (docs/audit.md#scale-100000-active-locations). Sharding the active set spreads one
hour's writes over 16 items.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.models.moments import as_utc
from smsgate.settings import get_settings

if TYPE_CHECKING:
    # The counts read back are the audit's and the health route's: the consumers that only add
    # to the counters never load them (docs/performance.md#cold-imports).
    from smsgate.models.audit import WindowCounts

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


# --- reads of the threshold audit (docs/audit.md#scale-100000-active-locations) ---------------


def active_locations(hours: Iterable[datetime]) -> set[str]:
    """The locations with audited events in any of `hours`: the union of the hours' shards."""
    keys = [{"pk": active_key(hour_bucket(hour), shard)} for hour in hours for shard in range(ACTIVE_SHARDS)]
    locations: set[str] = set()
    for item in _counters(keys):
        locations |= {str(location) for location in item.get("locations", ())}
    return locations


def _counts_of(item: dict[str, Any]) -> WindowCounts:
    from smsgate.models.audit import WindowCounts

    return WindowCounts(
        sent=int(item.get("sent", 0)),
        delivered=int(item.get("delivered", 0)),
        failed=int(item.get("failed", 0)),
        undelivered=int(item.get("undelivered", 0)),
        opt_outs=int(item.get("opt_outs", 0)),
        errors_by_code={
            int(name.removeprefix("err_")): int(value)
            for name, value in item.items()
            if name.startswith("err_") and name.removeprefix("err_").isdigit()
        },
    )


def window_counts(location_ids: Iterable[str], hours: Iterable[datetime]) -> dict[str, WindowCounts]:
    """Each location's hourly counters summed over `hours` (locations with none are absent)."""
    from smsgate.models.audit import WindowCounts

    buckets = [hour_bucket(hour) for hour in hours]
    keys = [{"pk": audit_key(location_id, bucket)} for location_id in location_ids for bucket in buckets]
    totals: dict[str, WindowCounts] = {}
    for item in _counters(keys):
        location_id = str(item["pk"]).removeprefix("AUDIT#").rsplit("#", 1)[0]
        totals[location_id] = totals.get(location_id, WindowCounts()) + _counts_of(item)
    return totals


# --- notices: once per location per window (docs/audit.md#once-per-window) -------------------


def notice_key(location_id: str) -> str:
    return f"NOTICE#{location_id}"


def notice_claim(location_id: str, level: int, now: datetime, until: datetime) -> dict[str, Any]:
    """The conditional Put that claims the location's notice of `level` (1 violation, 2
    suspension) until `until`: it fails while a notice of the same or a higher level is
    running, so a rerun or an overlapping run never repeats it; a worse verdict (a suspension
    after a violation) still gets its own."""
    return {
        "TableName": get_settings().counters_table,
        "Item": {
            "pk": notice_key(location_id),
            "location_id": location_id,
            "level": level,
            "noticed_at": epoch(now),
            "notice_until": epoch(until),
            "expires_at": epoch(as_utc(until) + timedelta(days=1)),
        },
        "ConditionExpression": "attribute_not_exists(pk) OR notice_until <= :now OR #level < :level",
        "ExpressionAttributeNames": {"#level": "level"},
        "ExpressionAttributeValues": {":now": epoch(now), ":level": level},
    }


def claim_notice(claim: dict[str, Any], location_update: dict[str, Any]) -> bool:
    """Claim a notice and change the location's status in one transaction. False (nothing
    written) when the notice was already given in this window or the location's condition
    failed (gone, or suspended meanwhile)."""
    return clients.write_transaction([{"Put": claim}, {"Update": location_update}])


def release_notice(location_id: str, now: datetime) -> None:
    """Forget a claim whose notice could not be published, so the next run gives it."""
    _table().delete_item(
        Key={"pk": notice_key(location_id)},
        ConditionExpression="noticed_at = :at",
        ExpressionAttributeValues={":at": epoch(now)},
    )


def _counters(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counter items, read eventually consistent: the audit runs hours after they were written."""
    table = get_settings().counters_table
    return clients.batch_get({table: keys}, consistent=False)[table]
