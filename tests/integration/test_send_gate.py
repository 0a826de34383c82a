"""The send_gate handler under moto, fed from events/send_gate (docs/api.md#routes)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_stack.lambdas import LocalContext, load_handler
from smsgate.dal import contacts, counters, snowshoe
from smsgate.policy.fingerprint import snowshoe_keys
from smsgate.policy.limits import counter_day
from smsgate.policy.profiles import profile_named
from tests.integration.conftest import ApiCall, drain, register_10dlc

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "send_gate"
FROM = "+12025550100"
TO = "+12025550143"


def new_location(
    api: ApiCall, location_id: str = "loc-1", created_at: datetime | None = None, **extra: Any
) -> None:
    """A location that may send to US numbers: its 10DLC brand and campaign approved (row 4)."""
    body = {"name": "Bright Smiles", "numbers": [FROM], **extra}
    if created_at:
        body["created_at"] = created_at.isoformat()
    status, answer, _ = api("PUT", f"/v1/locations/{location_id}", body)
    assert status in (200, 201), answer
    register_10dlc(api, location_id, body["numbers"])


def opt_in(api: ApiCall, phone: str = TO, location_id: str = "loc-1", source: str = "web_form") -> None:
    status, answer, _ = api(
        "PUT",
        f"/v1/locations/{location_id}/contacts/{phone.replace('+', '%2B')}/consent",
        {"source": source, "evidence": "signup form"},
    )
    assert status == 200, answer


def send(
    api: ApiCall,
    to: str = TO,
    kind: str = "workflow",
    body: str = "Your visit is tomorrow at 9.",
    **extra: Any,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return api(
        "POST",
        "/v1/messages",
        {"location_id": "loc-1", "from": FROM, "to": to, "body": body, "kind": kind, **extra},
    )


def test_the_sample_events_run_through_the_handler(stack: Any) -> None:
    handler = load_handler(ROOT / "functions" / "send_gate", "samples")
    answers = {}
    for name in (
        "put_location",
        "put_brand",
        "put_brand_decision",
        "put_campaign",
        "put_campaign_decision",
        "put_consent",
        "post_message",
        "post_bulk",
        "get_usage",
        "get_message",
        "delete_message",
    ):
        event = json.loads((EVENTS / f"{name}.json").read_text())
        answers[name] = handler(event, LocalContext(function_name="send_gate"))
    assert answers["put_location"]["statusCode"] == 201
    assert all(
        answers[step]["statusCode"] == 200
        for step in ("put_brand", "put_brand_decision", "put_campaign", "put_campaign_decision")
    )
    assert answers["put_consent"]["statusCode"] == 200
    assert answers["post_message"]["statusCode"] == 202
    assert answers["post_bulk"]["statusCode"] == 202
    bulk = json.loads(answers["post_bulk"]["body"])
    assert bulk["accepted"] == 1 and bulk["failed"] == [{"to": "+12025550144", "code": "NO_CONSENT"}]
    # The bulk's message goes now, or waits for the recipient's morning when it is night in
    # Washington (docs/quiet-hours.md), and counts when it goes.
    queued_now = [item for item in bulk["messages"] if item["status"] == "queued"]
    assert json.loads(answers["get_usage"]["body"])["sent_today"] == 1 + len(queued_now)
    assert answers["get_message"]["statusCode"] == 404
    assert answers["delete_message"]["statusCode"] == 404  # a cancel of the same unknown id


def test_an_accepted_message_is_recorded_decorated_and_queued(stack: Any, send_gate: ApiCall) -> None:
    new_location(send_gate)
    opt_in(send_gate)
    status, answer, _ = send(send_gate)
    assert status == 202
    assert answer["status"] == "queued"
    assert answer["body"] == "Your visit is tomorrow at 9.\nThanks, Bright Smiles\nReply STOP to unsubscribe"
    assert (answer["encoding"], answer["segments"]) == ("GSM-7", 1)
    queued = drain(stack.outputs["OutboundQueueUrl"])
    assert [json.loads(m["Body"])["message_id"] for m in queued] == [answer["message_id"]]
    status, message, _ = send_gate("GET", f"/v1/messages/{answer['message_id']}")
    assert status == 200 and message["status"] == "queued" and message["history"][0]["status"] == "queued"
    assert {
        "message_id",
        "location_id",
        "from",
        "to",
        "body",
        "kind",
        "segments",
        "encoding",
        "status",
        "error_code",
        "history",
    } <= set(message)
    # The contact is introduced now: the next workflow message is not decorated again.
    _, second, _ = send(send_gate)
    assert second["body"] == "Your visit is tomorrow at 9."


def test_conversation_messages_are_never_decorated(stack: Any, send_gate: ApiCall) -> None:
    new_location(send_gate)
    opt_in(send_gate)
    _, answer, _ = send(send_gate, kind="conversation", body="Sure, see you then")
    assert answer["body"] == "Sure, see you then"


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (
            {"location_id": "loc-1", "from": FROM, "to": "12025550143", "body": "x", "kind": "bulk"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": "+1", "body": "x", "kind": "bulk"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": TO, "body": "", "kind": "bulk"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": TO, "body": "   ", "kind": "bulk"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": TO, "body": "x", "kind": "spam"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": TO, "body": "x", "kind": "bulk", "extra": 1},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "loc-1", "from": FROM, "to": TO, "body": "a" * 1531, "kind": "conversation"},
            "VALIDATION_ERROR",
            400,
        ),
        (
            {"location_id": "nope", "from": FROM, "to": TO, "body": "x", "kind": "bulk"},
            "LOCATION_NOT_FOUND",
            404,
        ),
        (
            {"location_id": "loc-1", "from": "+12025550199", "to": TO, "body": "x", "kind": "bulk"},
            "NUMBER_NOT_OWNED",
            422,
        ),
        ({"location_id": "loc-1", "from": FROM, "to": TO, "body": "x", "kind": "bulk"}, "NO_CONSENT", 422),
    ],
)
def test_refusals_have_a_code_and_status(
    send_gate: ApiCall, body: dict[str, Any], code: str, status: int
) -> None:
    new_location(send_gate)
    got, answer, _ = send_gate("POST", "/v1/messages", body)
    assert (got, answer["error"]["code"]) == (status, code), answer
    assert answer["error"]["message"]


def test_malformed_json_is_a_400_with_a_code(send_gate: ApiCall) -> None:
    status, answer, _ = send_gate("POST", "/v1/messages", raw='{"location_id": ')
    assert status == 400 and answer["error"]["code"] == "VALIDATION_ERROR"


def test_ten_segments_pass_and_eleven_do_not(send_gate: ApiCall) -> None:
    new_location(send_gate)
    opt_in(send_gate)
    status, answer, _ = send(send_gate, kind="conversation", body="a" * 1530)
    assert status == 202 and answer["segments"] == 10
    status, answer, _ = send(send_gate, kind="conversation", body="a" * 1531)
    assert status == 400 and answer["error"]["code"] == "VALIDATION_ERROR"


def test_a_decorated_body_over_ten_segments_is_refused(send_gate: ApiCall) -> None:
    new_location(send_gate)
    opt_in(send_gate)
    status, answer, _ = send(send_gate, kind="bulk", body="a" * 1500)
    assert (
        status == 400 and answer["error"]["code"] == "VALIDATION_ERROR" and answer["error"]["segments"] == 11
    )


def test_purchased_consent_is_refused_with_a_reason(send_gate: ApiCall) -> None:
    new_location(send_gate)
    status, answer, _ = send_gate(
        "PUT", "/v1/locations/loc-1/contacts/%2B12025550143/consent", {"source": "purchased list"}
    )
    assert status == 422 and answer["error"]["code"] == "NO_CONSENT"
    assert "bought, sold or exchanged" in answer["error"]["message"]


def test_the_251st_message_of_day_one_is_refused_with_retry_after(stack: Any, send_gate: ApiCall) -> None:
    new_location(send_gate, created_at=datetime.now(UTC))
    opt_in(send_gate)
    for _ in range(250):
        assert send(send_gate, kind="conversation", body="hi")[0] == 202
    status, answer, headers = send(send_gate, kind="conversation", body="hi")
    assert status == 429
    assert answer["error"] == {
        "code": "DAILY_LIMIT_REACHED",
        "message": "You have exceeded your SMS sending limit.",
        "limit": 250,
        "resets_at": answer["error"]["resets_at"],
    }
    assert 1 <= int(headers["Retry-After"]) <= 86401
    _, usage, _ = send_gate("GET", "/v1/locations/loc-1/usage")
    assert usage["sent_today"] == 250 and usage["remaining"] == 0 and usage["limit"] == 250


def test_a_send_refused_by_the_daily_limit_writes_nothing(stack: Any, send_gate: ApiCall) -> None:
    """The counter, the fingerprint and the records are one transaction (docs/send-path.md): a
    refusal by its daily-limit condition leaves no trace of the message."""
    now = datetime.now(UTC)
    new_location(send_gate, created_at=now)
    opt_in(send_gate)
    day = counter_day(now)
    counters.reserve(counters.daily_key("loc-1", day), 250, 250, counters.daily_expiry(day))
    body = "Our spring cleaning offer: a free whitening with every check-up booked this month."

    # A workflow: quiet hours never hold it (docs/quiet-hours.md#which-messages-wait), so the
    # limit decides at any hour of the day.
    status, answer, _ = send(send_gate, kind="workflow", body=body)

    assert (status, answer["error"]["code"]) == (429, "DAILY_LIMIT_REACHED")
    assert counters.used(counters.daily_key("loc-1", day)) == 250
    window = timedelta(hours=profile_named(None).snowshoe_window_hours)
    assert snowshoe.senders("loc-1", snowshoe_keys(body), now, window) == [set()] * len(
        set(snowshoe_keys(body))
    )
    assert contacts.get_contact("loc-1", TO).last_outbound_at is None
    assert drain(stack.outputs["OutboundQueueUrl"]) == []


def test_an_old_account_has_5000(send_gate: ApiCall) -> None:
    new_location(send_gate, created_at=datetime(2021, 1, 1, tzinfo=UTC))
    _, usage, _ = send_gate("GET", "/v1/locations/loc-1/usage")
    assert usage["limit"] == 5000 and usage["remaining"] == 5000


def test_day_three_of_a_new_account_has_750(send_gate: ApiCall) -> None:
    new_location(send_gate, created_at=datetime.now(UTC) - timedelta(days=2))
    _, usage, _ = send_gate("GET", "/v1/locations/loc-1/usage")
    assert usage["limit"] in (750, 500)  # 500 only in the first second after 00:00:00 UTC


def test_the_same_idempotency_key_returns_the_first_answer_and_queues_once(
    stack: Any, send_gate: ApiCall
) -> None:
    new_location(send_gate)
    opt_in(send_gate)
    first = send(send_gate, idempotency_key="k-1")
    second = send(send_gate, idempotency_key="k-1")
    assert first[0] == second[0] == 202
    assert first[1] == second[1]
    assert len(drain(stack.outputs["OutboundQueueUrl"])) == 1
    refused = send(send_gate, to="+12025550150", idempotency_key="k-2")
    assert refused[0] == 422 and send(send_gate, to="+12025550150", idempotency_key="k-2")[1] == refused[1]


def test_location_contact_and_dnd_endpoints(send_gate: ApiCall) -> None:
    new_location(send_gate)
    status, location, _ = send_gate("GET", "/v1/locations/loc-1")
    assert status == 200
    assert {
        "location_id",
        "name",
        "created_at",
        "numbers",
        "status",
        "suspended_until",
        "brand",
        "campaign",
        "usage",
    } <= set(location)
    opt_in(send_gate)
    status, contact, _ = send_gate("GET", "/v1/locations/loc-1/contacts/%2B12025550143")
    assert status == 200 and contact["consent"]["state"] == "opted_in"
    assert contact["dnd"]["state"] == "none" and contact["ledger"][0]["source"] == "web_form"
    assert send_gate("GET", "/v1/locations/nope")[0] == 404
    assert (
        send_gate("GET", "/v1/locations/loc-1/contacts/not-a-number")[1]["error"]["code"]
        == "VALIDATION_ERROR"
    )
    status, answer, _ = send_gate("DELETE", "/v1/locations/loc-1/contacts/%2B12025550143/dnd")
    assert status == 200 and answer["dnd"]["state"] == "none"


def test_openapi_document_is_served(send_gate: ApiCall) -> None:
    status, document, _ = send_gate("GET", "/v1/openapi.json")
    assert status == 200 and "/v1/messages" in document["paths"]


def test_behind_a_custom_domains_base_path_the_routes_still_match(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API Gateway leaves an API mapping's base path in the request's path (docs/deploying.md)."""
    from local_stack.api_server import http_api_event
    from local_stack.stack import Route
    from smsgate.settings import get_settings

    monkeypatch.setenv("API_BASE_PATH", "/gateway")
    get_settings.cache_clear()
    handler = load_handler(ROOT / "functions" / "send_gate", "base-path")
    route = Route("PUT", "/v1/locations/{location_id}", "SendGateFunction")
    body = json.dumps({"name": "Bright Smiles", "numbers": [FROM]}).encode()
    headers = {"content-type": "application/json"}
    event = http_api_event(
        "PUT", "/gateway/v1/locations/loc-1", "", headers, body, route, {"location_id": "loc-1"}, "127.0.0.1"
    )

    answer = handler(event, LocalContext(function_name="send_gate"))

    assert answer["statusCode"] == 201, answer["body"]
    assert json.loads(answer["body"])["location_id"] == "loc-1"
