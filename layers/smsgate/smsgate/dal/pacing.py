"""Shared pacing slots (CountersTable): one "next free slot" item per number and per campaign,
so every dispatcher instance books from the same clock (docs/pacing.md#shared-slots).

An item holds `tat`, the key's theoretical arrival time in microseconds (`policy.pacing`).
A booking is one conditional UpdateItem: a busy key moves by one interval with an atomic ADD
(racing instances each get their own slot, none retries), an idle key restarts at the arrival
with a conditional SET. A slot further away than the caller can wait is not booked at all.
"""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from smsgate.dal import clients
from smsgate.policy.pacing import MICROS, Pace, book, is_busy, latest_tat
from smsgate.settings import get_settings

# A slot item outlives its last booking by a day, then expires (seconds).
_TTL_SECONDS = 86400
# Each failed condition means another instance moved the key between our read and write; a
# handful of rounds settles any race (the busy ADD never fails against another ADD).
_ROUNDS = 8


def number_key(number: str) -> str:
    return f"PACE#NUMBER#{number}"


def campaign_key(campaign_id: str) -> str:
    return f"PACE#CAMPAIGN#{campaign_id}"


@dataclass(frozen=True)
class Booking:
    """`send_at_us` when booked; otherwise None and `free_at_us` says when the key has room."""

    send_at_us: int | None
    free_at_us: int


def _table() -> Any:
    return clients.table(get_settings().counters_table)


def reserve_slot(key: str, arrival_us: int, key_pace: Pace, latest_send_us: int) -> Booking:
    """Book the earliest slot at or after `arrival_us` on `key`, if it comes by `latest_send_us`."""
    tat: int | None = None
    known = False
    ttl = arrival_us // MICROS + _TTL_SECONDS
    for _ in range(_ROUNDS):
        try:
            if known and is_busy(tat, arrival_us):
                response = _table().update_item(
                    Key={"pk": key},
                    UpdateExpression="ADD tat :interval SET expires_at = :ttl",
                    ConditionExpression="tat >= :arrival AND tat <= :latest",
                    ExpressionAttributeValues={
                        ":interval": key_pace.interval_us,
                        ":arrival": arrival_us,
                        ":latest": latest_tat(latest_send_us, key_pace),
                        ":ttl": ttl,
                    },
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                before = int(response["Attributes"]["tat"]) - key_pace.interval_us
                return Booking(book(before, arrival_us, key_pace).send_at_us, before)
            if known:
                slot = book(None, arrival_us, key_pace)
                _table().update_item(
                    Key={"pk": key},
                    UpdateExpression="SET tat = :next, expires_at = :ttl",
                    ConditionExpression="attribute_not_exists(tat) OR tat < :arrival",
                    ExpressionAttributeValues={
                        ":next": slot.next_tat_us,
                        ":arrival": arrival_us,
                        ":ttl": ttl,
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return Booking(slot.send_at_us, arrival_us)
            # The first round guesses busy, the usual case under load; its failure tells the truth.
            tat, known = arrival_us, True
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item: Any = exc.response.get("Item") or {}
            tat = int(item["tat"]["N"]) if "tat" in item else None
            if tat is not None and tat > latest_tat(latest_send_us, key_pace):
                return Booking(None, tat - key_pace.tolerance_us)
    raise RuntimeError(f"pacing slot {key.split('#')[1].lower()} stayed contended")
