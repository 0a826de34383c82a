"""Conditional atomic counters (CountersTable): never read-modify-write (docs/data-model.md#counters)."""

from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from smsgate.dal import clients
from smsgate.dal.codec import epoch
from smsgate.settings import get_settings

# Counters outlive their day a little, for the usage and health answers, then expire.
_DAILY_TTL = timedelta(days=3)


def _table() -> Any:
    return clients.table(get_settings().counters_table)


def daily_key(location_id: str, day: date) -> str:
    return f"DAILY#{location_id}#{day.isoformat()}"


def volume_key(location_id: str, day: date) -> str:
    """Segments a low-volume 10DLC brand sent on a counter day (docs/policy.md#low-volume-cap)."""
    return f"VOLUME#{location_id}#{day.isoformat()}"


def brand_key(ein: str, day: date) -> str:
    """Segments a brand (its EIN, whichever locations registered it) sent toward T-Mobile on its
    T-Mobile day (docs/registration.md#t-mobile-brand-cap)."""
    return f"BRAND#{ein}#{day.isoformat()}"


def reserve(key: str, limit: int, wanted: int, expires_at: datetime) -> tuple[int, int]:
    """Reserve up to `wanted` units of a counter capped at `limit`.

    Returns (granted, used before this reservation).

    One conditional ADD per attempt: the counter can never pass `limit`, however many callers
    race. A bulk reserves its whole chunk in one write and, when fewer remain, takes what is left.

    What racing callers get (tests/integration/test_counter_concurrency.py): each grant is the
    slice [used before, used before + granted) of the counter, the slices never overlap and leave
    no gap; a caller gets less than it asked only when the counter is full, so, releases aside,
    the callers together get exactly min(limit, what they asked). With `wanted` 0 nothing is
    read and "used before" is 0.
    """
    wanted = min(wanted, limit)
    used_now = 0
    conflicts = 0
    while wanted > 0:
        try:
            response = _table().update_item(
                **_reservation(key, limit, wanted, expires_at),
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return wanted, int(response["Attributes"]["used"]) - wanted
        except ClientError as exc:
            # A single send's transaction holding the counter (docs/send-path.md): try again.
            if clients.met_transaction(exc, conflicts + 1):
                conflicts += 1
                continue
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item: Any = exc.response.get("Item") or {}
            used_now = int(item.get("used", {}).get("N", limit))
            wanted = min(wanted, limit - used_now)
    return 0, used_now


def reservation(key: str, limit: int, wanted: int, expires_at: datetime) -> dict[str, Any]:
    """`reserve` of all `wanted` units or none, as a TransactWriteItems `Update`: its condition
    failing means they do not fit under `limit` (the single send, docs/send-path.md)."""
    return {"TableName": get_settings().counters_table, **_reservation(key, limit, wanted, expires_at)}


def _reservation(key: str, limit: int, wanted: int, expires_at: datetime) -> dict[str, Any]:
    # An absent counter is 0 used, so it takes `wanted` only when `wanted` fits under `limit`;
    # a comparison with an absent `used` is false, which refuses what never fits.
    fits_when_new = "attribute_not_exists(used) OR " if wanted <= limit else ""
    return {
        "Key": {"pk": key},
        "UpdateExpression": "ADD used :n SET expires_at = if_not_exists(expires_at, :ttl)",
        "ConditionExpression": f"{fits_when_new}used <= :cap",
        "ExpressionAttributeValues": {":n": wanted, ":cap": limit - wanted, ":ttl": epoch(expires_at)},
    }


def release(key: str, count: int) -> None:
    """Give back units reserved for messages that were not queued after all."""
    attempt = 0
    while count > 0:
        try:
            _table().update_item(
                Key={"pk": key},
                UpdateExpression="ADD used :n",
                ConditionExpression="attribute_exists(used)",
                ExpressionAttributeValues={":n": -count},
            )
            return
        except ClientError as exc:
            attempt += 1
            if not clients.met_transaction(exc, attempt):
                raise


def used(key: str) -> int:
    item = _table().get_item(Key={"pk": key}, ConsistentRead=True).get("Item")
    return int(item["used"]) if item else 0


def daily_expiry(day: date) -> datetime:
    return datetime(day.year, day.month, day.day) + _DAILY_TTL
