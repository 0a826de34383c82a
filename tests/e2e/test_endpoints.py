"""Every endpoint of the send gate, locations and contacts over HTTP on the local stack
(docs/api.md#routes). docs/api.md#examples-locations-contacts-and-sending shows the same requests
and answers.

Each test makes its own location with its own sending number, so the tests share nothing. No
destination ends in 3003-3008: the simulated carrier answers those undelivered
(docs/local-stack.md#the-simulated-carrier).
"""

import itertools
import os
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from smsgate.policy.limits import counter_day, next_reset
from smsgate.twilio_signature import compute_signature
from tests.e2e.conftest import LocalStack, create_location, final_message, path_phone, poll, register_10dlc
from tests.e2e.conftest import opt_in as record_opt_in

_numbers = itertools.count(2000)
_contacts = itertools.count(1000)
LOCATION_FIELDS = {
    "location_id",
    "name",
    "created_at",
    "numbers",
    "status",
    "suspended_until",
    "brand",
    "campaign",
    "usage",
}
USAGE_FIELDS = {"day", "limit", "sent_today", "remaining", "resets_at", "profile"}
MESSAGE_FIELDS = {
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
}
CONTACT_FIELDS = {"location_id", "phone", "consent", "dnd", "ledger"}
BODY = "Your cleaning is tomorrow at 9:00."
DECORATED = BODY + "\nThanks, Bright Smiles Dental\nReply STOP to unsubscribe"
LIMIT_NOTICE = (
    "You are allowed to send 250 message(s) in a day. You have already sent 3 message(s). "
    "If you wish to proceed, 1 Message(s) will be failed."
)


def sending_number() -> str:
    return f"+1202555{next(_numbers):04d}"


def contact() -> str:
    return f"+1202556{next(_contacts):04d}"


def contact_abroad() -> str:
    """A contact outside North America. Quiet hours hold `bulk` and `campaign` messages to a US
    number at night there (docs/quiet-hours.md): the tests of those kinds that expect a message
    queued now send abroad, so that they pass at any hour."""
    return f"+4477009{30_000 + next(_contacts):05d}"


def new_location(stack: LocalStack, **extra: Any) -> tuple[str, str]:
    """A location created now (day 1: limit 250) with a number of its own; (id, number)."""
    number = sending_number()
    location_id = create_location(stack, [number], **{"name": "Bright Smiles Dental", **extra})
    register_10dlc(stack, location_id, [number])
    return location_id, number


def opt_in(stack: LocalStack, location_id: str, phone: str) -> dict[str, Any]:
    return record_opt_in(
        stack, location_id, phone, evidence="booking form checkbox", captured_at="2024-05-01T10:00:00Z"
    )


def send(stack: LocalStack, location_id: str, number: str, to: str, **fields: Any) -> requests.Response:
    request = {"location_id": location_id, "from": number, "to": to, "body": BODY, "kind": "workflow"}
    return stack.call("POST", "/v1/messages", {**request, **fields})


def usage(stack: LocalStack, location_id: str) -> dict[str, Any]:
    answer = stack.call("GET", f"/v1/locations/{location_id}/usage")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def reply_stop(stack: LocalStack, location_id: str, number: str, phone: str) -> None:
    """The contact replies STOP through the signed Twilio webhook; wait for the permanent DND."""
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": phone,
        "To": number,
        "Body": "STOP",
        "NumMedia": "0",
    }
    token = os.environ.get("TWILIO_AUTH_TOKEN", "local-dev-token")
    url = stack.url("/v1/webhooks/twilio/inbound")
    answer = requests.post(
        url,
        data=urlencode(params),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": compute_signature(token, url, params),
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    path = f"/v1/locations/{location_id}/contacts/{path_phone(phone)}"
    poll(lambda: stack.call("GET", path).json()["dnd"]["state"] == "permanent")


def test_a_location_is_created_updated_and_read(local_stack: LocalStack) -> None:
    location_id, number = f"loc-{uuid.uuid4().hex[:8]}", sending_number()
    created = local_stack.call(
        "PUT",
        f"/v1/locations/{location_id}",
        {"name": "Bright Smiles Dental", "numbers": [number], "created_at": "2021-06-01T12:00:00Z"},
    )
    assert created.status_code == 201, created.text
    location = created.json()
    assert set(location) >= LOCATION_FIELDS
    assert location["location_id"] == location_id and location["numbers"] == [number]
    assert location["status"] == "active" and location["suspended_until"] is None
    assert location["created_at"].startswith("2021-06-01T12:00:00")
    assert location["opt_out_text"] == "Reply STOP to unsubscribe"
    assert location["sender_text"] == "Thanks, {name}"
    # Created before 2022-04-20: no ramp-up (docs/policy.md#daily-limit).
    assert location["usage"]["limit"] == 5000 and set(location["usage"]) == USAGE_FIELDS

    updated = local_stack.call(
        "PUT",
        f"/v1/locations/{location_id}",
        {"name": "Bright Smiles", "numbers": [number], "opt_out_text": "Text STOP to opt out"},
    )
    assert updated.status_code == 200, updated.text
    read = local_stack.call("GET", f"/v1/locations/{location_id}")
    assert read.status_code == 200
    assert read.json()["name"] == "Bright Smiles" and read.json()["opt_out_text"] == "Text STOP to opt out"
    assert read.json()["created_at"] == location["created_at"]  # kept when not given

    missing = local_stack.call("GET", "/v1/locations/no-such-location")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "LOCATION_NOT_FOUND"


def test_usage_of_a_location_created_today(local_stack: LocalStack) -> None:
    location_id, _ = new_location(local_stack)
    now = datetime.now(UTC)
    answer = usage(local_stack, location_id)
    assert answer == {
        "day": counter_day(now).isoformat(),
        "limit": 250,
        "sent_today": 0,
        "remaining": 250,
        "resets_at": next_reset(now).isoformat(),
        "profile": "seeds-2022",
    }
    assert local_stack.call("GET", f"/v1/locations/{location_id}").json()["usage"] == answer
    missing = local_stack.call("GET", "/v1/locations/no-such-location/usage")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "LOCATION_NOT_FOUND"


def test_consent_is_recorded_in_the_ledger_and_a_purchased_list_is_refused(local_stack: LocalStack) -> None:
    location_id, _ = new_location(local_stack)
    phone = contact()
    recorded = opt_in(local_stack, location_id, phone)
    read = local_stack.call("GET", f"/v1/locations/{location_id}/contacts/{path_phone(phone)}")
    assert read.status_code == 200 and read.json() == recorded
    assert set(recorded) >= CONTACT_FIELDS
    assert recorded["location_id"] == location_id and recorded["phone"] == phone
    assert recorded["consent"]["state"] == "opted_in" and recorded["consent"]["source"] == "web_form"
    assert recorded["consent"]["captured_at"].startswith("2024-05-01T10:00:00")
    assert recorded["dnd"] == {"state": "none", "reason": None, "error_code": None, "since": None}
    [entry] = recorded["ledger"]
    assert entry["action"] == "opt_in" and entry["source"] == "web_form"
    assert entry["evidence"] == "booking form checkbox" and entry["actor"]
    assert entry["captured_at"].startswith("2024-05-01T10:00:00") and entry["recorded_at"]

    bought = contact()
    refused = local_stack.call(
        "PUT",
        f"/v1/locations/{location_id}/contacts/{path_phone(bought)}/consent",
        {"source": "purchased list", "evidence": "leads.csv"},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "NO_CONSENT"
    assert "purchased" in refused.json()["error"]["message"]
    unknown = local_stack.call("GET", f"/v1/locations/{location_id}/contacts/{path_phone(bought)}").json()
    assert unknown["consent"]["state"] == "none" and unknown["ledger"] == []

    bad_phone = local_stack.call("GET", f"/v1/locations/{location_id}/contacts/not-a-number")
    assert bad_phone.status_code == 400 and bad_phone.json()["error"]["code"] == "VALIDATION_ERROR"


def test_clearing_dnd_answers_the_contact_and_a_permanent_one_is_409(local_stack: LocalStack) -> None:
    location_id, number = new_location(local_stack)
    phone = contact()
    opt_in(local_stack, location_id, phone)
    # No DND: nothing to clear, the contact is answered as it is.
    cleared = local_stack.call("DELETE", f"/v1/locations/{location_id}/contacts/{path_phone(phone)}/dnd")
    assert cleared.status_code == 200, cleared.text
    assert set(cleared.json()) >= CONTACT_FIELDS and cleared.json()["dnd"]["state"] == "none"
    assert cleared.json()["consent"]["state"] == "opted_in"

    reply_stop(local_stack, location_id, number, phone)
    kept = local_stack.call("DELETE", f"/v1/locations/{location_id}/contacts/{path_phone(phone)}/dnd")
    assert kept.status_code == 409 and kept.json()["error"]["code"] == "DND_PERMANENT"
    refused = send(local_stack, location_id, number, phone)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        **refused.json()["error"],
        "code": "DND_ACTIVE",
        "message": "Cannot send messages as DND is active for SMS.",
    }
    missing = local_stack.call("DELETE", f"/v1/locations/no-such-location/contacts/{path_phone(phone)}/dnd")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "LOCATION_NOT_FOUND"


@pytest.mark.parametrize("kind", ["workflow", "bulk", "campaign"])
def test_the_first_introductory_message_is_decorated_once(local_stack: LocalStack, kind: str) -> None:
    location_id, number = new_location(local_stack)
    phone = contact_abroad()
    opt_in(local_stack, location_id, phone)
    first = send(local_stack, location_id, number, phone, kind=kind)
    assert first.status_code == 202, first.text
    answer = first.json()
    assert set(answer) == {"message_id", "status", "body", "segments", "encoding"}
    assert answer["status"] == "queued" and answer["body"] == DECORATED
    assert (answer["segments"], answer["encoding"]) == (1, "GSM-7")
    second = send(local_stack, location_id, number, phone, kind=kind)
    assert second.status_code == 202 and second.json()["body"] == BODY


def test_conversation_messages_are_never_decorated(local_stack: LocalStack) -> None:
    location_id, number = new_location(local_stack)
    phone = contact()
    opt_in(local_stack, location_id, phone)
    answer = send(local_stack, location_id, number, phone, kind="conversation")
    assert answer.status_code == 202, answer.text
    assert answer.json()["body"] == BODY and answer.json()["status"] == "queued"


def test_a_repeated_idempotency_key_returns_the_first_answer_and_queues_once(local_stack: LocalStack) -> None:
    location_id, number = new_location(local_stack)
    phone = contact()
    opt_in(local_stack, location_id, phone)
    first = send(local_stack, location_id, number, phone, idempotency_key="reminder-42")
    again = send(local_stack, location_id, number, phone, idempotency_key="reminder-42")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert usage(local_stack, location_id)["sent_today"] == 1
    other = send(local_stack, location_id, number, phone, idempotency_key="reminder-43")
    assert other.status_code == 202 and other.json()["message_id"] != first.json()["message_id"]
    assert usage(local_stack, location_id)["sent_today"] == 2


def test_a_message_and_its_history_reach_delivered(local_stack: LocalStack) -> None:
    location_id, number = new_location(local_stack)
    phone = contact()
    opt_in(local_stack, location_id, phone)
    accepted = send(local_stack, location_id, number, phone)
    assert accepted.status_code == 202, accepted.text
    message_id = accepted.json()["message_id"]

    message = final_message(local_stack, message_id)
    assert message["status"] == "delivered", message
    assert set(message) >= MESSAGE_FIELDS
    assert message["message_id"] == message_id and message["location_id"] == location_id
    assert (message["from"], message["to"], message["kind"]) == (number, phone, "workflow")
    assert message["body"] == DECORATED and message["error_code"] is None
    statuses = [step["status"] for step in message["history"]]
    assert statuses[0] == "queued" and statuses[-1] == "delivered"
    assert all(set(step) >= {"status", "at", "error_code"} for step in message["history"])

    missing = local_stack.call("GET", f"/v1/messages/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "MESSAGE_NOT_FOUND"


def test_bulk_preview_and_send_with_skipped_failed_and_the_limit_notice(local_stack: LocalStack) -> None:
    location_id, number = new_location(local_stack)
    opted_in = [contact_abroad() for _ in range(252)]
    for phone in opted_in:
        opt_in(local_stack, location_id, phone)
    stopped, stranger = opted_in.pop(), contact_abroad()
    reply_stop(local_stack, location_id, number, stopped)

    def bulk(recipients: list[str], preview: bool) -> requests.Response:
        request = {
            "location_id": location_id,
            "from": number,
            "body": BODY,
            "kind": "bulk",
            "recipients": recipients,
            "preview": preview,
        }
        return local_stack.call("POST", "/v1/messages/bulk", request)

    small = [stopped, stranger, *opted_in[:3], opted_in[0]]  # a duplicate is sent once
    for preview, status in ((True, 200), (False, 202)):
        answer = bulk(small, preview)
        assert answer.status_code == status, answer.text
        outcome = answer.json()
        assert outcome["accepted"] == 3 and "notice" not in outcome
        assert outcome["skipped"] == [{"to": stopped, "code": "DND_ACTIVE"}]
        assert outcome["failed"] == [{"to": stranger, "code": "NO_CONSENT"}]
        if preview:
            assert outcome["messages"] == []
            assert usage(local_stack, location_id)["sent_today"] == 0
    assert [item["to"] for item in outcome["messages"]] == opted_in[:3]
    assert usage(local_stack, location_id)["sent_today"] == 3
    queued = local_stack.call("GET", f"/v1/messages/{outcome['messages'][0]['message_id']}").json()
    assert queued["kind"] == "bulk" and queued["body"] == DECORATED

    # 248 eligible recipients, 247 remain of the 250 of day one: the last one fails, with the notice.
    rest = opted_in[3:]
    assert len(rest) == 248
    over = [{"to": phone, "code": "DAILY_LIMIT_REACHED"} for phone in rest[-1:]]
    for preview, status in ((True, 200), (False, 202)):
        answer = bulk([*rest, stranger], preview)
        assert answer.status_code == status, answer.text
        outcome = answer.json()
        assert outcome["accepted"] == 247 and outcome["skipped"] == []
        assert outcome["failed"] == [{"to": stranger, "code": "NO_CONSENT"}, *over]
        assert outcome["notice"] == LIMIT_NOTICE
        assert len(outcome["messages"]) == (0 if preview else 247)
    assert usage(local_stack, location_id) | {"day": None, "resets_at": None} == {
        "day": None,
        "limit": 250,
        "sent_today": 250,
        "remaining": 0,
        "resets_at": None,
        "profile": "seeds-2022",
    }


def test_the_openapi_document_lists_every_route(local_stack: LocalStack) -> None:
    answer = local_stack.call("GET", "/v1/openapi.json")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    methods = {path: set(operations) for path, operations in document["paths"].items()}
    assert methods["/v1/messages"] >= {"post"}
    assert methods["/v1/messages/bulk"] >= {"post"}
    assert methods["/v1/messages/{message_id}"] >= {"get"}
    assert methods["/v1/locations/{location_id}"] >= {"put", "get"}
    assert methods["/v1/locations/{location_id}/usage"] >= {"get"}
    assert methods["/v1/locations/{location_id}/contacts/{phone}/consent"] >= {"put"}
    assert methods["/v1/locations/{location_id}/contacts/{phone}"] >= {"get"}
    assert methods["/v1/locations/{location_id}/contacts/{phone}/dnd"] >= {"delete"}


MESSAGE = {
    "location_id": "loc-x",
    "from": "+12025552999",
    "to": "+12025561999",
    "body": "Hi",
    "kind": "workflow",
}
BULK = {"location_id": "loc-x", "from": "+12025552999", "recipients": ["+12025561999"], "body": "Hi"}
LOCATION = {"name": "Bright Smiles Dental", "numbers": ["+12025552999"]}
CONSENT = {"source": "web_form"}
ROUTES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "message": ("POST", "/v1/messages", MESSAGE),
    "bulk": ("POST", "/v1/messages/bulk", BULK),
    "location": ("PUT", "/v1/locations/loc-x", LOCATION),
    "consent": ("PUT", "/v1/locations/loc-x/contacts/%2B12025561999/consent", CONSENT),
}
TOO_LONG = "x" * (153 * 10 + 1)  # eleven GSM-7 segments


@pytest.mark.parametrize(
    ("route", "change"),
    [
        *[(route, {"surprise": 1}) for route in ROUTES],  # unknown field
        *[(route, None) for route in ROUTES],  # not JSON at all
        ("message", {"to": "2025561999"}),  # not E.164
        ("message", {"from": "+1202"}),
        ("message", {"body": ""}),
        ("message", {"body": TOO_LONG}),
        ("message", {"kind": "blast"}),
        ("message", {"location_id": "bad id"}),
        ("bulk", {"recipients": ["+12025561999", "555-1999"]}),
        ("bulk", {"recipients": []}),
        ("bulk", {"recipients": [f"+1202557{n:04d}" for n in range(5001)]}),
        ("bulk", {"body": TOO_LONG}),
        ("bulk", {"preview": "yes please"}),
        ("location", {"numbers": ["12025552999"]}),
        ("location", {"name": ""}),
        ("location", {"created_at": "yesterday"}),
        ("consent", {"source": ""}),
        ("consent", {"captured_at": "last week"}),
    ],
)
def test_malformed_bodies_get_a_400_with_a_code(
    local_stack: LocalStack, route: str, change: dict[str, Any] | None
) -> None:
    method, path, valid = ROUTES[route]
    if change is None:
        answer = requests.request(
            method,
            local_stack.url(path),
            data="{not json",
            headers={"content-type": "application/json"},
            timeout=30,
        )
    else:
        answer = local_stack.call(method, path, {**valid, **change})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message"]


@pytest.mark.parametrize("route", ["message", "bulk", "consent"])
def test_an_unknown_location_is_a_404_with_a_code(local_stack: LocalStack, route: str) -> None:
    method, path, valid = ROUTES[route]
    answer = local_stack.call(
        method,
        path.replace("loc-x", "no-such-location"),
        {**valid, "location_id": "no-such-location"} if "location_id" in valid else valid,
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "LOCATION_NOT_FOUND"
