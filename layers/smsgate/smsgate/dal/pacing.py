"""Shared pacing slots (CountersTable): one "next free slot" item per number and per campaign,
so every dispatcher instance books from the same clock (docs/pacing.md#shared-slots).

An item holds `tat`, the key's theoretical arrival time in microseconds, and, for a key that
follows a slower one, its `owner` and `free_from` (`smsgate.models.pacing.KeyState`). A booking
is one conditional UpdateItem: a busy key moves by one interval with an atomic update (racing
instances each get their own slot, none retries), an idle key restarts at the arrival, and a
key that follows its owner takes the owner's slots in any order. Each write computes what it
keeps from the values the item holds, never from what the caller read. What a slot means, and
whether to book it, is `smsgate.services.pacing`'s to decide.
"""

from typing import Any

from botocore.exceptions import ClientError

from smsgate.dal import clients
from smsgate.models.pacing import KeyState
from smsgate.settings import get_settings

# A slot item outlives its last booking by a day, then expires (seconds).
SLOT_TTL_SECONDS = 86400


def number_key(number: str) -> str:
    return f"PACE#NUMBER#{number}"


def campaign_key(campaign_id: str) -> str:
    return f"PACE#CAMPAIGN#{campaign_id}"


class SlotMoved(Exception):
    """Another instance moved the key between our read and our write, or its slot is beyond
    what the caller accepts: `state` is what the key holds now."""

    def __init__(self, state: KeyState) -> None:
        super().__init__(f"pacing slot holds {state.tat_us}")
        self.state = state


def _table() -> Any:
    return clients.table(get_settings().counters_table)


def _state_of(item: dict[str, Any]) -> KeyState:
    """The slot item as the answer of a failed condition carries it (DynamoDB's typed form)."""
    owner = item.get("owner")
    return KeyState(_number(item.get("tat")), owner["S"] if owner else None, _number(item.get("free_from")))


def _number(value: Any) -> int | None:
    return None if value is None else int(value["N"])


def _update(key: str, update: str, condition: str, values: dict[str, Any], owner: bool = False) -> Any:
    try:
        return _table().update_item(
            Key={"pk": key},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            # OWNER is one of DynamoDB's reserved words.
            **({"ExpressionAttributeNames": {"#owner": "owner"}} if owner else {}),
            ReturnValues="UPDATED_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        item: Any = exc.response.get("Item") or {}
        raise SlotMoved(_state_of(item)) from None


def advance_busy(key: str, interval_us: int, arrival_us: int, latest_tat_us: int, expires_at: int) -> int:
    """Move a busy key (its `tat` between `arrival_us` and `latest_tat_us`) by one interval;
    returns the `tat` it held before. Its owner's next booking comes after this one. Raises
    SlotMoved when it is not so busy."""
    response = _update(
        key,
        "SET tat = tat + :interval, free_from = tat + :interval, expires_at = :ttl",
        "tat >= :arrival AND tat <= :latest",
        {":interval": interval_us, ":arrival": arrival_us, ":latest": latest_tat_us, ":ttl": expires_at},
    )
    return int(response["Attributes"]["tat"])


def restart_idle(key: str, next_tat_us: int, arrival_us: int, expires_at: int) -> None:
    """Restart an idle key (no `tat`, or one before `arrival_us`) at `next_tat_us`; its owner's
    next booking comes after this one. Raises SlotMoved when the key is busy."""
    _update(
        key,
        "SET tat = :next, free_from = :next, expires_at = :ttl",
        "attribute_not_exists(tat) OR tat < :arrival",
        {":next": next_tat_us, ":arrival": arrival_us, ":ttl": expires_at},
    )


def follow(key: str, owner: str, at_us: int, interval_us: int, expires_at: int) -> None:
    """Book `at_us`, a slot of `owner`, on a key `owner` holds, moving its `tat` up to an
    interval after it. Raises SlotMoved when `owner` no longer holds the key, another key's
    send is booked after `at_us`, or `tat` is already past (the send needs no write then)."""
    _update(
        key,
        "SET tat = :after, expires_at = :ttl",
        "#owner = :owner AND free_from <= :at AND tat < :after",
        {":owner": owner, ":at": at_us, ":after": at_us + interval_us, ":ttl": expires_at},
        owner=True,
    )


def claim(key: str, owner: str, at_us: int, interval_us: int, expires_at: int) -> None:
    """Book `at_us` on a key another owner (or none) holds, with nothing booked after it, and
    make `owner` its owner from there. Raises SlotMoved when a send is booked after `at_us`, or
    when `owner` holds the key already: its own earlier sends must not become others' (which
    would refuse its slots still on their way here), so it follows instead."""
    _update(
        key,
        "SET #owner = :owner, free_from = if_not_exists(tat, :zero), tat = :after, expires_at = :ttl",
        "(attribute_not_exists(tat) OR tat <= :at) AND (attribute_not_exists(#owner) OR #owner <> :owner)",
        {":owner": owner, ":zero": 0, ":at": at_us, ":after": at_us + interval_us, ":ttl": expires_at},
        owner=True,
    )
