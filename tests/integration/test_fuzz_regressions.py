"""What tests/e2e/test_fuzz.py found, each kept fixed (docs/api.md#every-request-gets-an-answer): every
answer to a malformed request is a 4xx with a reason code (docs/api.md#reason-codes), never a crash of the
handler."""

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from tests.integration.conftest import Invoke, route_for


def raw_request(send_gate: Invoke, method: str, path: str, body: bytes) -> dict[str, Any]:
    route, parameters = route_for(method, path)
    event = http_api_event(
        method, path, "", {"content-type": "application/json"}, body, route, parameters, "127.0.0.1"
    )
    return send_gate(event)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/locations/fuzz-dental"),
        ("POST", "/v1/messages"),
        ("POST", "/v1/messages/bulk"),
        ("PUT", "/v1/locations/fuzz-dental/contacts/%2B447911127701/consent"),
    ],
)
def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(
    handler: Callable[[str], Invoke], method: str, path: str
) -> None:
    # The API passes such a body base64-encoded; powertools decoding it raised UnicodeDecodeError
    # out of the handler (a 500 without a reason code behind API Gateway).
    answer = raw_request(handler("send_gate"), method, path, b"\xea\x80{")

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"]["code"] == "VALIDATION_ERROR"


def test_a_signed_webhook_whose_body_is_not_utf8_is_a_400_not_a_crash(
    handler: Callable[[str], Invoke],
) -> None:
    path = "/v1/webhooks/twilio/status"
    route, parameters = route_for("POST", path)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": base64.b64encode(bytes(20)).decode(),  # well-formed, checked after the body
    }
    event = http_api_event("POST", path, "", headers, b"\xea\x80{", route, parameters, "127.0.0.1")

    answer = handler("carrier_webhooks")(event)

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"]["code"] == "VALIDATION_ERROR"
