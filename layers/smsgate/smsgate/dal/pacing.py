"""Shared pacing slots (CountersTable): one "next free slot" item per number and per campaign,
so every dispatcher instance books from the same clock (docs/pacing.md#shared-slots).

An item holds `tat`, the key's theoretical arrival time in microseconds. A booking is one
conditional UpdateItem: a busy key moves by one interval with an atomic ADD (racing instances
each get their own slot, none retries), an idle key restarts at the arrival with a conditional
SET. What the slot means, and whether to book it, is `smsgate.services.pacing`'s to decide.
"""

from typing import Any

from botocore.exceptions import ClientError

from smsgate.dal import clients
from smsgate.settings import get_settings

# A slot item outlives its last booking by a day, then expires (seconds).
SLOT_TTL_SECONDS = 86400


def number_key(number: str) -> str:
    return f"PACE#NUMBER#{number}"


def campaign_key(campaign_id: str) -> str:
    return f"PACE#CAMPAIGN#{campaign_id}"


class SlotMoved(Exception):
    """Another instance moved the key between our read and our write, or its slot is beyond
    what the caller accepts: `tat_us` is what the key holds now (None: it holds none)."""

    def __init__(self, tat_us: int | None) -> None:
        super().__init__(f"pacing slot holds {tat_us}")
        self.tat_us = tat_us


def _table() -> Any:
    return clients.table(get_settings().counters_table)


def _moved(exc: ClientError) -> SlotMoved:
    if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
        raise exc
    item: Any = exc.response.get("Item") or {}
    return SlotMoved(int(item["tat"]["N"]) if "tat" in item else None)


def advance_busy(key: str, interval_us: int, arrival_us: int, latest_tat_us: int, expires_at: int) -> int:
    """Move a busy key (its `tat` between `arrival_us` and `latest_tat_us`) by one interval with
    an atomic ADD; returns the `tat` it held before. Raises SlotMoved when it is not so busy."""
    try:
        response = _table().update_item(
            Key={"pk": key},
            UpdateExpression="ADD tat :interval SET expires_at = :ttl",
            ConditionExpression="tat >= :arrival AND tat <= :latest",
            ExpressionAttributeValues={
                ":interval": interval_us,
                ":arrival": arrival_us,
                ":latest": latest_tat_us,
                ":ttl": expires_at,
            },
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        raise _moved(exc) from None
    return int(response["Attributes"]["tat"]) - interval_us


def restart_idle(key: str, next_tat_us: int, arrival_us: int, expires_at: int) -> None:
    """Restart an idle key (no `tat`, or one before `arrival_us`) at `next_tat_us`. Raises
    SlotMoved when the key is busy."""
    try:
        _table().update_item(
            Key={"pk": key},
            UpdateExpression="SET tat = :next, expires_at = :ttl",
            ConditionExpression="attribute_not_exists(tat) OR tat < :arrival",
            ExpressionAttributeValues={":next": next_tat_us, ":arrival": arrival_us, ":ttl": expires_at},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        raise _moved(exc) from None
