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
