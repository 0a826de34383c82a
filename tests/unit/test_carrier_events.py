"""Every carrier format parsed into `Receipt` / `InboundReply` (docs/receipt-mapping.md,
docs/inbound.md#how-a-reply-is-read)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.base import OutboundSms
from smsgate.carriers.simulator import simulated_receipt
from smsgate.models.carrier_events import UnknownEventFormat, parse_inbound, parse_receipt
from smsgate.policy.receipts import dnd_for_error

EVENTS = Path(__file__).resolve().parents[2] / "events"
CONTACT = "+12025550143"
NUMBER = "+12025550188"
OUR_ID = "0b6f1c2e-8d4a-4f7e-9a51-3c2d7e9f4a10"
RECEIVED_AT = "2024-06-01T12:00:07.204+00:00"


def aws_event(
    event_type: str = "TEXT_DELIVERED", timestamp: int = 1717243205480, **changes: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": timestamp,
        "isFinal": True,
        "originationPhoneNumber": NUMBER,
        "destinationPhoneNumber": CONTACT,
        "isoCountryCode": "US",
        "mcc": "310",
        "mnc": "260",
        "messageId": "5c8e2f1a-94b7-4d3e-a6c0-7f1b2d9e3a45",
        "messageRequestTimestamp": 1717243200123,
        "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL",
        "messageStatus": event_type.removeprefix("TEXT_"),
        "messageStatusDescription": "Message has been accepted by phone carrier",
        "context": {"message_id": OUR_ID, "location_id": "loc-dc-bakery"},
        "totalMessageParts": 1,
        "totalMessagePrice": 0.00581,
        "totalCarrierFee": 0.003,
    }
    event.update(changes)
    return event


def twilio_status(status: str = "delivered", error_code: str | None = None, **changes: Any) -> dict[str, Any]:
    params = {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "ApiVersion": "2010-04-01",
        "From": NUMBER,
        "MessageSid": "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f",
        "MessageStatus": status,
        "SmsSid": "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f",
        "SmsStatus": status,
        "To": CONTACT,
    }
    if error_code is not None:
        params["ErrorCode"] = error_code
    envelope: dict[str, Any] = {
        "source": "twilio.status",
        "params": params,
        "query": {"message_id": OUR_ID},
        "receivedAt": RECEIVED_AT,
    }
    envelope.update(changes)
    return envelope


def simulator_receipt(
    status: str = "delivered", error_code: int | None = None, **changes: Any
) -> dict[str, Any]:
    receipt: dict[str, Any] = {
        "source": "smsgate.simulator",
        "eventId": "e2b7c9d1-3f4a-4b5c-8d6e-7f8091a2b3c4",
        "messageId": OUR_ID,
        "carrierMessageId": "SIM4d2e8f0a1b3c4d5e6f708192a3b4c5d6",
        "status": status,
        "errorCode": error_code,
        "timestamp": "2024-06-01T12:00:00.418000+00:00",
    }
    receipt.update(changes)
    return receipt


def aws_inbound(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "originationNumber": CONTACT,
        "destinationNumber": NUMBER,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": "STOP",
        "inboundMessageId": "f3a9c1e7-5b2d-5c4f-8e6a-1d3b5f7a9c2e",
        "previousPublishedMessageId": "5c8e2f1a-94b7-4d3e-a6c0-7f1b2d9e3a45",
    }
    message.update(changes)
    return message


def twilio_inbound(**param_changes: str) -> dict[str, Any]:
    params = {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "Body": "Stop",
        "From": CONTACT,
        "MessageSid": "SMa7c3e9b1d5f24086a7c3e9b1d5f24086",
        "NumMedia": "0",
        "SmsStatus": "received",
        "To": NUMBER,
    }
    params.update(param_changes)
    return {"source": "twilio.inbound", "params": params, "query": {}, "receivedAt": RECEIVED_AT}


def simulator_inbound(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "source": "smsgate.simulator",
        "inboundId": "SIMIN-1",
        "from": CONTACT,
        "to": NUMBER,
        "body": "START",
        "timestamp": "2024-06-02T09:15:00+00:00",
    }
    message.update(changes)
    return message


def sns_messages(path: Path) -> list[str]:
    """The SNS `Message` of each SQS record of a sample event, unwrapped as the consumers do."""
    event = json.loads(path.read_text())
    messages = []
    for record in event["Records"]:
        assert record["eventSource"] == "aws:sqs"
        assert record["attributes"]["ApproximateReceiveCount"]
        notification = json.loads(record["body"])
        assert notification["Type"] == "Notification"
        assert notification["TopicArn"].startswith("arn:aws:sns:")
        messages.append(notification["Message"])
    return messages


# --- the events/ samples ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "carrier", "status", "error_code"),
    [
        ("aws_delivered.json", "aws", "delivered", None),
        ("aws_carrier_unreachable.json", "aws", "undelivered", 30003),
        ("aws_unknown.json", "aws", "sent", None),
        ("twilio_undelivered_30004.json", "twilio", "undelivered", 30004),
        ("simulator_delivered.json", "simulator", "delivered", None),
    ],
)
def test_status_callback_samples_parse(name, carrier, status, error_code):
    (message,) = sns_messages(EVENTS / "status_callback" / name)

    receipt = parse_receipt(message)

    assert (receipt.carrier, receipt.status, receipt.error_code) == (carrier, status, error_code)
    assert receipt.message_id == OUR_ID
    assert receipt.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("name", "carrier", "body"),
    [
        ("aws_stop.json", "aws", "STOP"),
        ("twilio_stop.json", "twilio", "Stop"),
        ("simulator_start.json", "simulator", "START"),
    ],
)
def test_inbound_keyword_samples_parse(name, carrier, body):
    (message,) = sns_messages(EVENTS / "inbound_keyword" / name)

    reply = parse_inbound(message, received_at=datetime(2024, 6, 1, 12, 5, 13, tzinfo=UTC))

    assert (reply.carrier, reply.contact, reply.number, reply.body) == (carrier, CONTACT, NUMBER, body)


def test_every_sample_event_is_covered():
    assert {path.name for path in (EVENTS / "status_callback").glob("*.json")} >= {
        "aws_delivered.json", "aws_carrier_unreachable.json", "aws_unknown.json",
        "twilio_undelivered_30004.json", "simulator_delivered.json",
    }  # fmt: skip
    assert {path.name for path in (EVENTS / "inbound_keyword").glob("*.json")} >= {
        "aws_stop.json", "twilio_stop.json", "simulator_start.json",
    }  # fmt: skip


# --- AWS End User Messaging SMS receipts -------------------------------------------------


def test_aws_event_becomes_a_receipt():
    receipt = parse_receipt(json.dumps(aws_event("TEXT_DELIVERED")))

    assert receipt.receipt_id == "aws:5c8e2f1a-94b7-4d3e-a6c0-7f1b2d9e3a45:TEXT_DELIVERED:1717243205480"
    assert receipt.message_id == OUR_ID  # from the Context the adapter sent
    assert receipt.carrier_message_id == "5c8e2f1a-94b7-4d3e-a6c0-7f1b2d9e3a45"
    assert receipt.carrier_status == "TEXT_DELIVERED"
    assert receipt.occurred_at == datetime(2024, 6, 1, 12, 0, 5, 480000, tzinfo=UTC)


def test_aws_documented_example_with_unknown_extra_fields_parses():
    # AWS's own example (its context lacks our ids) plus a field AWS might add tomorrow.
    event = aws_event("TEXT_SUCCESSFUL", context={"account": "bar"}, isInternationalSend=False, newField=[1])

    receipt = parse_receipt(event)

    assert receipt.status == "delivered"
    assert receipt.message_id is None


def test_aws_event_without_context_has_no_message_id():
    event = aws_event("TEXT_DELIVERED")
    del event["context"]

    assert parse_receipt(event).message_id is None


@pytest.mark.parametrize(
    ("event_type", "status", "error_code"),
    [
        ("TEXT_QUEUED", "sent", None),
        ("TEXT_PENDING", "sent", None),
        ("TEXT_SUCCESSFUL", "delivered", None),
        ("TEXT_UNREACHABLE", "undelivered", 30003),
        ("TEXT_CARRIER_UNREACHABLE", "undelivered", 30003),
        ("TEXT_BLOCKED", "undelivered", 30004),
        ("TEXT_INVALID", "undelivered", 30005),
        ("TEXT_SPAM", "undelivered", 30007),
        ("TEXT_CARRIER_BLOCKED", "undelivered", 30007),
        ("TEXT_TTL_EXPIRED", "undelivered", 30008),
        ("TEXT_INVALID_MESSAGE", "failed", 30008),
        ("TEXT_PROTECT_BLOCKED", "failed", 21408),
    ],
)
def test_aws_event_types_through_the_parser(event_type, status, error_code):
    receipt = parse_receipt(aws_event(event_type))

    assert (receipt.status, receipt.error_code, receipt.carrier_status) == (status, error_code, event_type)


@pytest.mark.parametrize("is_final", [True, False])
def test_aws_unknown_is_not_an_error(is_final):
    receipt = parse_receipt(aws_event("TEXT_UNKNOWN", isFinal=is_final))

    assert receipt.status == "sent"
    assert receipt.error_code is None
    assert dnd_for_error(receipt.error_code) is None


def test_aws_duplicate_delivery_has_the_same_receipt_id():
    first = parse_receipt(json.dumps(aws_event("TEXT_PENDING")))
    again = parse_receipt(aws_event("TEXT_PENDING"))

    assert first == again


def test_aws_events_of_one_message_have_distinct_receipt_ids():
    ids = {
        parse_receipt(aws_event("TEXT_PENDING", 1)).receipt_id,
        parse_receipt(aws_event("TEXT_PENDING", 2)).receipt_id,
        parse_receipt(aws_event("TEXT_SUCCESSFUL", 2)).receipt_id,
        parse_receipt(aws_event("TEXT_DELIVERED", 2)).receipt_id,
    }

    assert len(ids) == 4


# --- Twilio status callbacks -------------------------------------------------------------


def test_twilio_status_becomes_a_receipt():
    receipt = parse_receipt(twilio_status("delivered"))

    assert receipt.receipt_id == "twilio:SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f:delivered"
    assert receipt.message_id == OUR_ID  # from the StatusCallback query string
    assert receipt.carrier == "twilio"
    assert receipt.carrier_message_id == "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f"
    assert receipt.status == "delivered"
    assert receipt.error_code is None
    assert receipt.occurred_at == datetime(2024, 6, 1, 12, 0, 7, 204000, tzinfo=UTC)


def test_twilio_empty_error_code_means_none():
    assert parse_receipt(twilio_status("undelivered", "")).error_code is None


def test_twilio_status_without_our_id_in_the_query():
    assert parse_receipt(twilio_status("sent", query={})).message_id is None


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_twilio_failed_keeps_its_error_code(status):
    receipt = parse_receipt(twilio_status(status, "30007"))

    assert (receipt.status, receipt.error_code) == ("failed", 30007)


def test_twilio_duplicate_callback_has_the_same_receipt_id():
    assert parse_receipt(twilio_status("undelivered", "30003")) == parse_receipt(
        json.dumps(twilio_status("undelivered", "30003"))
    )


def test_twilio_callbacks_of_one_message_have_distinct_receipt_ids():
    ids = {
        parse_receipt(twilio_status("sent")).receipt_id,
        parse_receipt(twilio_status("delivered")).receipt_id,
        parse_receipt(twilio_status("undelivered", "30003")).receipt_id,
        parse_receipt(twilio_status("undelivered", "30005")).receipt_id,
    }

    assert len(ids) == 4


# --- the simulator -----------------------------------------------------------------------


def test_simulator_receipt_becomes_a_receipt():
    receipt = parse_receipt(simulator_receipt("delivered"))

    assert receipt.receipt_id == "simulator:e2b7c9d1-3f4a-4b5c-8d6e-7f8091a2b3c4"
    assert (receipt.carrier, receipt.status, receipt.error_code) == ("simulator", "delivered", None)
    assert receipt.message_id == OUR_ID


@pytest.mark.parametrize("suffix", ["3003", "3004", "3005", "3006", "3008", "0143"])
def test_what_the_simulator_publishes_parses(suffix):
    sms = OutboundSms(
        message_id=OUR_ID, location_id="loc", from_number=NUMBER, to=f"+1202555{suffix}", body="Hi"
    )
    published = simulated_receipt(sms, "SIM1", datetime(2024, 6, 1, 12, tzinfo=UTC))

    receipt = parse_receipt(json.dumps(published))

    expected = ("delivered", None) if suffix == "0143" else ("undelivered", int("3000" + suffix[-1]))
    assert (receipt.status, receipt.error_code) == expected
    assert receipt.receipt_id == f"simulator:{published['eventId']}"


def test_simulator_duplicate_has_the_same_receipt_id_and_events_differ():
    assert parse_receipt(simulator_receipt()) == parse_receipt(simulator_receipt())
    assert (
        parse_receipt(simulator_receipt(eventId="other")).receipt_id
        != parse_receipt(simulator_receipt()).receipt_id
    )


def test_simulator_timestamp_without_offset_is_utc():
    receipt = parse_receipt(simulator_receipt(timestamp="2024-06-01T12:00:00"))

    assert receipt.occurred_at == datetime(2024, 6, 1, 12, tzinfo=UTC)


# --- each code of the error table through every format that can express it --------------


# docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply
TABLE_CODES = [
    (30003, "temporary"),
    (30004, "permanent"),
    (30005, "temporary"),
    (30006, "temporary"),
    (30008, None),
]
# AWS has no event that says "landline" (30006); see docs/receipt-mapping.md.
AWS_EVENT_FOR_CODE = {
    30003: "TEXT_UNREACHABLE",
    30004: "TEXT_BLOCKED",
    30005: "TEXT_INVALID",
    30008: "TEXT_TTL_EXPIRED",
}


@pytest.mark.parametrize(("code", "dnd"), TABLE_CODES)
def test_table_error_code_from_twilio(code, dnd):
    receipt = parse_receipt(twilio_status("undelivered", str(code)))

    assert (receipt.status, receipt.error_code) == ("undelivered", code)
    assert dnd_for_error(receipt.error_code) == dnd


@pytest.mark.parametrize(("code", "dnd"), TABLE_CODES)
def test_table_error_code_from_the_simulator(code, dnd):
    receipt = parse_receipt(simulator_receipt("undelivered", code))

    assert (receipt.status, receipt.error_code) == ("undelivered", code)
    assert dnd_for_error(receipt.error_code) == dnd


@pytest.mark.parametrize(("code", "dnd"), [row for row in TABLE_CODES if row[0] in AWS_EVENT_FOR_CODE])
def test_table_error_code_from_aws(code, dnd):
    receipt = parse_receipt(aws_event(AWS_EVENT_FOR_CODE[code]))

    assert (receipt.status, receipt.error_code) == ("undelivered", code)
    assert dnd_for_error(receipt.error_code) == dnd


# --- inbound replies ---------------------------------------------------------------------


def test_aws_inbound_becomes_a_reply_dated_by_the_sns_timestamp():
    sns_timestamp = datetime(2024, 6, 1, 12, 5, 13, 706000, tzinfo=UTC)

    reply = parse_inbound(json.dumps(aws_inbound()), received_at=sns_timestamp)

    assert reply.inbound_id == "f3a9c1e7-5b2d-5c4f-8e6a-1d3b5f7a9c2e"
    assert (reply.carrier, reply.contact, reply.number, reply.body) == ("aws", CONTACT, NUMBER, "STOP")
    assert reply.received_at == sns_timestamp


def test_aws_inbound_numbers_are_normalised_to_e164():
    reply = parse_inbound(aws_inbound(originationNumber="+1 (202) 555-0143"), received_at=datetime.now(UTC))

    assert reply.contact == CONTACT


def test_twilio_inbound_becomes_a_reply():
    reply = parse_inbound(twilio_inbound())

    assert reply.inbound_id == "SMa7c3e9b1d5f24086a7c3e9b1d5f24086"
    assert (reply.carrier, reply.contact, reply.number, reply.body) == ("twilio", CONTACT, NUMBER, "Stop")
    assert reply.received_at == datetime(2024, 6, 1, 12, 0, 7, 204000, tzinfo=UTC)


def test_twilio_inbound_picture_without_body():
    params = twilio_inbound(NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1")
    del params["params"]["Body"]

    assert parse_inbound(params).body == ""


def test_simulator_inbound_becomes_a_reply():
    reply = parse_inbound(json.dumps(simulator_inbound()))

    assert (reply.inbound_id, reply.carrier, reply.contact, reply.body) == (
        "SIMIN-1",
        "simulator",
        CONTACT,
        "START",
    )
    assert reply.received_at == datetime(2024, 6, 2, 9, 15, tzinfo=UTC)


def test_inbound_duplicates_have_the_same_inbound_id():
    moment = datetime.now(UTC)
    assert parse_inbound(aws_inbound(), received_at=moment) == parse_inbound(
        aws_inbound(), received_at=moment
    )
    assert parse_inbound(twilio_inbound()).inbound_id == parse_inbound(twilio_inbound()).inbound_id


# --- malformed input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "",
        "not json",
        "[1, 2]",
        '"a string"',
        "null",
        {},
        {"source": "somebody.else", "eventType": "TEXT_DELIVERED"},
        {"Type": "Notification", "Message": "{}"},  # an SNS envelope not unwrapped
        aws_inbound(),  # an inbound message on the receipts topic
        aws_event("VOICE_COMPLETED"),  # not an SMS receipt
        aws_event("TEXT_DELIVERED", timestamp="1717243205480"),  # type: ignore[arg-type]
        aws_event("TEXT_DELIVERED", isFinal="true"),
        aws_event("TEXT_DELIVERED", timestamp=253_402_300_800_000),  # past the year 9999
        aws_event("TEXT_DELIVERED", timestamp=-1),
        aws_event("TEXT_DELIVERED", messageId=""),
        {key: value for key, value in aws_event().items() if key != "messageId"},
        aws_event("TEXT_DELIVERED", context={"message_id": 7}),
        twilio_status("received"),  # the status of a message we received
        twilio_status("undelivered", "thirty"),
        twilio_status("delivered", receivedAt="yesterday"),
        twilio_status("delivered", extra="field"),  # our own envelope is exact
        {"source": "twilio.status", "params": {"MessageStatus": "delivered"}, "receivedAt": RECEIVED_AT},
        simulator_receipt("lost"),
        simulator_receipt(errorCode="30003"),
        simulator_receipt(unexpected=True),
        simulator_inbound(),  # an inbound message on the receipts topic
    ],
)
def test_malformed_receipts_raise_unknown_event_format(message):
    with pytest.raises(UnknownEventFormat):
        parse_receipt(message)


@pytest.mark.parametrize(
    "message",
    [
        "{",
        "[]",
        {},
        aws_event(),  # a receipt on the inbound topic
        twilio_status(),
        aws_inbound(originationNumber="12025550143"),  # no country code
        aws_inbound(originationNumber="+1202"),
        aws_inbound(messageBody=None),
        aws_inbound(inboundMessageId=""),
        twilio_inbound(From="whatsapp:+12025550143"),
        twilio_inbound(MessageSid=""),
        simulator_inbound(to="nowhere"),
        simulator_inbound(timestamp=1717319700),
        simulator_inbound(extra="field"),
    ],
)
def test_malformed_inbound_raises_unknown_event_format(message):
    with pytest.raises(UnknownEventFormat):
        parse_inbound(message, received_at=datetime.now(UTC))


def test_unknown_event_format_is_a_value_error():
    assert issubclass(UnknownEventFormat, ValueError)


def test_errors_never_repeat_numbers_or_bodies():
    # The consumer logs the error; numbers and bodies never appear in clear
    # (docs/guarantees.md#logs-and-metrics).
    secret_body = "my secret reply"
    with pytest.raises(UnknownEventFormat) as caught:
        parse_inbound(aws_inbound(originationNumber="+1202555", messageBody=secret_body))

    text = str(caught.value)
    assert "+1202555" not in text
    assert secret_body not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


_MS = st.integers(min_value=0, max_value=253_402_300_799_999)


@given(timestamp=_MS, other=_MS)
def test_aws_receipt_id_is_stable_and_time_distinguishes_events(timestamp, other):
    first = parse_receipt(aws_event("TEXT_PENDING", timestamp))

    assert parse_receipt(json.dumps(aws_event("TEXT_PENDING", timestamp))).receipt_id == first.receipt_id
    if other != timestamp:
        assert parse_receipt(aws_event("TEXT_PENDING", other)).receipt_id != first.receipt_id
