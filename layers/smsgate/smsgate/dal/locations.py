"""Locations and the number → location index (LocationsTable)."""

from datetime import datetime
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import iso, plain
from smsgate.models.entities import Location
from smsgate.settings import get_settings


def _table() -> Any:
    return clients.table(get_settings().locations_table)


def _location_key(location_id: str) -> dict[str, str]:
    return {"pk": f"LOC#{location_id}"}


def _number_key(number: str) -> dict[str, str]:
    return {"pk": f"NUMBER#{number}"}


def _from_item(item: dict[str, Any]) -> Location:
    data = plain(item)
    data.pop("pk", None)
    return Location.model_validate(data)


def get_location(location_id: str) -> Location | None:
    item = _table().get_item(Key=_location_key(location_id), ConsistentRead=True).get("Item")
    return _from_item(item) if item else None


def save_location(
    location_id: str,
    *,
    name: str,
    created_at: datetime,
    numbers: list[str],
    texts: dict[str, str],
) -> tuple[Location, bool]:
    """Create or update a location; status and registration are kept. Returns (location, created)."""
    names = {"#name": "name", "#numbers": "numbers", "#created": "created_at", "#id": "location_id"}
    values: dict[str, Any] = {
        ":name": name,
        ":numbers": numbers,
        ":created": iso(created_at),
        ":id": location_id,
    }
    sets = ["#name = :name", "#numbers = :numbers", "#created = :created", "#id = :id"]
    for field, text in texts.items():
        names[f"#{field}"] = field
        values[f":{field}"] = text
        sets.append(f"#{field} = :{field}")
    old = (
        _table()
        .update_item(
            Key=_location_key(location_id),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        )
        .get("Attributes")
    )
    previous_numbers = set(plain(old.get("numbers", []))) if old else set()
    with _table().batch_writer() as batch:
        for number in numbers:
            batch.put_item(Item={**_number_key(number), "location_id": location_id})
        for number in previous_numbers - set(numbers):
            batch.delete_item(Key=_number_key(number))
    location = get_location(location_id)
    assert location is not None
    return location, old is None


def location_for_number(number: str) -> str | None:
    item = _table().get_item(Key=_number_key(number)).get("Item")
    return str(item["location_id"]) if item else None


def set_status(location_id: str, status: str, suspended_until: datetime | None) -> None:
    _table().update_item(
        Key=_location_key(location_id),
        UpdateExpression="SET #status = :status, suspended_until = :until",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": status, ":until": iso(suspended_until)},
    )
