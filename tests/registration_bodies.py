"""Request bodies of a 10DLC registration that pass validation, for the unit, integration and
e2e tests alike (plain data: no AWS, no fixtures)."""

from typing import Any


def brand_body(**overrides: Any) -> dict[str, Any]:
    """A brand that passes validation; `overrides` replace fields."""
    return {
        "contact": {"name": "Dana Reyes", "email": "dana@brightsmiles.example", "phone": "+12025550199"},
        "legal_name": "Bright Smiles Dental LLC",
        "ein": "12-3456789",
        "entity_type": "PRIVATE_PROFIT",
        "vertical": "HEALTHCARE",
        "website": "https://brightsmiles.example",
        "address": {"street": "1 Main St", "city": "Washington", "state": "DC", "postal_code": "20001"},
        "path": "standard",
        **overrides,
    }


def campaign_body(numbers: list[str], **overrides: Any) -> dict[str, Any]:
    """A campaign that passes validation, with `numbers` assigned; `overrides` replace fields."""
    return {
        "use_case": "ACCOUNT_NOTIFICATION",
        "description": "Appointment reminders and follow-ups for patients of the dental practice.",
        "opt_in_method": "web_form",
        "opt_in_description": "Patients tick an SMS consent box on the online booking form.",
        "sample_messages": [
            "Bright Smiles: your cleaning is tomorrow at 9:00. Reply STOP to unsubscribe.",
            "Bright Smiles: please confirm your visit on Friday. Reply STOP to unsubscribe.",
        ],
        "has_links": False,
        "has_phone_numbers": False,
        "numbers": numbers,
        **overrides,
    }


def registration_steps(location_id: str, numbers: list[str], path: str) -> list[tuple[str, dict[str, Any]]]:
    """The PUTs that submit and approve a brand and a campaign with `numbers` assigned."""
    base = f"/v1/locations/{location_id}"
    return [
        (f"{base}/brand", brand_body(path=path)),
        (f"{base}/brand/decision", {"state": "approved"}),
        (f"{base}/campaign", campaign_body(numbers)),
        (f"{base}/campaign/decision", {"state": "approved"}),
    ]
