"""`events/` and the adapters held against the carriers' own published formats: the status values
of Twilio's API (the official `twilio` package is generated from its OpenAPI spec), the botocore
model of `pinpoint-sms-voice-v2`, and the official `twilio` RequestValidator."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from twilio.rest.api.v2010.account.message import MessageInstance

from smsgate.carriers import aws_eum
from smsgate.carriers.aws_eum import AwsEumCarrier, carrier_error_for
from smsgate.carriers.base import OutboundSms
from smsgate.models.carrier_events import UnknownEventFormat, parse_receipt
from smsgate.policy.receipt_mapping import AWS_EVENT_OUTCOMES, TWILIO_STATUS_OUTCOMES
from smsgate.services.envelopes import sns_message
from smsgate.twilio_signature import HMAC_SHA1, HMAC_SHA256, compute_signature, is_valid_signature

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
MODEL = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
TWILIO_STATUSES = sorted(
    value for name, value in vars(MessageInstance.Status).items() if not name.startswith("_")
)
AWS_TEXT_EVENTS = sorted(
    t for t in MODEL.shape_for("EventType").enum if t.startswith("TEXT_") and t != "TEXT_ALL"
)


# --- receipts -----------------------------------------------------------------------------------


def test_every_twilio_message_status_is_known() -> None:
    assert TWILIO_STATUSES, "the twilio package lists no message status"
    assert set(TWILIO_STATUSES) == set(TWILIO_STATUS_OUTCOMES)


@pytest.mark.parametrize("status", TWILIO_STATUSES)
def test_every_twilio_message_status_parses(status: str) -> None:
    envelope = {
        "source": "twilio.status",
        "params": {"MessageSid": "SM1", "MessageStatus": status, "ErrorCode": "30003"},
        "query": {"message_id": "ours"},
        "receivedAt": "2024-06-01T12:00:00+00:00",
    }
    if TWILIO_STATUS_OUTCOMES[status] is None:  # a status of a message we received
        with pytest.raises(UnknownEventFormat):
            parse_receipt(json.dumps(envelope))
    else:
        assert parse_receipt(json.dumps(envelope)).status == TWILIO_STATUS_OUTCOMES[status]


def test_every_aws_text_event_type_is_known() -> None:
    assert set(AWS_TEXT_EVENTS) == set(AWS_EVENT_OUTCOMES)


@pytest.mark.parametrize("event_type", AWS_TEXT_EVENTS)
@pytest.mark.parametrize("is_final", [True, False])
def test_every_aws_text_event_type_parses(event_type: str, is_final: bool) -> None:
    event = {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": 1717243205480,
        "isFinal": is_final,
        "messageId": "m-1",
        "messageStatus": event_type.removeprefix("TEXT_"),
        "context": {"message_id": "ours", "location_id": "loc"},
    }

    receipt = parse_receipt(json.dumps(event))

    assert (receipt.carrier_status, receipt.final) == (event_type, is_final)
    if not is_final:
        assert receipt.status == "sent"


@pytest.mark.parametrize("sample", sorted((EVENTS / "status_callback").glob("*.json")), ids=lambda p: p.name)
def test_every_receipt_sample_is_a_documented_format(sample: Path) -> None:
    for record in json.loads(sample.read_text())["Records"]:
        message = json.loads(sns_message(record["body"]))
        receipt = parse_receipt(message)
        if receipt.carrier == "aws":
            assert message["eventType"] in MODEL.shape_for("EventType").enum
            assert message["messageType"] in MODEL.shape_for("MessageType").enum
        if receipt.carrier == "twilio":
            assert message["params"]["MessageStatus"] in TWILIO_STATUSES


# --- SendTextMessage ------------------------------------------------------------------------------


@pytest.mark.parametrize("message_type", ["TRANSACTIONAL", "PROMOTIONAL"])
def test_every_send_text_message_parameter_exists_in_the_botocore_model(
    monkeypatch: pytest.MonkeyPatch, message_type: Any
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("pinpoint-sms-voice-v2")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.pinpoint-sms-voice-v2.SendTextMessage", lambda params, **_: sent.append(params)
    )
    sms = OutboundSms(
        message_id="m",
        location_id="l",
        from_number="+12025550188",
        to="+12025550143",
        body="Hi",
        message_type=message_type,
        validity_seconds=3600,
    )
    with Stubber(client) as stubber:
        # The stubber validates the request against the model, as botocore would send it.
        stubber.add_response("send_text_message", {"MessageId": "aws-1"})
        AwsEumCarrier(client, "smsgate").send(sms)

    members = MODEL.operation_model("SendTextMessage").input_shape.members
    [params] = sent
    assert set(params) <= set(members)
    assert params["MessageType"] in MODEL.shape_for("MessageType").enum


def test_every_error_and_reason_the_aws_adapter_maps_exists_in_the_botocore_model() -> None:
    errors = {shape.name for shape in MODEL.operation_model("SendTextMessage").error_shapes}
    reasons = {
        error: set(MODEL.shape_for(f"{error.removesuffix('Exception')}ExceptionReason").enum)
        for error in errors
        if f"{error.removesuffix('Exception')}ExceptionReason" in MODEL.shape_names
    }
    mapped = [*aws_eum._CODE_BY_REASON, *(("ServiceQuotaExceededException", r) for r in aws_eum._HELD_QUOTAS)]

    for error, reason in mapped:
        assert error in errors, error
        assert reason in reasons[error], (error, reason)
    for error in [*aws_eum._TRANSIENT_CODES, *aws_eum._CODE_BY_ERROR, *aws_eum._INFRASTRUCTURE_ERRORS]:
        assert error in errors, error
    assert set(aws_eum._ORIGINATION_TYPES) <= set(MODEL.shape_for("ResourceType").enum)
    assert set(aws_eum._CODE_BY_INVALID_FIELD) <= set(
        MODEL.operation_model("SendTextMessage").input_shape.members
    )
    # Every mapped reason gives the error the adapter documents.
    for error, reason in aws_eum._CODE_BY_REASON:
        assert (
            carrier_error_for({"Error": {"Code": error}, "Reason": reason}).code
            == aws_eum._CODE_BY_REASON[error, reason]
        )


# --- Twilio signatures ----------------------------------------------------------------------------


class MultiDict(dict[str, list[str]]):
    """A form with repeated names, as the official validator reads Flask's (`getall`)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


FORMS = [
    {"MessageSid": ["SM1"], "MessageStatus": ["delivered"], "To": ["+12025550143"]},
    {"Body": ["Arrêt ✋ 😀"], "From": ["+12025550143"], "OptOutType": ["STOP"]},
    {"Digits": ["1234", "1234"], "Sid": ["CA1"]},  # a value repeated: signed once
    {"Digits": ["5678", "1234", "5678"], "Empty": [""]},
    {},
]
URLS = [
    "https://sms.example.com/v1/webhooks/twilio/status?message_id=m-1",
    "http://127.0.0.1:3000/v1/webhooks/twilio/inbound",
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("algorithm", [HMAC_SHA1, HMAC_SHA256])
def test_our_signatures_are_the_official_validators(
    form: dict[str, list[str]], url: str, algorithm: str
) -> None:
    official = RequestValidator("shared-or-auth-secret")
    ours = compute_signature("shared-or-auth-secret", url, form, algorithm)

    assert ours == official.compute_signature(url, MultiDict(form), algorithm)
    assert official.validate(url, MultiDict(form), ours, algorithm)
    assert is_valid_signature(
        "shared-or-auth-secret",
        url,
        form,
        official.compute_signature(url, MultiDict(form), algorithm),
        algorithm,
    )


@settings(max_examples=60, deadline=None)
@given(
    form=st.dictionaries(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=8),
        st.lists(st.text(max_size=12), min_size=1, max_size=3),
        max_size=5,
    ),
    algorithm=st.sampled_from([HMAC_SHA1, HMAC_SHA256]),
)
def test_any_form_is_signed_as_the_official_validator_signs_it(
    form: dict[str, list[str]], algorithm: str
) -> None:
    url = URLS[0]
    official = RequestValidator("token")

    assert compute_signature("token", url, form, algorithm) == official.compute_signature(
        url, MultiDict(form), algorithm
    )


@pytest.mark.parametrize(
    "sample", sorted((EVENTS / "carrier_webhooks").glob("twilio_*.json")), ids=lambda p: p.name
)
def test_the_signed_sample_webhooks_validate_with_the_official_validator(sample: Path) -> None:
    """`events/carrier_webhooks/twilio_*` are signed with the local token over the local URL (the
    stack's): the official validator accepts them, and so do we."""
    event = json.loads(sample.read_text())
    url = f"http://127.0.0.1:3000{event['rawPath']}" + (
        f"?{event['rawQueryString']}" if event["rawQueryString"] else ""
    )
    form = MultiDict(parse_qs(event["body"], keep_blank_values=True))
    signature = event["headers"]["x-twilio-signature"]

    assert RequestValidator("local-dev-token").validate(url, form, signature)
    assert is_valid_signature("local-dev-token", url, form, signature)
