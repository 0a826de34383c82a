"""Callers' grants: which locations an IAM principal may act on (LocationsTable, `CALLER#<principal>`).

One item per principal: `{"pk": "CALLER#<principal ARN>", "locations": {<location id>, …}}`,
`*` for every location (and the operator routes). The decision is `smsgate.policy.access`.
"""

from collections.abc import Iterable
from typing import Any

from smsgate.dal import clients
from smsgate.settings import get_settings


def _table() -> Any:
    return clients.table(get_settings().locations_table)


def _caller_key(principal: str) -> dict[str, str]:
    return {"pk": f"CALLER#{principal}"}


def grants_of(principals: Iterable[str]) -> set[str]:
    """The union of the location ids granted to any of `principals` (a principal and its role)."""
    granted: set[str] = set()
    for principal in principals:
        item = _table().get_item(Key=_caller_key(principal), ConsistentRead=True).get("Item")
        if item:
            granted |= {str(location) for location in item.get("locations", ())}
    return granted


def grant(principal: str, location_ids: Iterable[str]) -> None:
    """Add locations (or `*`) to a principal's grants."""
    ids = set(location_ids)
    if not ids:
        return
    _table().update_item(
        Key=_caller_key(principal),
        UpdateExpression="ADD #locations :ids SET #principal = :principal",
        ExpressionAttributeNames={"#locations": "locations", "#principal": "principal"},
        ExpressionAttributeValues={":ids": ids, ":principal": principal},
    )


def revoke(principal: str, location_ids: Iterable[str]) -> None:
    """Remove locations (or `*`) from a principal's grants."""
    ids = set(location_ids)
    if not ids:
        return
    _table().update_item(
        Key=_caller_key(principal),
        UpdateExpression="DELETE #locations :ids",
        ExpressionAttributeNames={"#locations": "locations"},
        ExpressionAttributeValues={":ids": ids},
    )
