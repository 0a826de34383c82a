"""Locations and the number → location index (LocationsTable)."""

from datetime import datetime
from typing import Any

from smsgate.dal import clients
from smsgate.dal.codec import iso, plain
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location, ShortCode
from smsgate.reasons import ReasonCode
from smsgate.settings import get_settings

# Every location item carries `listing` so that the index LocationsById lists them in order of
# id, a page at a time, without a scan (`smsgate locations`,
# docs/operations.md#listing-locations).
LISTING = "location"
LOCATIONS_INDEX = "LocationsById"


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


def location_key(location_id: str) -> dict[str, str]:
    """The key `get_location` reads, for a caller that batches it with other tables' keys."""
    return _location_key(location_id)


def location_from_item(item: dict[str, Any] | None) -> Location | None:
    """The location an item read at `location_key` holds (None: no such location)."""
    return _from_item(item) if item else None


def get_location(location_id: str) -> Location | None:
    item = _table().get_item(Key=_location_key(location_id), ConsistentRead=True).get("Item")
    return _from_item(item) if item else None


def require_location(location_id: str) -> Location:
    """The location, or LOCATION_NOT_FOUND (404) for a request that names one that does not exist."""
    return found_location(location_id, get_location(location_id))


def found_location(location_id: str, location: Location | None) -> Location:
    """`location` as read, or LOCATION_NOT_FOUND (404) when it does not exist."""
    if location is None:
        raise SmsgateError(ReasonCode.LOCATION_NOT_FOUND, f"Location '{location_id}' does not exist.")
    return location


def save_location(
    location_id: str,
    *,
    name: str,
    created_at: datetime,
    numbers: list[str],
    texts: dict[str, Any],
) -> tuple[Location, bool]:
    """Create or update a location; status and registration are kept. Returns (location, created).

    A number belongs to one location at most (docs/tenancy.md#numbers): each number the location
    does not list yet is claimed first, with a condition, so two locations claiming one number at
    once cannot both win; a number another location holds raises NUMBER_TAKEN and changes nothing.
    """
    stored = get_location(location_id)
    _claim_numbers(
        [number for number in numbers if number not in (stored.numbers if stored else ())], location_id
    )
    names = {"#name": "name", "#numbers": "numbers", "#created": "created_at", "#id": "location_id"}
    values: dict[str, Any] = {
        ":name": name,
        ":numbers": numbers,
        ":created": iso(created_at),
        ":id": location_id,
        ":listing": LISTING,
    }
    sets = ["#name = :name", "#numbers = :numbers", "#created = :created", "#id = :id", "listing = :listing"]
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
    for number in previous_numbers - set(numbers):
        _release_number(number, location_id)
    location = get_location(location_id)
    assert location is not None
    return location, old is None


def save_short_codes(location_id: str, short_codes: list[ShortCode]) -> Location:
    """Record the location's short codes, all of them (the operator's route). A short code is in
    the number index like a long number (docs/tenancy.md#numbers): claimed with the same
    condition, NUMBER_TAKEN when another location holds it, released when dropped; inbound
    replies to it reach the location that way. LOCATION_NOT_FOUND when the location does not
    exist (its claims are released again)."""
    stored = require_location(location_id)
    held = {short_code.code for short_code in stored.short_codes}
    codes = [short_code.code for short_code in short_codes]
    claimed = _claim_numbers([code for code in codes if code not in held], location_id)
    written = clients.conditional_write(
        _table().update_item,
        Key=_location_key(location_id),
        UpdateExpression="SET short_codes = :short_codes",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={
            ":short_codes": [short_code.model_dump(exclude_none=True) for short_code in short_codes]
        },
    )
    if not written:
        for code in claimed:
            _release_number(code, location_id)
        raise SmsgateError(ReasonCode.LOCATION_NOT_FOUND, f"Location '{location_id}' does not exist.")
    for code in held - set(codes):
        _release_number(code, location_id)
    return require_location(location_id)


def short_code_keyword(location_id: str, code: str) -> str | None:
    """The program keyword an operator recorded with the location's short code `code` (None:
    none, or no such short code); reads the short codes alone."""
    item = (
        _table().get_item(Key=_location_key(location_id), ProjectionExpression="short_codes").get("Item", {})
    )
    for short_code in plain(item.get("short_codes", [])):
        if short_code.get("code") == code:
            keyword = short_code.get("keyword")
            return str(keyword) if keyword is not None else None
    return None


def _claim_numbers(numbers: list[str], location_id: str) -> list[str]:
    """Claim each of `numbers` for the location; when another location holds one, release the
    claims made here and raise NUMBER_TAKEN: nothing of the request is kept."""
    claimed: list[str] = []
    for number in numbers:
        if not _claim_number(number, location_id):
            for mine in claimed:
                _release_number(mine, location_id)
            raise SmsgateError(
                ReasonCode.NUMBER_TAKEN,
                "A number of the request belongs to another location.",
                details={"number": number},
            )
        claimed.append(number)
    return claimed


def _claim_number(number: str, location_id: str) -> bool:
    """Index `number` to `location_id` unless another location holds it (False then)."""
    return clients.conditional_write(
        _table().put_item,
        Item={**_number_key(number), "location_id": location_id},
        ConditionExpression="attribute_not_exists(pk) OR location_id = :location",
        ExpressionAttributeValues={":location": location_id},
    )


def _release_number(number: str, location_id: str) -> None:
    """Remove `number` from the index only where `location_id` holds it: a location dropping a
    number it never held must not orphan the replies of the location that does."""
    clients.conditional_write(
        _table().delete_item,
        Key=_number_key(number),
        ConditionExpression="location_id = :location",
        ExpressionAttributeValues={":location": location_id},
    )


def location_for_number(number: str) -> str | None:
    item = _table().get_item(Key=_number_key(number)).get("Item")
    return str(item["location_id"]) if item else None


# --- the threshold audit's status changes (docs/audit.md#status) -----------------------------


def get_locations(location_ids: list[str]) -> dict[str, Location]:
    """The locations among `location_ids` that exist, read 100 at a time."""
    keys = [_location_key(location_id) for location_id in location_ids]
    table = get_settings().locations_table
    found = [_from_item(item) for item in clients.batch_get({table: keys}, consistent=False)[table]]
    return {location.location_id: location for location in found}


def suspension_update(location_id: str, until: datetime, now: datetime) -> dict[str, Any]:
    """A TransactWriteItems `Update` suspending the location until `until` (gate check 3)."""
    return {
        "TableName": get_settings().locations_table,
        "Key": _location_key(location_id),
        "UpdateExpression": "SET #status = :suspended, suspended_until = :until, suspended_at = :now",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":suspended": "suspended", ":until": iso(until), ":now": iso(now)},
    }


def warning_update(location_id: str, now: datetime) -> dict[str, Any]:
    """A TransactWriteItems `Update` marking the location `warned`, unless a suspension runs:
    a warning must never lift one that another audit run has just put."""
    return {
        "TableName": get_settings().locations_table,
        "Key": _location_key(location_id),
        "UpdateExpression": "SET #status = :warned, warned_at = :now",
        "ConditionExpression": "attribute_exists(pk) AND (#status <> :suspended OR suspended_until <= :now)",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":warned": "warned", ":suspended": "suspended", ":now": iso(now)},
    }


def _update_if(location_id: str, **update: Any) -> bool:
    """A conditional update of the location; False when its condition did not hold."""
    return clients.conditional_write(_table().update_item, Key=_location_key(location_id), **update)


def restore_active(location_id: str, from_status: str, now: datetime) -> bool:
    """Back to `active` from a warning, or from a suspension that has ended; False when the
    status changed meanwhile."""
    condition = "#status = :from"
    values: dict[str, Any] = {":active": "active", ":none": None, ":from": from_status}
    if from_status == "suspended":
        condition += " AND suspended_until <= :now"
        values[":now"] = iso(now)
    return _update_if(
        location_id,
        UpdateExpression="SET #status = :active, suspended_until = :none",
        ConditionExpression=condition,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=values,
    )


def lift_suspension(location_id: str, actor: str, now: datetime) -> bool:
    """An operator ends the location's suspension now; False when it was not suspended."""
    return _update_if(
        location_id,
        UpdateExpression=(
            "SET #status = :active, suspended_until = :none, lifted_at = :now, lifted_by = :actor"
        ),
        ConditionExpression="attribute_exists(pk) AND #status = :suspended",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":active": "active",
            ":none": None,
            ":suspended": "suspended",
            ":now": iso(now),
            ":actor": actor,
        },
    )


def list_locations(limit: int, after: str | None) -> tuple[list[Location], str | None]:
    """A page of locations in order of id (one Query on LocationsById) and the id to continue
    after, None on the last page."""
    query: dict[str, Any] = {
        "IndexName": LOCATIONS_INDEX,
        "KeyConditionExpression": "listing = :listing",
        "ExpressionAttributeValues": {":listing": LISTING},
        "Limit": limit,
    }
    if after is not None:
        query["ExclusiveStartKey"] = {**_location_key(after), "listing": LISTING, "location_id": after}
    page = _table().query(**query)
    found = [_from_item(item) for item in page["Items"]]
    last = page.get("LastEvaluatedKey")
    return found, str(last["location_id"]) if last else None
