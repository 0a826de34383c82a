"""Fixtures for handler tests: real handlers, moto's AWS, events shaped as Lambda receives them."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from local_stack.lambdas import LocalContext, load_handler
from local_stack.stack import Route, http_routes, load_template

ROOT = Path(__file__).resolve().parents[2]
ROUTES = http_routes(load_template())

ApiCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    raise AssertionError(f"template.yaml has no route for {method} {path}")


@pytest.fixture
def send_gate(stack: Any) -> ApiCall:
    """Call the send_gate handler as API Gateway would for `method path` with a JSON body."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)

    def call(
        method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        route, parameters = route_for(method, path.split("?", maxsplit=1)[0])
        payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
        event = http_api_event(
            method,
            path.split("?", maxsplit=1)[0],
            path.partition("?")[2],
            {"content-type": "application/json"},
            payload.encode(),
            route,
            parameters,
            "127.0.0.1",
        )
        result = handler(event, LocalContext(function_name="send_gate"))
        text = result.get("body") or "{}"
        return (
            result["statusCode"],
            json.loads(text) if text.startswith(("{", "[")) else {"text": text},
            result.get("headers") or {},
        )

    return call


def drain(queue_url: str, max_messages: int = 10_000) -> list[dict[str, Any]]:
    """Every message waiting on a queue (deleted as read)."""
    import boto3

    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while len(found) < max_messages:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        found += batch
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    return found


# --- 10DLC registration (SPEC section 9, issue 9) ---------------------------------------------


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


def register_10dlc(
    api: ApiCall, location_id: str, numbers: list[str], path: str = "standard"
) -> dict[str, Any]:
    """Submit and approve the location's brand and campaign with `numbers` assigned, over the
    API (the operator's decision routes): US destinations then pass row 4 of the gate."""
    base = f"/v1/locations/{location_id}"
    steps = (
        (f"{base}/brand", brand_body(path=path)),
        (f"{base}/brand/decision", {"state": "approved"}),
        (f"{base}/campaign", campaign_body(numbers)),
        (f"{base}/campaign/decision", {"state": "approved"}),
    )
    for path_, body in steps:
        status, answer, _ = api("PUT", path_, body)
        assert status == 200, (path_, answer)
    status, location, _ = api("GET", base)
    assert status == 200, location
    return location
