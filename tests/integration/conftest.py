"""Fixtures for handler tests: real handlers, moto's AWS, events shaped as Lambda receives them."""

import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from local_stack.lambdas import Handler, LocalContext, load_handler
from local_stack.stack import Route, http_routes, load_template
from smsgate.errors import SmsgateError
from smsgate.models.entities import Location
from smsgate.models.requests import PutLocationRequest
from smsgate.models.vocabulary import RevocationMode
from smsgate.observability import logger
from smsgate.reasons import ReasonCode
from smsgate.services import locations as locations_service
from smsgate.services.dispatch import Dispatcher
from smsgate.settings import get_settings
from tests.registration_bodies import registration_steps

ROOT = Path(__file__).resolve().parents[2]
ROUTES = http_routes(load_template())

ApiCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]]:
    for route in ROUTES:
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, found.groupdict()
    raise AssertionError(f"template.yaml has no route for {method} {path}")


def call_api(
    handler: Handler,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: str | None = None,
    authorizer: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Call a send_gate `handler` as API Gateway would for `method path` (a query string
    included) with a JSON `body` (or the `raw` text), signed when `authorizer` is given:
    (status, JSON answer or {"text": …}, headers)."""
    route_path, _, query = path.partition("?")
    route, parameters = route_for(method, route_path)
    payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
    event = http_api_event(
        method,
        route_path,
        query,
        {"content-type": "application/json"},
        payload.encode(),
        route,
        parameters,
        source_ip,
    )
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    result = handler(event, LocalContext(function_name="send_gate"))
    text = result.get("body") or "{}"
    return (
        result["statusCode"],
        json.loads(text) if text.startswith(("{", "[")) else {"text": text},
        result.get("headers") or {},
    )


@pytest.fixture
def send_gate(stack: Any) -> ApiCall:
    """Call the send_gate handler as API Gateway would for `method path` with a JSON body."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)

    def call(
        method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return call_api(handler, method, path, body, raw=raw)

    return call


# --- the consumers' tests (issues 4, 5, 7): one location, its number and a contact -------------

LOCATION = "loc-dc-bakery"
LOCATION_NAME = "DC Bakery"
NUMBER = "+12025550188"  # the location's number in events/inbound_keyword and events/status_callback
# A contact outside the US, so that no 10DLC registration stands between a test and the DND check.
CONTACT = "+447911120143"

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def handler(stack: Any) -> Callable[[str], Invoke]:
    """`handler("status_callback")`: a fresh instance of a function's handler (its own module, as
    one Lambda instance), called as `(event)` or `(event, context)`."""

    def load(function: str) -> Invoke:
        loaded = load_handler(ROOT / "functions" / function, f"{function}-{uuid.uuid4().hex[:8]}")

        def invoke(event: dict[str, Any], context: LocalContext | None = None) -> dict[str, Any]:
            return dict(loaded(event, context or LocalContext(function_name=function)))

        return invoke

    return load


@pytest.fixture
def dispatcher(stack: Any) -> Callable[..., Handler]:
    """`dispatcher(sleep)`: a fresh dispatcher instance whose retries and throttle sleep through
    `sleep` (by default no real time)."""

    def load(sleep: Callable[[float], None] = lambda _: None, instance: str = "dispatcher") -> Handler:
        loaded = load_handler(ROOT / "functions" / "dispatcher", f"{instance}-{uuid.uuid4().hex[:8]}")
        app: Any = sys.modules[loaded.__module__]
        app.dispatcher = Dispatcher.from_settings(get_settings(), app.clock, sleep=sleep)
        return loaded

    return load


@pytest.fixture
def location(stack: Any) -> Callable[..., Location]:
    """`location(...)`: saves a location through the locations service (default: LOCATION with NUMBER,
    created on 2023-01-01, past the ramp-up)."""

    def save(
        mode: RevocationMode | None = None,
        numbers: tuple[str, ...] = (NUMBER,),
        location_id: str = LOCATION,
        created_at: datetime | None = None,
    ) -> Location:
        request = PutLocationRequest(
            name=LOCATION_NAME,
            numbers=list(numbers),
            revocation_mode=mode,
            created_at=created_at or datetime(2023, 1, 1, tzinfo=UTC),
        )
        return locations_service.save_location(location_id, request, datetime.now(UTC), operator=True)[0]

    return save


def refusal_of(action: Callable[[], object]) -> ReasonCode | None:
    """The reason code `action` is refused with, None when it is not."""
    try:
        action()
    except SmsgateError as refusal:
        return refusal.code
    return None


def audit_counts(stack: Any, location_id: str = LOCATION) -> dict[str, int]:
    """A location's audit counters (the Counters table), summed over hours."""
    import boto3

    table: Any = boto3.resource("dynamodb").Table(stack.environment["COUNTERS_TABLE"])
    totals: dict[str, int] = {}
    for item in table.scan()["Items"]:
        if str(item["pk"]).startswith(f"AUDIT#{location_id}#"):
            for name, value in item.items():
                if name not in ("pk", "expires_at", "location_id"):
                    totals[name] = totals.get(name, 0) + int(value)
    return totals


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


def register_10dlc(
    api: ApiCall, location_id: str, numbers: list[str], path: str = "standard"
) -> dict[str, Any]:
    """Submit and approve the location's brand and campaign with `numbers` assigned, over the
    API (the operator's decision routes): US destinations then pass row 4 of the gate."""
    base = f"/v1/locations/{location_id}"
    for path_, body in registration_steps(location_id, numbers, path):
        status, answer, _ = api("PUT", path_, body)
        assert status == 200, (path_, answer)
    status, location, _ = api("GET", base)
    assert status == 200, location
    return location


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the service logs (powertools' JSON lines), captured from its handler."""
    buffer = io.StringIO()
    handler: Any = logger.registered_handler
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
