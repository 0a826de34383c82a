"""10DLC brand and campaign, stored as the `brand` and `campaign` maps of the location's item
(LocationsTable, `pk = LOC#<id>`): the gate reads them with the location, in the one read it
already makes.

Every write is conditional twice over: on the registration's state (the one-submission rule of
docs/registration.md#states, held by DynamoDB and not only by the code that read the item) and on the
record's `revision` (no lost update between the read and the write).

An approved campaign with no numbers carries the attribute `campaign_without_numbers`, the key
of the sparse index `CampaignsWithoutNumbers`: the threshold audit lists those campaigns
with one query, never a scan (docs/audit.md#non-usage).
"""

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from smsgate.dal import clients
from smsgate.models.registration import Brand, Campaign, RegistrationState
from smsgate.settings import get_settings

CAMPAIGNS_WITHOUT_NUMBERS_INDEX = "CampaignsWithoutNumbers"
_WITHOUT_NUMBERS = "campaign_without_numbers"
_MARK = "1"


def _table() -> Any:
    return clients.table(get_settings().locations_table)


def _location_key(location_id: str) -> dict[str, str]:
    # The location's own item (dal.locations keeps the same key).
    return {"pk": f"LOC#{location_id}"}


def _write(
    location_id: str,
    attribute: str,
    record: Brand | Campaign,
    previous: Brand | Campaign | None,
    allowed_states: Iterable[RegistrationState],
    marker: bool | None = None,
) -> bool:
    """Store `record` as the item's `attribute` map. False when the item changed since
    `previous` was read, or its state is not one of `allowed_states` (or it is missing)."""
    names = {"#reg": attribute}
    # DynamoDB takes no float: a campaign's granted rate (`number_mps`) goes as a Decimal.
    values: dict[str, Any] = {":record": json.loads(record.model_dump_json(), parse_float=Decimal)}
    if previous is None:
        condition = "attribute_exists(pk) AND attribute_not_exists(#reg)"
    else:
        names.update({"#state": "state", "#revision": "revision"})
        states = sorted(set(allowed_states))
        placeholders = [f":state{index}" for index in range(len(states))]
        values.update(dict(zip(placeholders, states, strict=True)))
        values[":revision"] = previous.revision
        condition = f"#reg.#revision = :revision AND #reg.#state IN ({', '.join(placeholders)})"
    update = "SET #reg = :record"
    if marker is not None:
        names["#unused"] = _WITHOUT_NUMBERS
        if marker:
            update += ", #unused = :mark"
            values[":mark"] = _MARK
        else:
            update += " REMOVE #unused"
    return clients.conditional_write(
        _table().update_item,
        Key=_location_key(location_id),
        UpdateExpression=update,
        ConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def submit_brand(
    location_id: str, brand: Brand, previous: Brand | None, editable: Iterable[RegistrationState]
) -> bool:
    """Save or submit a brand: only a new one or one in an `editable` state (the one-submission
    rule, `smsgate.policy.registration`)."""
    return _write(location_id, "brand", brand, previous, editable)


def submit_campaign(
    location_id: str,
    campaign: Campaign,
    previous: Campaign | None,
    editable: Iterable[RegistrationState],
    *,
    without_numbers: bool,
) -> bool:
    """Save or submit a campaign: only a new one or one in an `editable` state; `without_numbers`
    keeps it in (or out of) the index of approved campaigns without numbers."""
    return _write(location_id, "campaign", campaign, previous, editable, without_numbers)


def mark_number_unregistered(location_id: str, campaign: Campaign, previous: Campaign) -> bool:
    """A carrier reported one of the campaign's numbers as not registered, in whatever state."""
    return _write(location_id, "campaign", campaign, previous, ("draft", "pending", "approved", "failed"))


def record_decision(
    location_id: str,
    record: Brand | Campaign,
    previous: Brand | Campaign,
    decidable: Iterable[RegistrationState],
    *,
    without_numbers: bool,
) -> bool:
    """The carriers' decision on a brand or a campaign in a `decidable` state; `without_numbers`
    applies to a campaign only."""
    if isinstance(record, Campaign):
        return _write(location_id, "campaign", record, previous, decidable, without_numbers)
    return _write(location_id, "brand", record, previous, decidable)


def assign_campaign_numbers(
    location_id: str, campaign: Campaign, previous: Campaign, *, without_numbers: bool
) -> bool:
    """New numbers for a campaign, in whatever state it is."""
    return _write(
        location_id,
        "campaign",
        campaign,
        previous,
        ("draft", "pending", "approved", "failed"),
        without_numbers,
    )


def campaigns_without_numbers() -> list[str]:
    """Location ids whose approved campaign has no numbers (carriers fine non-usage:
    docs/audit.md#non-usage). One query of a sparse index; never a scan."""
    found: list[str] = []
    arguments: dict[str, Any] = {
        "IndexName": CAMPAIGNS_WITHOUT_NUMBERS_INDEX,
        "KeyConditionExpression": "#unused = :mark",
        "ExpressionAttributeNames": {"#unused": _WITHOUT_NUMBERS},
        "ExpressionAttributeValues": {":mark": _MARK},
    }
    while True:
        page = _table().query(**arguments)
        found += [str(item["pk"]).removeprefix("LOC#") for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return sorted(found)
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
