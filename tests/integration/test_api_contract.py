"""Every request gets an answer of the contract (docs/api.md): whatever its bytes, content type or
method, the send_gate handler answers `{"error": {"code", "message", ...}}` with a reason code, or
the documented success. Each shape below once crashed the handler or left the error format."""

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local_stack.api_server import http_api_event
from local_stack.lambdas import Handler, LocalContext, load_handler
from smsgate.api.request_shape import MAX_BODY_BYTES
from smsgate.dal import counters, locations
from smsgate.policy.limits import counter_day, daily_limit
from smsgate.reasons import HTTP_STATUS, ReasonCode
from smsgate.services import locations as locations_service
from tests.integration.conftest import ROOT, ApiCall, route_for

LOCATION = "contract-dental"
FROM = "+447911127700"  # outside the US: no 10DLC registration stands between a send and the gate
TO = "+447911127701"
BASE = f"/v1/locations/{LOCATION}"
PHONE_PATH = f"{BASE}/contacts/%2B{TO[1:]}"

# The routes that read a JSON body.
JSON_ROUTES: list[tuple[str, str]] = [
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/bulk"),
    ("PUT", BASE),
    ("PUT", f"{BASE}/brand"),
    ("PUT", f"{BASE}/campaign"),
    ("PUT", f"{BASE}/campaign/numbers"),
    ("PUT", f"{BASE}/brand/decision"),
    ("PUT", f"{BASE}/campaign/decision"),
    ("PUT", f"{BASE}/short-codes"),
    ("PUT", f"{PHONE_PATH}/consent"),
    ("POST", f"{BASE}/contacts/consent:batch"),
]

Raw = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


@pytest.fixture
def raw(stack: Any) -> Iterator[Raw]:
    """Call send_gate as API Gateway would, with any method, content type and body bytes."""
    handler: Handler = load_handler(ROOT / "functions" / "send_gate", f"contract-{uuid.uuid4().hex[:8]}")

    def call(
        method: str, path: str, body: bytes = b"", content_type: str | None = "application/json"
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        route_path, _, query = path.partition("?")
        try:
            route, parameters = route_for(method, route_path)
        except AssertionError:  # no route for this method: reach the resolver all the same
            route, parameters = route_for("GET", BASE)
        headers = {"content-type": content_type} if content_type is not None else {}
        event = http_api_event(method, route_path, query, headers, body, route, parameters, "127.0.0.1")
        event["requestContext"]["http"]["method"] = method
        answer = handler(event, LocalContext(function_name="send_gate"))
        text = answer.get("body") or ""
        if answer.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        return answer["statusCode"], json.loads(text), answer.get("headers") or {}

    yield call


@pytest.fixture
def sender(send_gate: ApiCall) -> ApiCall:
    """A location with a number and a contact who opted in."""
    status, answer, _ = send_gate("PUT", BASE, {"name": "Contract Dental", "numbers": [FROM]})
    assert status == 201, answer
    status, answer, _ = send_gate("PUT", f"{PHONE_PATH}/consent", {"source": "web_form"})
    assert status == 200, answer
    return send_gate


def error_of(status: int, answer: dict[str, Any]) -> str:
    """The answer's reason code, checked to be one of ours and of the status's own."""
    code = answer["error"]["code"]
    assert isinstance(answer["error"]["message"], str) and answer["error"]["message"]
    assert int(HTTP_STATUS[ReasonCode(code)]) == status
    return str(code)


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=xyz",
        "multipart/mixed; boundary=xyz",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/merge-patch+json",
        "application/xml",
        "*/*",
    ],
)
def test_a_body_that_is_not_json_is_415_in_the_error_format(
    raw: Raw, method: str, path: str, content_type: str
) -> None:
    status, answer, headers = raw(
        method, path, b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--', content_type
    )

    assert (status, error_of(status, answer)) == (415, "UNSUPPORTED_MEDIA_TYPE"), answer
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "Application/JSON"])
def test_json_with_parameters_or_without_a_content_type_is_read(raw: Raw, content_type: str | None) -> None:
    status, answer, _ = raw("PUT", BASE, b'{"name": "Contract Dental"}', content_type)

    assert status == 201, answer


@pytest.mark.parametrize("depth", [900, 1_000, 100_000])
def test_json_nested_past_any_model_is_a_400(raw: Raw, depth: int) -> None:
    body = ("[" * depth + "]" * depth).encode()

    status, answer, _ = raw("POST", "/v1/messages", body)

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer


def test_a_body_over_the_limit_is_413(raw: Raw) -> None:
    body = json.dumps({"name": "x" * MAX_BODY_BYTES}).encode()

    status, answer, _ = raw("PUT", BASE, body)

    assert (status, error_of(status, answer)) == (413, "PAYLOAD_TOO_LARGE"), answer
    assert answer["error"]["max_bytes"] == MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/messages", "POST"),
        ("PATCH", BASE, "GET, PUT"),
        ("POST", f"{BASE}/usage", "GET"),
        ("OPTIONS", PHONE_PATH, "GET"),
    ],
)
def test_a_method_the_path_does_not_have_is_405_with_allow(
    raw: Raw, method: str, path: str, allowed: str
) -> None:
    status, answer, headers = raw(method, path)

    assert (status, error_of(status, answer)) == (405, "METHOD_NOT_ALLOWED"), answer
    assert headers["Allow"] == allowed


def test_an_instance_whose_first_request_is_a_send_answers_every_route_after_it(raw: Raw) -> None:
    # The location routes are included at the first request that is not a message's
    # (docs/performance.md#cold-imports): what a later request gets must not depend on it.
    send = {"location_id": LOCATION, "from": FROM, "to": TO, "body": "Hello", "kind": "conversation"}
    status, answer, _ = raw("POST", "/v1/messages", json.dumps(send).encode())
    assert (status, error_of(status, answer)) == (404, "LOCATION_NOT_FOUND"), answer

    assert raw("PUT", BASE, json.dumps({"name": "Contract Dental", "numbers": [FROM]}).encode())[0] == 201
    assert raw("GET", f"{BASE}/usage")[0] == 200
    status, answer, headers = raw("PATCH", BASE)
    assert (status, error_of(status, answer), headers["Allow"]) == (405, "METHOD_NOT_ALLOWED", "GET, PUT")
    document = raw("GET", "/v1/openapi.json")[1]

    # The same document as an instance's whose first request is the document itself.
    fresh = load_handler(ROOT / "functions" / "send_gate", f"contract-{uuid.uuid4().hex[:8]}")
    route, parameters = route_for("GET", "/v1/openapi.json")
    event = http_api_event("GET", "/v1/openapi.json", "", {}, b"", route, parameters, "127.0.0.1")
    first = json.loads(fresh(event, LocalContext(function_name="send_gate"))["body"])
    assert document == first
    assert {"/v1/messages", "/v1/locations/{location_id}", "/v1/locations"} <= set(document["paths"])


def test_an_unknown_path_is_404(raw: Raw) -> None:
    status, answer, _ = raw("GET", "/v1/nothing-here")

    assert (status, error_of(status, answer)) == (404, "NOT_FOUND")


def test_a_handler_that_raises_is_a_logged_500_in_the_error_format(
    raw: Raw, sender: ApiCall, monkeypatch: pytest.MonkeyPatch, log_lines: Any
) -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("a bug")

    # A fault injected under the route: what any bug of ours looks like to the resolver.
    monkeypatch.setattr(locations_service, "location_usage", broken)

    status, answer, _ = raw("GET", f"{BASE}/usage")

    assert (status, error_of(status, answer)) == (500, "INTERNAL_ERROR"), answer
    assert "unhandled error" in log_lines.getvalue()


# --- E.164 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "suggestion"),
    [
        ("+1 (416) 225-5669", "+14162255669"),
        ("+1416CALLNOW", "+14162255669"),
        ("+1-416-225-5669", "+14162255669"),
        (" +14162255669", "+14162255669"),
        ("14162255669", None),
        ("+014162255669", None),
        ("+1234567890123456", None),
        ("+", None),
    ],
)
def test_a_number_not_written_in_e164_is_refused_with_its_e164_form_when_readable(
    sender: ApiCall, number: str, suggestion: str | None
) -> None:
    status, answer, _ = sender(
        "POST",
        "/v1/messages",
        {"location_id": LOCATION, "from": FROM, "to": number, "body": "Hi", "kind": "conversation"},
    )

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert [field["field"] for field in answer["error"]["fields"]] == ["to"]
    if suggestion:
        assert f"did you mean {suggestion}?" in answer["error"]["message"]
    else:
        assert "did you mean" not in answer["error"]["message"]


def test_a_path_number_not_in_e164_is_refused_with_its_e164_form(sender: ApiCall) -> None:
    status, answer, _ = sender("GET", f"{BASE}/contacts/%2B1%20(416)%20225-5669")

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert "did you mean +14162255669?" in answer["error"]["message"]
    assert answer["error"]["fields"][0]["field"] == "phone"


# --- fields named, control characters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem"),
    [("", "at least 1 character"), ("   ", "must not be empty"), ("Hi\x00there", "U+0000")],
)
def test_errors_on_the_body_field_name_it(sender: ApiCall, body: str, problem: str) -> None:
    status, answer, _ = sender(
        "POST",
        "/v1/messages",
        {"location_id": LOCATION, "from": FROM, "to": TO, "body": body, "kind": "conversation"},
    )

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert answer["error"]["fields"][0]["field"] == "body"
    assert problem in answer["error"]["fields"][0]["problem"]
    assert answer["error"]["message"].startswith("body: ")


@pytest.mark.parametrize(
    "text", ["Bright\x00Smiles", "Bright\x1bSmiles", "Bright\x7fSmiles", "Bright\x85Smiles"]
)
def test_control_characters_are_refused_in_text_that_goes_into_messages(sender: ApiCall, text: str) -> None:
    status, answer, _ = sender("PUT", BASE, {"name": text})

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert answer["error"]["fields"][0]["field"] == "name"


def test_line_breaks_and_tabs_are_text(sender: ApiCall) -> None:
    status, answer, _ = sender(
        "POST",
        "/v1/messages",
        {"location_id": LOCATION, "from": FROM, "to": TO, "body": "Hi\r\n\tthere", "kind": "conversation"},
    )

    assert status == 202, answer


# --- cursors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/locations?cursor=!!!", "/v1/locations?cursor=%00", f"{BASE}/consent?cursor=!!!"]
)
def test_a_cursor_not_issued_here_is_400(sender: ApiCall, path: str) -> None:
    status, answer, _ = sender("GET", path)

    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert "cursor" in answer["error"]["message"]


# --- idempotency --------------------------------------------------------------------------------


def test_an_idempotency_key_reused_with_another_request_is_422(sender: ApiCall) -> None:
    first = {
        "location_id": LOCATION,
        "from": FROM,
        "to": TO,
        "body": "Your visit is at 9.",
        "kind": "conversation",
        "idempotency_key": "visit-9",
    }
    status, answer, _ = sender("POST", "/v1/messages", first)
    assert status == 202, answer

    assert sender("POST", "/v1/messages", first)[:2] == (202, answer)
    status, reused, _ = sender("POST", "/v1/messages", {**first, "body": "Your visit is at 10."})
    assert (status, error_of(status, reused)) == (422, "IDEMPOTENCY_KEY_REUSED"), reused
    # The same key on the bulk route is another request too.
    bulk = {"location_id": LOCATION, "from": FROM, "body": "Hi", "kind": "bulk", "recipients": [TO]}
    status, reused, _ = sender("POST", "/v1/messages/bulk", {**bulk, "idempotency_key": "visit-9"})
    assert (status, error_of(status, reused)) == (422, "IDEMPOTENCY_KEY_REUSED"), reused
    # The first answer still stands.
    assert sender("POST", "/v1/messages", first)[:2] == (202, answer)


# --- the daily limit in a bulk ------------------------------------------------------------------


def test_a_bulk_the_limit_lets_nothing_through_is_429_with_retry_after(sender: ApiCall) -> None:
    now = datetime.now(UTC)
    location = locations.require_location(LOCATION)
    day = counter_day(now)
    limit = daily_limit(location.created_at, now)
    granted, _ = counters.reserve(counters.daily_key(LOCATION, day), limit, limit, counters.daily_expiry(day))
    assert granted == limit
    bulk = {"location_id": LOCATION, "from": FROM, "body": "Hi", "kind": "bulk", "recipients": [TO]}

    status, answer, headers = sender("POST", "/v1/messages/bulk", bulk)

    assert status == 429, answer
    assert 1 <= int(headers["Retry-After"]) <= 86_401
    assert answer["accepted"] == 0 and answer["messages"] == []
    assert answer["failed"] == [{"to": TO, "code": "DAILY_LIMIT_REACHED"}]
    assert answer["notice"].startswith(f"You are allowed to send {limit} message(s) in a day.")
    # A preview answers the question it was asked: 200 with the same counts.
    status, preview, _ = sender("POST", "/v1/messages/bulk", {**bulk, "preview": True})
    assert status == 200 and preview["failed"] == answer["failed"], preview


def test_a_bulk_that_fails_for_other_reasons_is_still_202(sender: ApiCall) -> None:
    bulk = {
        "location_id": LOCATION,
        "from": FROM,
        "body": "Hi",
        "kind": "bulk",
        "recipients": ["+447911127799"],
    }

    status, answer, _ = sender("POST", "/v1/messages/bulk", bulk)

    assert status == 202 and answer["failed"] == [{"to": "+447911127799", "code": "NO_CONSENT"}], answer


# --- consent time -------------------------------------------------------------------------------


def test_a_consent_captured_in_the_future_is_refused_beyond_the_clock_skew(sender: ApiCall) -> None:
    now = datetime.now(UTC)
    late = (now + timedelta(minutes=2)).isoformat()
    future = (now + timedelta(minutes=10)).isoformat()

    status, answer, _ = sender("PUT", f"{PHONE_PATH}/consent", {"source": "web_form", "captured_at": future})
    assert (status, error_of(status, answer)) == (400, "VALIDATION_ERROR"), answer
    assert answer["error"]["fields"] == [
        {"field": "captured_at", "problem": answer["error"]["fields"][0]["problem"]}
    ]
    assert "in the future" in answer["error"]["message"]
    assert sender("PUT", f"{PHONE_PATH}/consent", {"source": "web_form", "captured_at": late})[0] == 200

    status, batch, _ = sender(
        "POST",
        f"{BASE}/contacts/consent:batch",
        {"rows": [{"phone": "+447911127702", "source": "web_form", "captured_at": "2999-01-01T00:00:00Z"}]},
    )
    assert status == 200, batch
    assert batch["results"][0]["status"] == "rejected" and batch["results"][0]["code"] == "VALIDATION_ERROR"
    assert "in the future" in batch["results"][0]["message"]


def consent_of(api: ApiCall, phone: str) -> tuple[str, str, int]:
    status, contact, _ = api("GET", f"{BASE}/contacts/%2B{phone[1:]}")
    assert status == 200, contact
    return contact["consent"]["source"], contact["consent"]["captured_at"][:19], len(contact["ledger"])


@pytest.mark.parametrize(
    "routes", [("single", "single"), ("batch", "single"), ("single", "batch"), ("batch", "batch")]
)
def test_the_newest_consent_wins_whatever_order_and_route(sender: ApiCall, routes: tuple[str, str]) -> None:
    phone = "+447911127703"

    def record(route: str, source: str, captured_at: str) -> None:
        if route == "single":
            status, answer, _ = sender(
                "PUT",
                f"{BASE}/contacts/%2B{phone[1:]}/consent",
                {"source": source, "captured_at": captured_at},
            )
        else:
            status, answer, _ = sender(
                "POST",
                f"{BASE}/contacts/consent:batch",
                {"rows": [{"phone": phone, "source": source, "captured_at": captured_at}]},
            )
            assert answer["recorded"] == 1, answer
        assert status == 200, answer

    record(routes[0], "newer_form", "2024-06-01T10:00:00Z")
    record(routes[1], "older_form", "2024-05-01T10:00:00+02:00")

    # Both are in the ledger; the contact's consent is the newer one.
    assert consent_of(sender, phone) == ("newer_form", "2024-06-01T10:00:00", 2)
