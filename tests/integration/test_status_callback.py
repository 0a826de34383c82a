"""The status_callback handler under moto: delivery receipts applied once, forward only (docs/receipts.md)."""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack.consumers import sqs_event
from local_stack.lambdas import Handler, LocalContext
from smsgate.dal import clients, contacts, messages
from smsgate.models.entities import Message, StatusChange
from smsgate.models.location_requests import ConsentRequest
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.reasons import ReasonCode
from smsgate.services import bulk_sending, sending
from smsgate.services import consent as consent_service
from smsgate.services import contacts as contacts_service
from tests.integration.conftest import CONTACT, LOCATION, NUMBER, Invoke, audit_counts, refusal_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "events" / "status_callback"
SAMPLE_MESSAGE_ID = "0b6f1c2e-8d4a-4f7e-9a51-3c2d7e9f4a10"
CREATED = datetime(2024, 6, 1, 11, 59, 58, tzinfo=UTC)
AT = datetime(2024, 6, 1, 12, 0, 7, tzinfo=UTC)

# The error table of docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply: code → the DND it
# puts on the contact.
ERROR_TABLE = {30003: "temporary", 30004: "permanent", 30005: "temporary", 30006: "temporary", 30008: "none"}
# AWS End User Messaging SMS event types carrying each code (docs/receipt-mapping.md). AWS has no
# event of its own for a landline (30006); it reports such numbers as TEXT_INVALID (30005).
AWS_EVENT_FOR = {
    30003: "TEXT_UNREACHABLE",
    30004: "TEXT_BLOCKED",
    30005: "TEXT_INVALID",
    30008: "TEXT_TTL_EXPIRED",
}


# --- receipts in the three formats, as SQS delivers the SNS notifications --------------------


def receipt_message(
    fmt: str,
    message_id: str,
    status: str,
    code: int | None = None,
    *,
    at: datetime = AT,
    event_id: str | None = None,
) -> dict[str, Any]:
    """The SNS `Message` of a receipt. `status` is ours for twilio and the simulator, the
    eventType for aws."""
    if fmt == "aws":
        return {
            "eventType": status,
            "eventVersion": "1.0",
            "eventTimestamp": int(at.timestamp() * 1000),
            "isFinal": True,
            "messageId": f"aws-{message_id}",
            "messageStatus": status.removeprefix("TEXT_"),
            "context": {"message_id": message_id, "location_id": LOCATION},
        }
    if fmt == "twilio":
        params = {
            "MessageSid": f"SM{message_id.replace('-', '')}",
            "MessageStatus": status,
            "AccountSid": "AC" + "0" * 32,
            "From": NUMBER,
        }
        if code is not None:
            params["ErrorCode"] = str(code)
        return {
            "source": "twilio.status",
            "params": params,
            "query": {"message_id": message_id},
            "receivedAt": at.isoformat(),
        }
    return {
        "source": "smsgate.simulator",
        "eventId": event_id or str(uuid.uuid4()),
        "messageId": message_id,
        "carrierMessageId": f"SIM{message_id}",
        "status": status,
        "errorCode": code,
        "timestamp": at.isoformat(),
    }


def notification(message: dict[str, Any] | str) -> dict[str, Any]:
    body = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:smsgate-CarrierEventsTopic",
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2024-06-01T12:00:07.260Z",
    }
    return {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "handle", "Body": json.dumps(body)}


def batch(*messages: dict[str, Any]) -> dict[str, Any]:
    return sqs_event(
        list(messages), "arn:aws:sqs:us-east-1:123456789012:smsgate-CarrierEventsQueue", "us-east-1"
    )


# --- fixtures and readers ---------------------------------------------------------------------


@pytest.fixture
def status_callback(handler: Callable[[str], Invoke]) -> Invoke:
    return handler("status_callback")


def receive(status_callback: Callable[[dict[str, Any]], dict[str, Any]], *receipts: dict[str, Any]) -> None:
    """Receipts through the handler, one batch, every one of which must be applied."""
    assert status_callback(batch(*(notification(receipt) for receipt in receipts))) == {
        "batchItemFailures": []
    }


def queued_message(to: str = CONTACT, message_id: str | None = None, status: str = "queued") -> str:
    """A message as the gate and the dispatcher leave it: `queued`, or `sent` as well."""
    history = [StatusChange(status="queued", at=CREATED)]
    if status == "sent":
        history.append(StatusChange(status="sent", at=CREATED + timedelta(seconds=1)))
    message = Message(
        message_id=message_id or str(uuid.uuid4()),
        location_id=LOCATION,
        from_number=NUMBER,
        to=to,
        body="Your order is ready.",
        kind="workflow",
        segments=1,
        encoding="GSM-7",
        status=status,
        created_at=CREATED,
        history=tuple(history),
    )
    messages.put_message(message)
    return message.message_id


def message_of(message_id: str) -> Message:
    message = messages.get_message(message_id)
    assert message is not None
    return message


def opt_in(phone: str = CONTACT) -> None:
    consent_service.record_consent(
        LOCATION, phone, ConsentRequest(source="web form"), "api", datetime.now(UTC)
    )


def send(to: str = CONTACT) -> str:
    request = SendMessageRequest.model_validate(
        {"location_id": LOCATION, "from": NUMBER, "to": to, "body": "Fresh bread today.", "kind": "workflow"}
    )
    return sending.send_message(request, datetime.now(UTC)).message_id


def bulk_skipped(to: str = CONTACT) -> list[dict[str, str]]:
    request = BulkSendRequest.model_validate(
        {"location_id": LOCATION, "from": NUMBER, "body": "Fresh bread today.", "recipients": [to]}
    )
    return bulk_sending.send_bulk(request, datetime.now(UTC)).skipped


@contextmanager
def failing_once(operation: str) -> Iterator[list[str]]:
    """Make the next DynamoDB `operation` fail, as a throttled or lost call would."""
    client = clients.dynamodb().meta.client
    failures: list[str] = []

    def fail(**_: Any) -> None:
        if not failures:
            failures.append(operation)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.dynamodb.{operation}", fail)
    try:
        yield failures
    finally:
        client.meta.events.unregister(f"before-call.dynamodb.{operation}", fail)


# --- the sample events of events/status_callback ----------------------------------------------


@pytest.mark.parametrize(
    ("sample", "to", "status", "code", "dnd"),
    [
        ("aws_delivered.json", "+12025550143", "delivered", None, "none"),
        ("aws_carrier_unreachable.json", "+12025550143", "undelivered", 30003, "temporary"),
        ("aws_unknown.json", "+12025550143", "sent", None, "none"),
        ("simulator_delivered.json", "+12025550143", "delivered", None, "none"),
        ("twilio_undelivered_30004.json", "+12025553004", "undelivered", 30004, "permanent"),
    ],
)
def test_the_sample_events_are_applied(
    status_callback: Any,
    stack: Any,
    sample: str,
    to: str,
    status: str,
    code: int | None,
    dnd: str,
    location: Any,
) -> None:
    location()
    queued_message(to=to, message_id=SAMPLE_MESSAGE_ID)

    assert status_callback(json.loads((SAMPLES / sample).read_text())) == {"batchItemFailures": []}

    message = message_of(SAMPLE_MESSAGE_ID)
    assert (message.status, message.error_code) == (status, code)
    assert contacts.get_contact(LOCATION, to).dnd.state == dnd
    # `sent` is the dispatcher's count; an UNKNOWN after 72 hours is no error
    # (docs/receipts.md#final-and-non-final-receipts).
    expected = {} if status == "sent" else {status: 1, **({f"err_{code}": 1} if code else {})}
    assert audit_counts(stack) == expected


# --- final and non-final receipts (docs/receipts.md#final-and-non-final-receipts) --------------

NOT_FINAL_SAMPLES = ["aws_pending_not_final.json", "aws_successful_not_final.json", "twilio_sent.json"]
FINAL_SAMPLES = {
    # sample: (status, code, DND, counts)
    "aws_delivered.json": ("delivered", None, "none", {"delivered": 1}),
    "aws_blocked.json": ("undelivered", 30004, "permanent", {"undelivered": 1, "err_30004": 1}),
    "aws_carrier_unreachable.json": ("undelivered", 30003, "temporary", {"undelivered": 1, "err_30003": 1}),
    "aws_ttl_expired.json": ("undelivered", 30008, "none", {"undelivered": 1, "err_30008": 1}),
    "twilio_delivered.json": ("delivered", None, "none", {"delivered": 1}),
    "twilio_undelivered_30004.json": ("undelivered", 30004, "permanent", {"undelivered": 1, "err_30004": 1}),
}


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return event


@pytest.mark.parametrize("not_final", NOT_FINAL_SAMPLES)
def test_a_not_final_receipt_never_ends_the_message(
    status_callback: Any, stack: Any, not_final: str, location: Any
) -> None:
    location()
    queued_message(to="+12025550143", message_id=SAMPLE_MESSAGE_ID, status="sent")

    assert status_callback(sample(not_final)) == {"batchItemFailures": []}

    message = message_of(SAMPLE_MESSAGE_ID)
    assert (message.status, message.error_code) == ("sent", None)
    assert [(receipt.final, receipt.status) for receipt in message.receipts] == [(False, "sent")]
    assert audit_counts(stack) == {}


@pytest.mark.parametrize(
    ("not_final", "final"),
    [(first, last) for first in NOT_FINAL_SAMPLES for last in FINAL_SAMPLES if first[:3] == last[:3]],
)
def test_the_final_receipt_after_a_not_final_one_decides_dnd_and_counts(
    status_callback: Any, stack: Any, not_final: str, final: str, location: Any
) -> None:
    location()
    queued_message(to="+12025550143", message_id=SAMPLE_MESSAGE_ID, status="sent")
    status, code, dnd, expected = FINAL_SAMPLES[final]

    assert status_callback(sample(not_final)) == {"batchItemFailures": []}
    assert status_callback(sample(final)) == {"batchItemFailures": []}

    message = message_of(SAMPLE_MESSAGE_ID)
    assert (message.status, message.error_code) == (status, code)
    assert [change.status for change in message.history] == ["queued", "sent", status]
    assert contacts.get_contact(LOCATION, "+12025550143").dnd.state == dnd
    assert audit_counts(stack) == expected


def test_history_times_never_decrease_and_receipts_keep_the_carrier_time(
    status_callback: Any, stack: Any, location: Any
) -> None:
    """The dispatcher dates `sent` by our clock when the carrier answered; AWS dates its event
    when it happened, which can be earlier."""
    location()
    message_id = queued_message(status="sent")  # sent at CREATED + 1 s
    early = CREATED + timedelta(milliseconds=400)

    receive(status_callback, receipt_message("aws", message_id, "TEXT_DELIVERED", at=early))

    message = message_of(message_id)
    times = [change.at for change in message.history]
    assert times == sorted(times)
    assert message.history[-1].at == CREATED + timedelta(seconds=1)
    assert message.receipts[-1].at == early


def test_out_of_order_and_repeated_receipts_never_run_the_history_backwards(
    status_callback: Any, stack: Any, location: Any
) -> None:
    location()
    message_id = queued_message()

    receive(status_callback, receipt_message("twilio", message_id, "sent", at=AT))
    receive(status_callback, receipt_message("twilio", message_id, "delivered", at=AT + timedelta(seconds=3)))
    receive(status_callback, receipt_message("twilio", message_id, "sending", at=AT + timedelta(seconds=4)))
    receive(
        status_callback,
        receipt_message("twilio", message_id, "undelivered", 30003, at=AT + timedelta(seconds=5)),
    )

    message = message_of(message_id)
    assert message.status == "delivered"
    assert [change.status for change in message.history] == ["queued", "sent", "delivered"]
    times = [change.at for change in message.history]
    assert times == sorted(times)
    assert [receipt.carrier_status for receipt in message.receipts] == [
        "sent",
        "delivered",
        "sending",
        "undelivered",
    ]


def test_an_aws_opted_out_event_is_a_permanent_dnd_and_no_error_of_the_location(
    status_callback: Any, stack: Any, location: Any
) -> None:
    location()
    message_id = queued_message(status="sent")
    event = receipt_message("aws", message_id, "TEXT_BLOCKED")
    event["messageStatus"] = "OPTED_OUT"

    receive(status_callback, event)

    message = message_of(message_id)
    assert (message.status, message.error_code) == ("failed", 21610)
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert audit_counts(stack) == {}


# --- the error table (docs/receipt-mapping.md#error-codes-and-the-dnd-they-imply), in every format


def error_rows() -> list[tuple[str, int]]:
    rows = [(fmt, code) for fmt in ("twilio", "simulator") for code in ERROR_TABLE]
    return rows + [("aws", code) for code in AWS_EVENT_FOR]


@pytest.mark.parametrize(("fmt", "code"), error_rows())
def test_every_error_of_the_error_table_in_every_format(
    status_callback: Any, stack: Any, fmt: str, code: int, location: Any
) -> None:
    location()
    opt_in()
    message_id = queued_message(status="sent")
    status = AWS_EVENT_FOR[code] if fmt == "aws" else "undelivered"

    receive(status_callback, receipt_message(fmt, message_id, status, code))

    message = message_of(message_id)
    assert (message.status, message.error_code) == ("undelivered", code)
    assert [(change.status, change.error_code) for change in message.history] == [
        ("queued", None),
        ("sent", None),
        ("undelivered", code),
    ]
    assert audit_counts(stack) == {"undelivered": 1, f"err_{code}": 1}
    view = contacts_service.get_contact(LOCATION, CONTACT)
    dnd = ERROR_TABLE[code]
    assert view.dnd.state == dnd
    if dnd == "none":
        assert refusal_of(send) is None
        return
    # Visible in GET …/contacts/{phone} with its reason and code (docs/receipts.md#dnd-from-error-codes).
    assert view.dnd.error_code == code
    assert view.dnd.reason == f"carrier error {code}: message undelivered"
    assert view.dnd.since is not None
    assert refusal_of(send) == ReasonCode.DND_ACTIVE
    assert bulk_skipped() == [{"to": CONTACT, "code": "DND_ACTIVE"}]
    # DELETE …/dnd clears a temporary DND and refuses a permanent one.
    if dnd == "temporary":
        assert contacts_service.clear_dnd(LOCATION, CONTACT).dnd.state == "none"
        send()
    else:
        assert refusal_of(lambda: contacts_service.clear_dnd(LOCATION, CONTACT)) == ReasonCode.DND_PERMANENT


@pytest.mark.parametrize("fmt", ["twilio", "simulator"])
def test_21610_the_contact_stopped_at_the_carrier_is_a_permanent_dnd(
    status_callback: Any, fmt: str, location: Any
) -> None:
    location()
    message_id = queued_message()

    receive(status_callback, receipt_message(fmt, message_id, "failed", 21610))

    assert (message_of(message_id).status, contacts.get_contact(LOCATION, CONTACT).dnd.state) == (
        "failed",
        "permanent",
    )


def test_a_temporary_dnd_never_replaces_a_permanent_one(status_callback: Any, location: Any) -> None:
    location()
    first, second = queued_message(), queued_message()

    receive(status_callback, receipt_message("twilio", first, "undelivered", 30004))
    receive(status_callback, receipt_message("twilio", second, "undelivered", 30003))

    dnd = contacts.get_contact(LOCATION, CONTACT).dnd
    assert (dnd.state, dnd.error_code) == ("permanent", 30004)


@pytest.mark.parametrize(
    ("fmt", "delivered", "failed"),
    [
        ("twilio", "delivered", "failed"),
        ("simulator", "delivered", "failed"),
        ("aws", "TEXT_DELIVERED", "TEXT_PROTECT_BLOCKED"),
    ],
)
def test_delivered_and_failed_are_counted_per_location(
    status_callback: Any, stack: Any, fmt: str, delivered: str, failed: str, location: Any
) -> None:
    location()
    ok, ko = queued_message(), queued_message()

    receive(status_callback, receipt_message(fmt, ok, delivered), receipt_message(fmt, ko, failed, 30008))

    assert message_of(ok).status == "delivered"
    assert message_of(ko).status == "failed"
    assert audit_counts(stack)["delivered"] == 1
    assert audit_counts(stack)["failed"] == 1


# --- duplicates and out of order -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["twilio", "simulator", "aws"])
def test_a_duplicate_receipt_is_applied_once(
    status_callback: Any, stack: Any, fmt: str, location: Any
) -> None:
    location()
    message_id = queued_message(status="sent")
    status = "TEXT_UNREACHABLE" if fmt == "aws" else "undelivered"
    receipt = receipt_message(fmt, message_id, status, 30003, event_id="evt-1")

    receive(status_callback, receipt)
    receive(status_callback, receipt, receipt)

    message = message_of(message_id)
    assert len(message.history) == 3
    assert len(message.receipts) == 1
    assert audit_counts(stack) == {"undelivered": 1, "err_30003": 1}


@pytest.mark.parametrize("fmt", ["twilio", "simulator", "aws"])
def test_a_late_sent_never_overwrites_delivered_nor_follows_it_in_the_history(
    status_callback: Any, stack: Any, fmt: str, location: Any
) -> None:
    location()
    message_id = queued_message()
    sent, delivered = ("TEXT_SENT", "TEXT_DELIVERED") if fmt == "aws" else ("sent", "delivered")

    receive(status_callback, receipt_message(fmt, message_id, delivered, at=AT + timedelta(seconds=5)))
    receive(status_callback, receipt_message(fmt, message_id, sent, at=AT))

    message = message_of(message_id)
    assert message.status == "delivered"
    assert [change.status for change in message.history] == ["queued", "delivered"]
    # The late receipt is kept beside the history, with the carrier's own time.
    assert [(receipt.status, receipt.at) for receipt in message.receipts] == [
        ("delivered", AT + timedelta(seconds=5)),
        ("sent", AT),
    ]
    assert audit_counts(stack) == {"delivered": 1}


def test_the_first_final_status_is_the_last_word(status_callback: Any, stack: Any, location: Any) -> None:
    location()
    message_id = queued_message(status="sent")

    receive(status_callback, receipt_message("twilio", message_id, "delivered"))
    receive(status_callback, receipt_message("twilio", message_id, "undelivered", 30003))

    message = message_of(message_id)
    assert (message.status, message.error_code) == ("delivered", None)
    assert [change.status for change in message.history] == ["queued", "sent", "delivered"]
    assert [receipt.status for receipt in message.receipts] == ["delivered", "undelivered"]
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "none"
    assert audit_counts(stack) == {"delivered": 1}


def test_receipts_in_order_move_the_message_forward(status_callback: Any, stack: Any, location: Any) -> None:
    location()
    message_id = queued_message()

    for status in ("queued", "sending", "sent", "delivered"):
        receive(status_callback, receipt_message("twilio", message_id, status))

    assert message_of(message_id).status == "delivered"
    assert audit_counts(stack) == {"delivered": 1}


def test_a_receipt_for_a_message_we_do_not_know_is_dropped(
    status_callback: Any, stack: Any, location: Any
) -> None:
    location()

    receive(status_callback, receipt_message("twilio", str(uuid.uuid4()), "undelivered", 30004))

    assert audit_counts(stack) == {}


def test_a_poison_record_in_the_middle_of_a_batch_fails_alone(
    status_callback: Any, stack: Any, location: Any
) -> None:
    location()
    first, last = queued_message(), queued_message(to="+447911120144")
    poison = notification("{not json")
    inbound_by_mistake = notification(receipt_message("twilio", first, "received"))

    answer = status_callback(
        batch(
            notification(receipt_message("twilio", first, "delivered")),
            poison,
            inbound_by_mistake,
            notification(receipt_message("simulator", last, "undelivered", 30005)),
        )
    )

    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": poison["MessageId"]},
            {"itemIdentifier": inbound_by_mistake["MessageId"]},
        ]
    }
    assert message_of(first).status == "delivered"
    assert message_of(last).status == "undelivered"
    assert audit_counts(stack) == {"delivered": 1, "undelivered": 1, "err_30005": 1}


def test_a_receipt_whose_transaction_fails_is_applied_whole_by_the_redelivery_and_counted_once(
    status_callback: Any, stack: Any, location: Any
) -> None:
    location()
    message_id, other = queued_message(), queued_message(to="+447911120144")
    receipt = notification(receipt_message("twilio", message_id, "undelivered", 30003))
    # A healthy record beside it: a batch whose every record fails is failed as a whole.
    healthy = notification(receipt_message("twilio", other, "delivered"))

    with failing_once("TransactWriteItems") as failures:
        first = status_callback(batch(receipt, healthy))

    assert failures == ["TransactWriteItems"]
    assert first == {"batchItemFailures": [{"itemIdentifier": receipt["MessageId"]}]}
    # The status, the DND and the count are one transaction: none of them was written.
    assert message_of(message_id).status == "queued"
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "none"
    assert audit_counts(stack) == {"delivered": 1}

    assert status_callback(batch(receipt)) == {"batchItemFailures": []}
    assert status_callback(batch(receipt)) == {"batchItemFailures": []}

    assert [change.status for change in message_of(message_id).history] == ["queued", "undelivered"]
    assert audit_counts(stack) == {"delivered": 1, "undelivered": 1, "err_30003": 1}


# --- with the dispatcher and the simulated carrier (docs/local-stack.md#the-simulated-carrier) ---


def dispatch_and_apply(stack: Any, dispatcher: Handler, status_callback: Any) -> None:
    """Run the dispatcher over the outbound queue, then status_callback over the receipts."""
    sqs: Any = boto3.client("sqs")
    for queue, function in (("OutboundQueueUrl", dispatcher), ("CarrierEventsQueueUrl", None)):
        url = stack.outputs[queue]
        while page := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            event = sqs_event(page, f"arn:aws:sqs:us-east-1:123456789012:{queue}", "us-east-1")
            if function is not None:
                assert function(event, LocalContext(function_name="dispatcher")) == {"batchItemFailures": []}
            else:
                assert status_callback(event) == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("suffix", "code", "dnd"), [("3004", 30004, "permanent"), ("3003", 30003, "temporary")]
)
def test_a_simulated_refusal_puts_the_dnd_and_refuses_the_next_send(
    status_callback: Any, stack: Any, suffix: str, code: int, dnd: str, location: Any, dispatcher: Any
) -> None:
    location()
    contact = f"+44791112{suffix}"
    opt_in(contact)
    message_id = send(contact)

    dispatch_and_apply(stack, dispatcher(), status_callback)

    message = message_of(message_id)
    assert (message.status, message.error_code) == ("undelivered", code)
    assert [change.status for change in message.history] == ["queued", "sent", "undelivered"]
    assert contacts.get_contact(LOCATION, contact).dnd.state == dnd
    assert audit_counts(stack) == {"sent": 1, "undelivered": 1, f"err_{code}": 1}
    assert refusal_of(lambda: send(contact)) == ReasonCode.DND_ACTIVE


def test_a_receipt_that_keeps_failing_reaches_the_dead_letter_queue_while_its_batch_succeeds(
    stack: Any, monkeypatch: pytest.MonkeyPatch, location: Any
) -> None:
    from local_stack import consumers
    from local_stack.lambdas import FunctionPool

    monkeypatch.setattr(consumers, "LOCAL_RETRY_SECONDS", 0)  # redeliver at once: no waiting in tests
    location()
    message_id = queued_message()
    [trigger] = [queue for queue in stack.queues if queue.function == "StatusCallbackFunction"]
    function = FunctionPool("status_callback", ROOT / "functions" / "status_callback", 1)
    consumer = consumers.QueueConsumer(trigger, function, None, None)  # type: ignore[arg-type]
    sns = boto3.client("sns")
    topic = stack.outputs["CarrierEventsTopicArn"]
    sns.publish(TopicArn=topic, Message=json.dumps(receipt_message("twilio", message_id, "delivered")))
    sns.publish(TopicArn=topic, Message=json.dumps({"eventType": "VOICE_ANSWERED"}))
    sqs: Any = boto3.client("sqs")
    dead_letters: list[dict[str, Any]] = []
    for _ in range(20):
        consumer.poll_once(wait_seconds=0)
        dead_letters += sqs.receive_message(QueueUrl=stack.outputs["CarrierEventsDeadLetterQueueUrl"]).get(
            "Messages", []
        )
        if dead_letters:
            break

    assert [json.loads(json.loads(m["Body"])["Message"]) for m in dead_letters] == [
        {"eventType": "VOICE_ANSWERED"}
    ]
    assert message_of(message_id).status == "delivered"
    assert audit_counts(stack) == {"delivered": 1}


def test_metrics_count_each_status_and_error_code(stack: Any, location: Any) -> None:
    from smsgate.models.carrier_events import parse_receipt
    from smsgate.observability import metrics
    from smsgate.services.receipts import apply_receipt

    location()
    first, second = queued_message(), queued_message(to="+447911120144")
    metrics.clear_metrics()
    try:
        for receipt in (
            receipt_message("twilio", first, "delivered"),
            receipt_message("simulator", second, "undelivered", 30003, event_id="evt-9"),
            receipt_message("simulator", second, "undelivered", 30003, event_id="evt-9"),
        ):
            apply_receipt(parse_receipt(receipt), datetime.now(UTC))
        recorded = {name: sum(entry["Value"]) for name, entry in metrics.metric_set.items()}
    finally:
        metrics.clear_metrics()

    assert recorded == {
        "Receipt_delivered": 1,
        "Receipt_undelivered": 1,
        "ReceiptError_30003": 1,
        "ReceiptDnd_temporary": 1,
        "ReceiptDuplicate": 1,
    }
