"""What tests/e2e/test_fuzz.py found, each kept fixed (issue 11): every answer to a malformed request
is a 4xx with a reason code (SPEC section 10), never a crash of the handler."""

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
    ("function", "method", "path"),
    [
        ("send_gate", "PUT", "/v1/locations/fuzz-dental"),
        ("send_gate", "POST", "/v1/messages"),
        ("send_gate", "POST", "/v1/messages/bulk"),
        ("send_gate", "PUT", "/v1/locations/fuzz-dental/contacts/%2B447911127701/consent"),
        ("carrier_webhooks", "POST", "/v1/webhooks/twilio/status"),
    ],
)
def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(
    handler: Callable[[str], Invoke], function: str, method: str, path: str
) -> None:
    # The API passes such a body base64-encoded; powertools decoding it raised UnicodeDecodeError
    # out of the handler (a 500 without a reason code behind API Gateway).
    answer = raw_request(handler(function), method, path, b"\xea\x80{")

    code = json.loads(answer["body"])["error"]["code"]
    # The carrier's webhook checks the signature before it reads the body: unsigned, it is a 403.
    expected = (403, "INVALID_SIGNATURE") if function == "carrier_webhooks" else (400, "VALIDATION_ERROR")
    assert (answer["statusCode"], code) == expected
