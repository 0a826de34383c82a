"""The Twilio adapter against a local server that answers like Twilio's Messages API."""

import base64
import json
import urllib.parse
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from smsgate.carriers.base import (
    InfrastructureCarrierError,
    OutboundSms,
    PermanentCarrierError,
    SendResult,
    TransientCarrierError,
)
from smsgate.carriers.retry import send_with_retry
from smsgate.carriers.twilio import TwilioCarrier, parse_retry_after, twilio_from_secret

PUBLIC_BASE_URL = "https://sms.example.com"
SMS = OutboundSms(
    message_id="01J9ZQ4V6M3W2X8Y7T5R4P3N2K",
    location_id="loc-42",
    from_number="+15017122661",
    to="+15558675310",
    body="Hi Ana & Bo: 50% off — café 🎉\nReply STOP to unsubscribe",
)


def carrier_for(server, **kwargs) -> TwilioCarrier:
    return TwilioCarrier(
        server.account_sid, server.auth_token, PUBLIC_BASE_URL, base_url=server.base_url, **kwargs
    )


def assert_no_secrets_in(error: Exception, server) -> None:
    text = str(error)
    for secret in (server.auth_token, SMS.to, SMS.from_number, SMS.body, "Ana"):
        assert secret not in text


def test_send_posts_the_documented_request(twilio_server):
    carrier_for(twilio_server).send(SMS)

    [request] = twilio_server.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    expected_auth = base64.b64encode(
        f"{twilio_server.account_sid}:{twilio_server.auth_token}".encode()
    ).decode()
    assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert request.headers["Content-Type"].split(";")[0] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": [SMS.to],
        "From": [SMS.from_number],
        "Body": [SMS.body],
        "StatusCallback": [f"{PUBLIC_BASE_URL}/v1/webhooks/twilio/status?message_id={SMS.message_id}"],
    }


def test_status_callback_carries_our_message_id_as_a_query_parameter(twilio_server):
    sms = SMS.model_copy(update={"message_id": "id with spaces&=?"})
    carrier_for(twilio_server).send(sms)

    callback = urllib.parse.urlsplit(twilio_server.requests[0].form["StatusCallback"][0])
    assert (callback.scheme, callback.netloc, callback.path) == (
        "https",
        "sms.example.com",
        "/v1/webhooks/twilio/status",
    )
    assert urllib.parse.parse_qs(callback.query) == {"message_id": ["id with spaces&=?"]}


def test_a_trailing_slash_in_the_urls_does_not_double_the_path(twilio_server):
    carrier = TwilioCarrier(
        twilio_server.account_sid,
        twilio_server.auth_token,
        PUBLIC_BASE_URL + "/",
        base_url=twilio_server.base_url + "/",
    )
    carrier.send(SMS)

    request = twilio_server.requests[0]
    assert request.path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"
    assert request.form["StatusCallback"][0].startswith(f"{PUBLIC_BASE_URL}/v1/webhooks/")


def test_created_answer_gives_twilio_message_sid(twilio_server):
    result = carrier_for(twilio_server).send(SMS)

    assert isinstance(result, SendResult)
    assert result.carrier_message_id.startswith("SM")
    assert len(result.carrier_message_id) == 34


def test_rejection_carries_twilio_code_and_no_personal_data(twilio_server):
    twilio_server.answer_next(twilio_server.INVALID_TO)

    with pytest.raises(PermanentCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.code == 21211
    assert "400" in str(caught.value)
    assert "+15005550001" not in str(caught.value)  # Twilio's message quotes the number
    assert_no_secrets_in(caught.value, twilio_server)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21610, "Attempt to send to unsubscribed recipient"),
        (21211, "The 'To' number is not a valid phone number."),
        (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
        (21614, "'To' number is not a valid mobile number"),
        (30034, "Message from an Unregistered Number"),
    ],
)
def test_permanent_rejection_is_not_retried(twilio_server, recording_sleep, code, message):
    twilio_server.answer_next(twilio_server.error(400, code, message))

    with pytest.raises(PermanentCarrierError) as caught:
        send_with_retry(carrier_for(twilio_server), SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert caught.value.code == code
    assert len(twilio_server.requests) == 1
    assert recording_sleep.delays == []


def test_throttled_send_is_retried_after_retry_after_and_succeeds(twilio_server, recording_sleep):
    twilio_server.answer_next(twilio_server.TOO_MANY_REQUESTS)

    result = send_with_retry(carrier_for(twilio_server), SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert result.carrier_message_id.startswith("SM")
    assert len(twilio_server.requests) == 2
    assert twilio_server.requests[0].form == twilio_server.requests[1].form
    assert recording_sleep.delays == [2.0]  # Retry-After: 2 is a floor over the 0.1 s jitter


def test_throttled_answer_is_transient_with_retry_after(twilio_server):
    twilio_server.answer_next(twilio_server.TOO_MANY_REQUESTS)

    with pytest.raises(TransientCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert (caught.value.code, caught.value.retry_after) == (20429, 2.0)
    assert_no_secrets_in(caught.value, twilio_server)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient_and_retried(twilio_server, recording_sleep, status):
    twilio_server.answer_next(twilio_server.error(status, 20500, "Internal Server Error"))

    result = send_with_retry(carrier_for(twilio_server), SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert result.carrier_message_id.startswith("SM")
    assert len(twilio_server.requests) == 2
    assert recording_sleep.delays == [0.1]


def test_retries_give_up_with_the_last_transient_error(twilio_server, recording_sleep):
    twilio_server.answer_next(*[twilio_server.INTERNAL_SERVER_ERROR] * 4)

    with pytest.raises(TransientCarrierError) as caught:
        send_with_retry(carrier_for(twilio_server), SMS, attempts=4, sleep=recording_sleep, rand=lambda: 1.0)

    assert caught.value.code == 20500
    assert len(twilio_server.requests) == 4
    assert recording_sleep.delays == [0.2, 0.4, 0.8]


def test_full_sender_queue_is_transient(twilio_server):
    twilio_server.answer_next(
        twilio_server.error(
            400, 21611, "This 'From' number has exceeded the maximum number of queued messages"
        )
    )

    with pytest.raises(TransientCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.code == 21611
    # Twilio names no time: the queue drains over hours, so the message waits an hour.
    assert caught.value.retry_after == 3600.0


def test_full_sender_queue_keeps_twilios_retry_after(twilio_server):
    twilio_server.answer_next(twilio_server.error(400, 21611, "queue full", {"Retry-After": "7200"}))

    with pytest.raises(TransientCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.retry_after == 7200.0


def test_non_json_server_error_is_transient(twilio_server):
    twilio_server.answer_next(
        twilio_server.raw(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"})
    )

    with pytest.raises(TransientCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.code is None
    assert caught.value.retry_after is None


def test_codeless_client_error_gets_twilio_generic_code(twilio_server):
    twilio_server.answer_next(twilio_server.raw(400, b"not json"))

    with pytest.raises(PermanentCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.code == 30008


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, b"not json", 20003),
        (403, b"not json", 20003),
        (404, b"not json", 20404),
        (401, b'{"code": 20003, "message": "Authenticate", "status": 401}', 20003),
        (404, b'{"code": 20404, "message": "The requested resource was not found", "status": 404}', 20404),
        (403, b'{"code": 20005, "message": "Account not active", "status": 403}', 20005),
    ],
)
def test_our_credentials_or_account_refused_is_an_infrastructure_fault(
    twilio_server, recording_sleep, status, body, code
):
    twilio_server.answer_next(twilio_server.raw(status, body))

    with pytest.raises(InfrastructureCarrierError) as caught:
        send_with_retry(carrier_for(twilio_server), SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert caught.value.code == code
    assert caught.value.retry_after is None  # held until an operator acts
    assert len(twilio_server.requests) == 1


def test_created_answer_without_sid_is_not_retried(twilio_server):
    twilio_server.answer_next(twilio_server.raw(201, json.dumps({"status": "queued"}).encode()))

    with pytest.raises(PermanentCarrierError) as caught:
        carrier_for(twilio_server).send(SMS)

    assert caught.value.code == 30008


def test_refused_connection_is_transient(closed_port_url):
    carrier = TwilioCarrier("AC123", "token-xyz", PUBLIC_BASE_URL, base_url=closed_port_url, timeout=2)

    with pytest.raises(TransientCarrierError) as caught:
        carrier.send(SMS)

    assert "token-xyz" not in str(caught.value)


def test_timeout_is_transient(twilio_server):
    twilio_server.hang = True

    with pytest.raises(TransientCarrierError) as caught:
        carrier_for(twilio_server, timeout=0.05).send(SMS)

    assert "Timeout" in str(caught.value) or "timed out" in str(caught.value).lower()


def test_only_http_urls_are_accepted():
    with pytest.raises(ValueError, match="http"):
        TwilioCarrier("AC123", "token", PUBLIC_BASE_URL, base_url="file:///etc/passwd")
    with pytest.raises(ValueError, match="http"):
        TwilioCarrier("AC123", "token", "ftp://example.com")


def test_repr_hides_the_credentials():
    carrier = TwilioCarrier("AC123", "token-xyz", PUBLIC_BASE_URL)

    assert "token-xyz" not in repr(carrier)
    assert base64.b64encode(b"AC123:token-xyz").decode() not in repr(carrier)


def test_retry_after_accepts_seconds_and_http_dates():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")

    assert parse_retry_after("7", now.timestamp()) == 7.0
    assert parse_retry_after(" 1.5 ", now.timestamp()) == 1.5
    assert parse_retry_after(later, now.timestamp()) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now.timestamp()) == 0.0
    assert parse_retry_after("soon", now.timestamp()) is None
    assert parse_retry_after(None, now.timestamp()) is None
    assert parse_retry_after("", now.timestamp()) is None


@pytest.fixture
def secret_name(request):
    # powertools caches a secret by name for max_age; a name per test keeps tests apart.
    return f"smsgate/twilio/{request.node.name}"


@pytest.fixture
def secrets_manager(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_twilio_from_secret_reads_credentials(secrets_manager, secret_name, twilio_server):
    secrets_manager.create_secret(
        Name=secret_name,
        SecretString=json.dumps(
            {"account_sid": twilio_server.account_sid, "auth_token": twilio_server.auth_token}
        ),
    )

    carrier = twilio_from_secret(secret_name, PUBLIC_BASE_URL, base_url=twilio_server.base_url)
    carrier.send(SMS)

    expected_auth = base64.b64encode(
        f"{twilio_server.account_sid}:{twilio_server.auth_token}".encode()
    ).decode()
    assert twilio_server.requests[0].headers["Authorization"] == f"Basic {expected_auth}"
    assert twilio_server.requests[0].path == f"/2010-04-01/Accounts/{twilio_server.account_sid}/Messages.json"


def test_twilio_from_secret_rejects_an_incomplete_secret_without_quoting_it(secrets_manager, secret_name):
    secrets_manager.create_secret(Name=secret_name, SecretString=json.dumps({"auth_token": "token-xyz"}))

    with pytest.raises(ValueError, match="account_sid") as caught:
        twilio_from_secret(secret_name, PUBLIC_BASE_URL)

    assert "token-xyz" not in str(caught.value)


def test_a_short_code_goes_out_as_its_bare_digits_and_its_program_keyword_stays_home(twilio_server):
    """Twilio takes a short code as `From` as is and has no keyword field (docs/carriers.md#short-codes)."""
    carrier_for(twilio_server).send(SMS.model_copy(update={"from_number": "55123", "keyword": "BAKERY"}))

    form = twilio_server.requests[0].form
    assert form["From"] == ["55123"]
    assert set(form) == {"To", "From", "Body", "StatusCallback"}
