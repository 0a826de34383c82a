"""The AWS End User Messaging SMS adapter against botocore's Stubber."""

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from smsgate.carriers.aws_eum import AwsEumCarrier, eum_client
from smsgate.carriers.base import (
    InfrastructureCarrierError,
    OutboundSms,
    PermanentCarrierError,
    TransientCarrierError,
)
from smsgate.carriers.retry import send_with_retry

CONFIGURATION_SET = "smsgate-carrier-events"
SMS = OutboundSms(
    message_id="01J9ZQ4V6M3W2X8Y7T5R4P3N2K",
    location_id="loc-42",
    from_number="+15017122661",
    to="+15558675310",
    body="Your table for 2 is ready. Reply STOP to unsubscribe",
)
# SendTextMessage as the API reference documents it, for SMS above.
EXPECTED_PARAMS = {
    "DestinationPhoneNumber": SMS.to,
    "OriginationIdentity": SMS.from_number,
    "MessageBody": SMS.body,
    "MessageType": "TRANSACTIONAL",
    "ConfigurationSetName": CONFIGURATION_SET,
    "Context": {"message_id": SMS.message_id, "location_id": SMS.location_id},
}
AWS_MESSAGE_ID = "ab12cd34-5678-90ef-ab12-cd34567890ef"


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def client(aws_credentials):
    return boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")


@pytest.fixture
def stubber(client):
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def carrier(client):
    return AwsEumCarrier(client, CONFIGURATION_SET)


def add_error(stubber: Stubber, error_code: str, http_status: int = 400, **modeled_fields: Any) -> None:
    stubber.add_client_error(
        "send_text_message",
        service_error_code=error_code,
        service_message=f"The destination phone number {SMS.to} rejected",  # AWS may quote it
        http_status_code=http_status,
        modeled_fields=modeled_fields or None,
        expected_params=EXPECTED_PARAMS,
    )


def test_send_makes_the_documented_request(stubber, carrier):
    stubber.add_response("send_text_message", {"MessageId": AWS_MESSAGE_ID}, EXPECTED_PARAMS)

    result = carrier.send(SMS)

    assert result.carrier_message_id == AWS_MESSAGE_ID


def test_throttled_send_is_retried_and_succeeds(stubber, carrier, recording_sleep):
    add_error(stubber, "ThrottlingException", http_status=400)
    stubber.add_response("send_text_message", {"MessageId": AWS_MESSAGE_ID}, EXPECTED_PARAMS)

    result = send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert result.carrier_message_id == AWS_MESSAGE_ID
    assert recording_sleep.delays == [0.1]


def test_internal_error_is_retried_and_succeeds(stubber, carrier, recording_sleep):
    add_error(stubber, "InternalServerException", http_status=500, RequestId="req-1")
    stubber.add_response("send_text_message", {"MessageId": AWS_MESSAGE_ID}, EXPECTED_PARAMS)

    assert (
        send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5).carrier_message_id
        == AWS_MESSAGE_ID
    )


def test_opted_out_destination_is_rejected_once_with_code_21610(stubber, carrier, recording_sleep):
    add_error(
        stubber,
        "ConflictException",
        Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
        ResourceType="opted-out-number",
        ResourceId=SMS.to,
    )

    with pytest.raises(PermanentCarrierError) as caught:
        send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert caught.value.code == 21610
    assert recording_sleep.delays == []
    assert SMS.to not in str(caught.value)
    assert SMS.body not in str(caught.value)
    assert "DESTINATION_PHONE_NUMBER_OPTED_OUT" in str(caught.value)


REJECTIONS = [
    ("ValidationException", {"Reason": "CANNOT_ADD_OPTED_OUT_NUMBER"}, 21610),
    ("ConflictException", {"Reason": "DESTINATION_PHONE_NUMBER_NOT_VERIFIED"}, 21608),
    ("ConflictException", {"Reason": "DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION"}, 21408),
    ("ValidationException", {"Reason": "DESTINATION_COUNTRY_BLOCKED"}, 21408),
    ("ValidationException", {"Reason": "SENDER_ID_REQUIRES_REGISTRATION"}, 30034),
    ("ValidationException", {"Reason": "INVALID_REGISTRATION_ASSOCIATION"}, 30034),
    ("ValidationException", {"Reason": "INVALID_IDENTITY_FOR_DESTINATION_COUNTRY"}, 21606),
    ("ConflictException", {"Reason": "MESSAGE_TYPE_MISMATCH"}, 21606),
    ("ValidationException", {"Reason": "MAXIMUM_SIZE_EXCEEDED"}, 21617),
    ("ValidationException", {"Reason": "PRICE_OVER_THRESHOLD"}, 30010),
    (
        "ValidationException",
        {
            "Reason": "INVALID_PARAMETER",
            "Fields": [{"Name": "DestinationPhoneNumber", "Message": "invalid"}],
        },
        21211,
    ),
    (
        "ValidationException",
        {
            "Reason": "FIELD_VALIDATION_FAILED",
            "Fields": [{"Name": "OriginationIdentity", "Message": "invalid"}],
        },
        21212,
    ),
    ("ValidationException", {"Reason": "OTHER"}, 30008),
    ("ConflictException", {"Reason": "RESOURCE_MODIFICATION_NOT_ALLOWED"}, 30008),
    ("ResourceNotFoundException", {"ResourceType": "phone-number", "ResourceId": SMS.from_number}, 21606),
    ("SomethingNewException", {}, 30008),
]

# Our own account, role or configuration refused: never the location's (docs/carriers.md#our-own-faults).
INFRASTRUCTURE_FAULTS = [
    ("AccessDeniedException", {"Reason": "ACCOUNT_DISABLED"}, 30002, None),
    ("AccessDeniedException", {"Reason": "INSUFFICIENT_ACCOUNT_REPUTATION"}, 30002, None),
    ("AccessDeniedException", {}, 20003, None),
    (
        "ResourceNotFoundException",
        {"ResourceType": "configuration-set", "ResourceId": CONFIGURATION_SET},
        20404,
        None,
    ),
    ("ServiceQuotaExceededException", {"Reason": "MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"}, 63038, None),
    ("ServiceQuotaExceededException", {"Reason": "DAILY_DESTINATION_CALL_LIMIT"}, 63038, 900.0),
]


@pytest.mark.parametrize("fault", INFRASTRUCTURE_FAULTS, ids=lambda f: f"{f[0]}-{f[1].get('Reason', '')}")
def test_our_own_faults_are_infrastructure_errors_left_to_the_queue(stubber, carrier, recording_sleep, fault):
    error_code, modeled_fields, code, retry_after = fault
    add_error(stubber, error_code, **modeled_fields)

    with pytest.raises(InfrastructureCarrierError) as caught:
        send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert (caught.value.code, caught.value.retry_after) == (code, retry_after)
    assert recording_sleep.delays == []


@pytest.mark.parametrize("rejection", REJECTIONS, ids=lambda r: f"{r[0]}-{r[1].get('Reason', '')}-{r[2]}")
def test_permanent_rejections_carry_a_twilio_code_and_are_not_retried(
    stubber, carrier, recording_sleep, rejection
):
    error_code, modeled_fields, code = rejection
    add_error(stubber, error_code, **modeled_fields)

    with pytest.raises(PermanentCarrierError) as caught:
        send_with_retry(carrier, SMS, sleep=recording_sleep, rand=lambda: 0.5)

    assert caught.value.code == code
    assert recording_sleep.delays == []
    assert SMS.to not in str(caught.value)


def test_throttling_honours_a_retry_after_header(stubber, carrier):
    stubber.add_client_error(
        "send_text_message",
        service_error_code="ThrottlingException",
        http_status_code=429,
        response_meta={"HTTPHeaders": {"retry-after": "3"}},
        expected_params=EXPECTED_PARAMS,
    )

    with pytest.raises(TransientCarrierError) as caught:
        carrier.send(SMS)

    assert (caught.value.code, caught.value.retry_after) == (20429, 3.0)


@pytest.mark.parametrize("http_status", [429, 503])
def test_unknown_error_with_a_retryable_status_is_transient(stubber, carrier, http_status):
    add_error(stubber, "SomethingNewException", http_status=http_status)

    with pytest.raises(TransientCarrierError) as caught:
        carrier.send(SMS)

    assert caught.value.code is None


def test_client_side_validation_failure_is_permanent_and_quotes_nothing(aws_credentials, closed_port_url):
    # botocore validates before it connects, so nothing needs to listen on the endpoint.
    carrier = AwsEumCarrier(eum_client(region_name="us-east-1", endpoint_url=closed_port_url), "cs")

    with pytest.raises(PermanentCarrierError) as caught:
        carrier.send(SMS.model_copy(update={"body": ""}))

    assert caught.value.code == 30008
    assert SMS.to not in str(caught.value)


def test_unreachable_endpoint_is_transient(aws_credentials, closed_port_url):
    carrier = AwsEumCarrier(
        eum_client(region_name="us-east-1", endpoint_url=closed_port_url, timeout=2), "cs"
    )

    with pytest.raises(TransientCarrierError) as caught:
        carrier.send(SMS)

    assert "EndpointConnectionError" in str(caught.value)


def test_eum_client_leaves_retries_to_send_with_retry(aws_credentials):
    client = eum_client(region_name="us-east-1")

    assert client.meta.config.retries["total_max_attempts"] == 1  # type: ignore[attr-defined]
    assert client.meta.service_model.service_name == "pinpoint-sms-voice-v2"


def test_configuration_set_is_required(client):
    with pytest.raises(ValueError, match="configuration_set_name"):
        AwsEumCarrier(client, "")


def test_a_short_code_is_the_origination_identity_with_its_program_keyword(stubber, carrier):
    """A short code is an AWS phone number written as its digits; a US one's program keyword goes
    as `Keyword` (docs/carriers.md#short-codes)."""
    sms = SMS.model_copy(update={"from_number": "55123", "keyword": "BAKERY"})
    expected = {**EXPECTED_PARAMS, "OriginationIdentity": "55123", "Keyword": "BAKERY"}
    stubber.add_response("send_text_message", {"MessageId": AWS_MESSAGE_ID}, expected)

    assert carrier.send(sms).carrier_message_id == AWS_MESSAGE_ID


def test_no_keyword_is_sent_without_one(stubber, carrier):
    sms = SMS.model_copy(update={"from_number": "55123"})
    expected = {**EXPECTED_PARAMS, "OriginationIdentity": "55123"}
    stubber.add_response("send_text_message", {"MessageId": AWS_MESSAGE_ID}, expected)

    carrier.send(sms)
