"""Twilio's signed webhooks through the carrier_webhooks handler: verified, queued, applied."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from local_stack.api_server import http_api_event
from local_stack.consumers import sqs_event
from local_stack.stack import Route
from smsgate.api.webhooks import INBOUND_PATH, STATUS_PATH
from smsgate.dal import contacts, messages
from smsgate.errors import SmsgateError
from smsgate.models.carrier_events import parse_inbound, parse_receipt
from smsgate.models.entities import Message, StatusChange
from smsgate.reasons import ReasonCode
from smsgate.services import carrier_webhooks as webhook_service
from smsgate.services.envelopes import sns_message
from smsgate.settings import get_settings
from tests.integration.conftest import CONTACT, LOCATION, NUMBER, Invoke

ROOT = Path(__file__).resolve().parents[2]
LOCAL_TOKEN = "local-dev-token"  # docs/local-stack.md#twilio-webhooks-locally
BASE_URL = "http://127.0.0.1:3000"

STATUS_PARAMS = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "ApiVersion": "2010-04-01",
    "ErrorCode": "30004",
    "From": NUMBER,
    "MessageSid": "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f",
    "MessageStatus": "undelivered",
    "SmsSid": "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f",
    "SmsStatus": "undelivered",
    "To": CONTACT,
}
INBOUND_PARAMS = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "ApiVersion": "2010-04-01",
    "Body": "Stop",
    "From": CONTACT,
    "FromCountry": "GB",
    "MessageSid": "SMa7c3e9b1d5f24086a7c3e9b1d5f24086",
    "NumMedia": "0",
    "NumSegments": "1",
    "SmsStatus": "received",
    "To": NUMBER,
    "ToCity": "WASHINGTON",
}


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's published algorithm (twilio.com/docs/usage/webhooks/webhooks-security), written
    out here independently of `smsgate.twilio_signature`: base64 of the HMAC-SHA1, keyed with
    the auth token, of the full URL followed by each POST parameter's name and value, sorted."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


Post = Callable[..., dict[str, Any]]


@pytest.fixture
def post(handler: Callable[[str], Invoke]) -> Post:
    """POST a form to the carrier_webhooks handler, as API Gateway's HTTP API (payload 2.0) would."""
    carrier_webhooks = handler("carrier_webhooks")

    def send(
        path: str,
        params: dict[str, str],
        *,
        query: str = "",
        signature: str | None = None,
        base64_body: bool = False,
    ) -> dict[str, Any]:
        headers = {"content-type": "application/x-www-form-urlencoded", "host": "127.0.0.1:3000"}
        if signature is not None:
            headers["x-twilio-signature"] = signature
        body = urlencode(params).encode()
        event = http_api_event(
            "POST",
            path,
            query,
            headers,
            body,
            Route("POST", path, "CarrierWebhooksFunction"),
            {},
            "54.172.60.1",
        )
        if base64_body:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        return carrier_webhooks(event)

    return send


def queued(stack: Any, output: str) -> list[str]:
    """The SNS `Message`s waiting on one of the stack's queues."""
    sqs: Any = boto3.client("sqs")
    found: list[str] = []
    while page := sqs.receive_message(QueueUrl=stack.outputs[output], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        found += [sns_message(message["Body"]) for message in page]
    return found


def signed_status(message_id: str, token: str = LOCAL_TOKEN) -> tuple[str, str]:
    query = f"message_id={message_id}"
    return query, twilio_signature(token, f"{BASE_URL}{STATUS_PATH}?{query}", STATUS_PARAMS)


# --- signed requests are queued -----------------------------------------------------------------


def test_a_signed_status_callback_is_answered_and_queued_for_status_callback(post: Post, stack: Any) -> None:
    query, signature = signed_status("0b6f1c2e")

    answer = post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)

    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/xml"
    assert answer["body"] == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    [published] = queued(stack, "CarrierEventsQueueUrl")
    envelope = json.loads(published)
    assert (envelope["source"], envelope["params"], envelope["query"]) == (
        "twilio.status",
        STATUS_PARAMS,
        {"message_id": "0b6f1c2e"},
    )
    receipt = parse_receipt(published)
    assert (receipt.message_id, receipt.status, receipt.error_code) == ("0b6f1c2e", "undelivered", 30004)
    assert queued(stack, "InboundQueueUrl") == []


def test_a_signed_inbound_message_is_answered_and_queued_for_inbound_keyword(post: Post, stack: Any) -> None:
    signature = twilio_signature(LOCAL_TOKEN, f"{BASE_URL}{INBOUND_PATH}", INBOUND_PARAMS)

    answer = post(INBOUND_PATH, INBOUND_PARAMS, signature=signature)

    assert (answer["statusCode"], answer["body"]) == (
        200,
        '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    )
    [published] = queued(stack, "InboundQueueUrl")
    reply = parse_inbound(published)
    assert (reply.inbound_id, reply.contact, reply.number, reply.body) == (
        INBOUND_PARAMS["MessageSid"],
        CONTACT,
        NUMBER,
        "Stop",
    )
    assert queued(stack, "CarrierEventsQueueUrl") == []


def test_a_base64_encoded_form_is_verified_as_well(post: Post, stack: Any) -> None:
    signature = twilio_signature(LOCAL_TOKEN, f"{BASE_URL}{INBOUND_PATH}", INBOUND_PARAMS)

    answer = post(INBOUND_PATH, INBOUND_PARAMS, signature=signature, base64_body=True)

    assert answer["statusCode"] == 200
    assert len(queued(stack, "InboundQueueUrl")) == 1


def test_a_parameter_posted_empty_is_signed_and_kept(post: Post, stack: Any) -> None:
    params = {**INBOUND_PARAMS, "Body": ""}
    signature = twilio_signature(LOCAL_TOKEN, f"{BASE_URL}{INBOUND_PATH}", params)

    assert post(INBOUND_PATH, params, signature=signature)["statusCode"] == 200
    [published] = queued(stack, "InboundQueueUrl")
    assert json.loads(published)["params"]["Body"] == ""


@pytest.mark.parametrize(
    ("sample", "output"),
    [
        ("twilio_status_webhook.json", "CarrierEventsQueueUrl"),
        ("twilio_inbound_webhook.json", "InboundQueueUrl"),
    ],
)
def test_the_sample_webhook_events_are_accepted(handler: Any, stack: Any, sample: str, output: str) -> None:
    event = json.loads((ROOT / "events" / "carrier_webhooks" / sample).read_text())

    assert handler("carrier_webhooks")(event)["statusCode"] == 200
    assert len(queued(stack, output)) == 1


# --- anything else is refused and queued nowhere ----------------------------------------------


def refusals() -> list[tuple[str, dict[str, str], str, str | None]]:
    status_url = f"{BASE_URL}{STATUS_PATH}?message_id=0b6f1c2e"
    inbound_url = f"{BASE_URL}{INBOUND_PATH}"
    good_query = "message_id=0b6f1c2e"
    return [
        ("unsigned", STATUS_PARAMS, good_query, None),
        ("empty signature", STATUS_PARAMS, good_query, ""),
        (
            "another auth token",
            STATUS_PARAMS,
            good_query,
            twilio_signature("not-the-token", status_url, STATUS_PARAMS),
        ),
        (
            "another query",
            STATUS_PARAMS,
            "message_id=someone-else",
            twilio_signature(LOCAL_TOKEN, status_url, STATUS_PARAMS),
        ),
        (
            "a parameter changed",
            {**STATUS_PARAMS, "ErrorCode": "30003"},
            good_query,
            twilio_signature(LOCAL_TOKEN, status_url, STATUS_PARAMS),
        ),
        (
            "a parameter added",
            {**STATUS_PARAMS, "Extra": "1"},
            good_query,
            twilio_signature(LOCAL_TOKEN, status_url, STATUS_PARAMS),
        ),
        (
            "signed for the other route",
            STATUS_PARAMS,
            good_query,
            twilio_signature(LOCAL_TOKEN, inbound_url + "?" + good_query, STATUS_PARAMS),
        ),
        (
            "another host",
            STATUS_PARAMS,
            good_query,
            twilio_signature(LOCAL_TOKEN, status_url.replace("127.0.0.1", "example.com"), STATUS_PARAMS),
        ),
    ]


@pytest.mark.parametrize(
    ("case", "params", "query", "signature"), refusals(), ids=[row[0] for row in refusals()]
)
def test_a_request_without_a_valid_signature_is_refused_and_not_queued(
    post: Post, stack: Any, case: str, params: dict[str, str], query: str, signature: str | None
) -> None:
    answer = post(STATUS_PATH, params, query=query, signature=signature)

    assert answer["statusCode"] == 403
    assert json.loads(answer["body"])["error"]["code"] == "INVALID_SIGNATURE"
    assert queued(stack, "CarrierEventsQueueUrl") == []
    assert queued(stack, "InboundQueueUrl") == []


def test_an_unsigned_inbound_message_is_refused(post: Post, stack: Any) -> None:
    answer = post(INBOUND_PATH, INBOUND_PARAMS)

    assert answer["statusCode"] == 403
    assert queued(stack, "InboundQueueUrl") == []


# --- the auth token from SSM (deployed) -----------------------------------------------------------


@pytest.fixture
def token_in_ssm(stack: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A deployment without TWILIO_AUTH_TOKEN: the token is the SSM SecureString of the template."""
    from aws_lambda_powertools.utilities import parameters

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "")
    monkeypatch.setattr(webhook_service, "_token_failures", webhook_service._TokenFailures())
    get_settings.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    yield get_settings().twilio_auth_token_parameter
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def test_the_auth_token_is_read_from_ssm_when_not_set(post: Post, stack: Any, token_in_ssm: str) -> None:
    boto3.client("ssm").put_parameter(Name=token_in_ssm, Value="deployed-token", Type="SecureString")
    query, signature = signed_status("0b6f1c2e", token="deployed-token")
    _, local_signature = signed_status("0b6f1c2e")

    assert post(STATUS_PATH, STATUS_PARAMS, query=query, signature=local_signature)["statusCode"] == 403
    assert post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)["statusCode"] == 200
    assert len(queued(stack, "CarrierEventsQueueUrl")) == 1


def test_an_unreadable_token_parameter_is_a_503_and_queues_nothing(
    post: Post, stack: Any, token_in_ssm: str
) -> None:
    query, signature = signed_status("0b6f1c2e")

    answer = post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)

    assert answer["statusCode"] == 503
    assert queued(stack, "CarrierEventsQueueUrl") == []


def test_a_failed_token_read_is_remembered_for_a_while(
    post: Post, stack: Any, token_in_ssm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSM unavailable (here: no parameter): the next requests are answered 503 at once, without
    asking SSM again, until the short negative cache runs out."""
    query, signature = signed_status("0b6f1c2e", token="deployed-token")
    assert post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)["statusCode"] == 503
    boto3.client("ssm").put_parameter(Name=token_in_ssm, Value="deployed-token", Type="SecureString")

    answer = post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)
    assert answer["statusCode"] == 503
    assert 1 <= int(answer["headers"]["Retry-After"]) <= webhook_service.TOKEN_FAILURE_SECONDS

    monkeypatch.setattr(
        webhook_service, "_token_failures", webhook_service._TokenFailures()
    )  # the 30 s have passed
    assert post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)["statusCode"] == 200


def test_an_unreadable_shared_key_does_not_hold_back_the_auth_token(
    stack: Any, token_in_ssm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anyone may send a request naming a shared key: when its parameter cannot be read, the
    auth token (which signs every other webhook, STOP replies among them) is still read.

    Called below the handler: the suites' stack is made without a shared-key parameter, so its
    role (rightly) grants no read of one (tests/permissions/justified.py)."""
    boto3.client("ssm").put_parameter(Name=token_in_ssm, Value="deployed-token", Type="SecureString")
    monkeypatch.setenv("TWILIO_SHARED_KEY_PARAMETER", "/smsgate/test/no-such-shared-key")
    get_settings.cache_clear()
    settings = get_settings()

    with pytest.raises(SmsgateError) as unreadable:
        webhook_service.shared_key(settings)

    assert unreadable.value.code == ReasonCode.SERVICE_UNAVAILABLE
    assert webhook_service.auth_token(settings) == "deployed-token"


@pytest.mark.parametrize("signature", [None, "", "not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_signature_is_refused_before_any_aws_call(
    post: Post, stack: Any, token_in_ssm: str, signature: str | None
) -> None:
    """The token parameter is unreadable here: a request that reached the SSM read would be a
    503. A missing or malformed signature is a 403, so it never did."""
    answer = post(STATUS_PATH, STATUS_PARAMS, query="message_id=0b6f1c2e", signature=signature)

    assert answer["statusCode"] == 403
    assert json.loads(answer["body"])["error"]["code"] == "INVALID_SIGNATURE"


def test_the_routes_are_not_found_where_the_carrier_sends_no_twilio_webhooks(
    post: Post, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARRIER", "aws")
    get_settings.cache_clear()
    query, signature = signed_status("0b6f1c2e")

    answer = post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)

    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"]["code"] == "NOT_FOUND"
    assert queued(stack, "CarrierEventsQueueUrl") == []


def test_without_a_public_base_url_the_signed_url_is_the_requests_own_domain(
    handler: Any, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment on the API's default endpoint: Twilio signs https://<api domain>/<path>."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    get_settings.cache_clear()
    domain = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
    query = "message_id=0b6f1c2e"
    signature = twilio_signature(LOCAL_TOKEN, f"https://{domain}{STATUS_PATH}?{query}", STATUS_PARAMS)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    event = http_api_event(
        "POST",
        STATUS_PATH,
        query,
        headers,
        urlencode(STATUS_PARAMS).encode(),
        Route("POST", STATUS_PATH, "CarrierWebhooksFunction"),
        {},
        "54.172.60.1",
    )
    event["requestContext"]["domainName"] = domain

    assert handler("carrier_webhooks")(event)["statusCode"] == 200
    assert len(queued(stack, "CarrierEventsQueueUrl")) == 1


# --- from Twilio's request to the applied effect --------------------------------------------------


def consume(stack: Any, output: str, consumer: Invoke) -> dict[str, Any]:
    """Hand what waits on a queue to a consumer, as Lambda's event source mapping does."""
    sqs: Any = boto3.client("sqs")
    page = sqs.receive_message(QueueUrl=stack.outputs[output], MaxNumberOfMessages=10)["Messages"]
    return consumer(sqs_event(page, f"arn:aws:sqs:us-east-1:123456789012:{output}", "us-east-1"))


def test_a_signed_stop_and_status_callback_reach_the_contact(
    post: Post, stack: Any, handler: Any, location: Any
) -> None:
    location()
    now = datetime.now(UTC)
    messages.put_message(
        Message(
            message_id="0b6f1c2e",
            location_id=LOCATION,
            from_number=NUMBER,
            to=CONTACT,
            body="Hi",
            kind="workflow",
            segments=1,
            encoding="GSM-7",
            created_at=now,
            history=(StatusChange(status="queued", at=now),),
        )
    )
    query, signature = signed_status("0b6f1c2e")

    assert post(STATUS_PATH, STATUS_PARAMS, query=query, signature=signature)["statusCode"] == 200
    assert consume(stack, "CarrierEventsQueueUrl", handler("status_callback")) == {"batchItemFailures": []}

    message = messages.get_message("0b6f1c2e")
    assert message is not None and (message.status, message.error_code) == ("undelivered", 30004)
    assert contacts.get_contact(LOCATION, CONTACT).dnd.error_code == 30004

    signature = twilio_signature(LOCAL_TOKEN, f"{BASE_URL}{INBOUND_PATH}", INBOUND_PARAMS)
    assert post(INBOUND_PATH, INBOUND_PARAMS, signature=signature)["statusCode"] == 200
    assert consume(stack, "InboundQueueUrl", handler("inbound_keyword")) == {"batchItemFailures": []}

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert (contact.consent.state, contact.dnd.state) == ("opted_out", "permanent")
