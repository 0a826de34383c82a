"""The inbound_keyword handler under moto: contacts' replies applied once and never lost
(docs/inbound.md#exactly-once-and-never-lost)."""

import io
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
from smsgate.dal import clients, consent, contacts, counters, messages
from smsgate.dal.outbound import OutboundRecord
from smsgate.models.location_requests import ConsentRequest
from smsgate.models.requests import BulkSendRequest, SendMessageRequest
from smsgate.policy.limits import counter_day, daily_limit
from smsgate.policy.replies import reply_text
from smsgate.reasons import ReasonCode
from smsgate.services import bulk_sending, sending
from smsgate.services import consent as consent_service
from tests.integration import stored
from tests.integration.conftest import CONTACT, LOCATION, LOCATION_NAME, NUMBER, Invoke, refusal_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "events" / "inbound_keyword"
NAME = LOCATION_NAME
SAMPLE_CONTACT = "+12025550143"
RECEIVED = datetime(2024, 6, 1, 12, 5, 13, tzinfo=UTC)
FORMATS = ["aws", "twilio", "simulator"]


# --- events in the three formats, as SQS delivers the SNS notifications ----------------------


def inbound_message(
    fmt: str,
    body: str,
    *,
    contact: str = CONTACT,
    number: str = NUMBER,
    inbound_id: str | None = None,
    at: datetime = RECEIVED,
) -> dict[str, Any]:
    """The SNS `Message` of a reply in one carrier format."""
    inbound_id = inbound_id or f"in-{uuid.uuid4()}"
    if fmt == "aws":
        return {
            "originationNumber": contact,
            "destinationNumber": number,
            "messageKeyword": "KEYWORD_1",
            "messageBody": body,
            "inboundMessageId": inbound_id,
        }
    if fmt == "twilio":
        params = {
            "AccountSid": "AC" + "0" * 32,
            "Body": body,
            "From": contact,
            "To": number,
            "MessageSid": "SM" + inbound_id.replace("-", "")[:32],
            "NumMedia": "0",
        }
        return {"source": "twilio.inbound", "params": params, "query": {}, "receivedAt": at.isoformat()}
    return {
        "source": "smsgate.simulator",
        "inboundId": inbound_id,
        "from": contact,
        "to": number,
        "body": body,
        "timestamp": at.isoformat(),
    }


def notification(message: dict[str, Any] | str, at: datetime = RECEIVED) -> dict[str, Any]:
    """An SQS message (as ReceiveMessage returns it) holding an SNS notification."""
    body = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:smsgate-InboundTopic",
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "handle", "Body": json.dumps(body)}


def batch(*messages: dict[str, Any]) -> dict[str, Any]:
    return sqs_event(list(messages), "arn:aws:sqs:us-east-1:123456789012:smsgate-InboundQueue", "us-east-1")


# --- fixtures and readers ---------------------------------------------------------------------


@pytest.fixture
def inbound(handler: Callable[[str], Invoke]) -> Invoke:
    return handler("inbound_keyword")


def reply(
    inbound: Callable[[dict[str, Any]], dict[str, Any]],
    fmt: str,
    body: str,
    *,
    at: datetime = RECEIVED,
    **kwargs: Any,
) -> None:
    """One reply through the handler, which must apply it."""
    answer = inbound(batch(notification(inbound_message(fmt, body, at=at, **kwargs), at=at)))
    assert answer == {"batchItemFailures": []}


def queued_replies(stack: Any) -> list[OutboundRecord]:
    """Everything on the outbound queue (received, so each is seen once)."""
    sqs: Any = boto3.client("sqs")
    found: list[OutboundRecord] = []
    while page := sqs.receive_message(QueueUrl=stack.outputs["OutboundQueueUrl"], MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        found += [OutboundRecord.model_validate_json(message["Body"]) for message in page]
    return found


def audit_count(stack: Any, name: str, location_id: str = LOCATION) -> int:
    table: Any = boto3.resource("dynamodb").Table(stack.environment["COUNTERS_TABLE"])
    items = table.scan()["Items"]
    return sum(
        int(item.get(name, 0)) for item in items if str(item["pk"]).startswith(f"AUDIT#{location_id}#")
    )


def send(to: str = CONTACT, kind: str = "conversation") -> str:
    """The real send gate; returns the queued message's id or raises the refusal."""
    request = SendMessageRequest.model_validate(
        {"location_id": LOCATION, "from": NUMBER, "to": to, "body": "Your order is ready.", "kind": kind}
    )
    return sending.send_message(request, datetime.now(UTC)).message_id


def opt_in(phone: str = CONTACT) -> None:
    consent_service.record_consent(
        LOCATION, phone, ConsentRequest(source="web form"), "api", datetime.now(UTC)
    )


@contextmanager
def failing_once(service: str, operation: str) -> Iterator[list[str]]:
    """Make the next `operation` call of our AWS client fail, as a throttled or lost call would."""
    client = clients.dynamodb().meta.client if service == "dynamodb" else clients.sqs()
    failures: list[str] = []

    def fail(**_: Any) -> None:
        if not failures:
            failures.append(operation)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)

    event_name = f"before-call.{service}.{operation}"
    client.meta.events.register(event_name, fail)
    try:
        yield failures
    finally:
        client.meta.events.unregister(event_name, fail)


# --- the sample events of events/inbound_keyword ----------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind"),
    [("aws_stop.json", "opt_out"), ("twilio_stop.json", "opt_out"), ("simulator_start.json", "opt_in")],
)
def test_the_sample_events_are_applied(
    inbound: Any, stack: Any, sample: str, kind: str, location: Any
) -> None:
    location()

    answer = inbound(json.loads((SAMPLES / sample).read_text()))

    assert answer == {"batchItemFailures": []}
    contact = contacts.get_contact(LOCATION, SAMPLE_CONTACT)
    assert contact.consent.state == ("opted_out" if kind == "opt_out" else "opted_in")
    assert contact.dnd.state == ("permanent" if kind == "opt_out" else "none")
    assert [entry.action for entry in consent.ledger(LOCATION, SAMPLE_CONTACT)] == [kind]
    assert [record.body for record in queued_replies(stack)] == [reply_text(kind, NAME)]  # type: ignore[arg-type]


def test_an_aws_reply_is_dated_by_its_sns_notification(inbound: Any, location: Any) -> None:
    location()
    at = datetime(2024, 6, 3, 8, 30, 1, 250000, tzinfo=UTC)

    inbound(batch(notification(inbound_message("aws", "Is the shop open today?"), at=at)))

    assert contacts.get_contact(LOCATION, CONTACT).last_inbound_at == at


def test_an_aws_reply_without_a_notification_time_is_dated_when_applied(inbound: Any, location: Any) -> None:
    # A raw SQS record (no SNS envelope) has no Timestamp: the consumer dates it with its own now.
    location()
    raw = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "handle",
        "Body": json.dumps(inbound_message("aws", "Is the shop open today?")),
    }
    before = datetime.now(UTC)
    inbound(batch(raw))
    after = datetime.now(UTC)

    received_at = contacts.get_contact(LOCATION, CONTACT).last_inbound_at
    assert received_at is not None and before <= received_at <= after


# --- opt-out -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_stop_puts_a_permanent_dnd_revokes_consent_counts_and_confirms_once(
    inbound: Any, stack: Any, fmt: str, location: Any
) -> None:
    location()
    opt_in()

    reply(inbound, fmt, "STOP", at=datetime.now(UTC))

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert contact.dnd.state == "permanent"
    assert contact.dnd.reason == "opt-out: the contact replied STOP"
    assert contact.consent.state == "opted_out"
    assert contact.consent.source == "keyword"
    ledger = consent.ledger(LOCATION, CONTACT)
    assert [(entry.action, entry.source, entry.actor) for entry in ledger] == [
        ("opt_in", "web form", "api"),
        ("opt_out", "keyword", "contact"),
    ]
    assert audit_count(stack, "opt_outs") == 1
    [confirmation] = queued_replies(stack)
    assert (confirmation.from_number, confirmation.to, confirmation.kind) == (NUMBER, CONTACT, "reply")
    # The one confirmation names the location and says nothing else; it is never decorated.
    assert (
        confirmation.body
        == f"{NAME}: You are unsubscribed and will receive no more messages. Reply START to resubscribe."
    )
    message = messages.get_message(confirmation.message_id)
    assert message is not None
    assert (message.kind, message.status, message.body) == ("reply", "queued", confirmation.body)
    assert refusal_of(send) == ReasonCode.DND_ACTIVE


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "Stop",
        "sToP",
        "  stop  ",
        "STOP!",
        "stop.",
        "Stop!!",
        "\tSTOP\n",
        "stop all",
        "STOPALL",
        "Unsubscribe.",
        "cancel",
        "END",
        "quit!",
        "revoke",
        "OPTOUT",
        "opt out",
        "Opt-Out",
        "remove",
        "ARRET",
        "Arrêt",
        "td",
    ],
)
def test_every_opt_out_keyword_variant_opts_out(inbound: Any, stack: Any, body: str, location: Any) -> None:
    location(mode="keywords")

    reply(inbound, "simulator", body)

    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert audit_count(stack, "opt_outs") == 1


@pytest.mark.parametrize("body", ["START", "start", "Start!", "  yes. ", "YES", "unstop", "UNSTOP!"])
def test_every_opt_in_keyword_variant_lifts_the_opt_out(
    inbound: Any, stack: Any, body: str, location: Any
) -> None:
    location()
    reply(inbound, "aws", "STOP", at=RECEIVED)

    reply(inbound, "aws", body, at=RECEIVED + timedelta(minutes=5))

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert contact.dnd.state == "none"
    assert (contact.consent.state, contact.consent.source) == ("opted_in", "keyword")
    assert [entry.action for entry in consent.ledger(LOCATION, CONTACT)] == ["opt_out", "opt_in"]
    assert [record.body for record in queued_replies(stack)] == [
        reply_text("opt_out", NAME),
        reply_text("opt_in", NAME),
    ]
    assert audit_count(stack, "opt_outs") == 1
    send()  # accepted again: the keyword opt-in is consent


@pytest.mark.parametrize("body", ["HELP", "help", "Help!", " info. ", "INFO"])
def test_help_answers_with_the_location_name_and_how_to_opt_out(
    inbound: Any, stack: Any, body: str, location: Any
) -> None:
    location()

    reply(inbound, "twilio", body)

    [answer] = queued_replies(stack)
    assert answer.body == reply_text("help", NAME)
    assert NAME in answer.body and "Reply STOP to unsubscribe" in answer.body
    contact = contacts.get_contact(LOCATION, CONTACT)
    assert (contact.dnd.state, contact.consent.state) == ("none", "none")
    assert contact.last_inbound_at == RECEIVED
    assert audit_count(stack, "opt_outs") == 0


def test_any_other_reply_records_the_last_inbound_time_and_makes_replies_responsive(
    inbound: Any, stack: Any, location: Any
) -> None:
    location()
    assert refusal_of(send) == ReasonCode.NO_CONSENT

    reply(inbound, "twilio", "What time do you open tomorrow?", at=datetime.now(UTC))

    assert queued_replies(stack) == []
    assert contacts.get_contact(LOCATION, CONTACT).last_inbound_at is not None
    send(kind="conversation")  # a reply within 24 hours is responsive (docs/policy.md#consent)
    assert refusal_of(lambda: send(kind="bulk")) == ReasonCode.NO_CONSENT


def test_an_older_reply_delivered_late_does_not_move_the_last_inbound_time_back(
    inbound: Any, location: Any
) -> None:
    location()

    reply(inbound, "simulator", "see you at 5", at=RECEIVED)
    reply(inbound, "simulator", "running late", at=RECEIVED - timedelta(minutes=10))

    assert contacts.get_contact(LOCATION, CONTACT).last_inbound_at == RECEIVED


def test_the_mandatory_reply_goes_out_past_the_daily_limit_and_the_dnd(
    inbound: Any, stack: Any, location: Any, dispatcher: Any
) -> None:
    created = datetime.now(UTC)
    location(created_at=created)
    limit = daily_limit(created, datetime.now(UTC))
    day = counter_day(datetime.now(UTC))
    counters.reserve(counters.daily_key(LOCATION, day), limit, limit, counters.daily_expiry(day))
    opt_in()
    assert refusal_of(send) == ReasonCode.DAILY_LIMIT_REACHED

    reply(inbound, "aws", "STOP", at=datetime.now(UTC))
    reply(inbound, "aws", "HELP", at=datetime.now(UTC))

    replies = queued_replies(stack)
    assert [record.body for record in replies] == [reply_text("opt_out", NAME), reply_text("help", NAME)]
    # ... and the dispatcher hands them to the carrier although the DND and the limit hold.
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert dispatch(stack, dispatcher(), replies) == 2
    assert [messages.get_message(record.message_id).status for record in replies] == ["sent", "sent"]  # type: ignore[union-attr]


# --- one confirmation per opt-out ------------------------------------------------------------


def test_a_second_stop_within_the_window_sends_nothing_more(inbound: Any, stack: Any, location: Any) -> None:
    location()
    first = datetime.now(UTC)

    reply(inbound, "twilio", "STOP", at=first)
    reply(inbound, "aws", "stop!!", at=first + timedelta(seconds=40))
    reply(inbound, "simulator", "Please stop texting me", at=first + timedelta(minutes=10))
    reply(inbound, "simulator", "STOP", at=first + timedelta(hours=23))

    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_out", NAME)]
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"


def test_a_stop_after_the_window_is_confirmed_again(inbound: Any, stack: Any, location: Any) -> None:
    location()

    reply(inbound, "aws", "STOP", at=RECEIVED)
    reply(inbound, "aws", "STOP", at=RECEIVED + timedelta(hours=25))

    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_out", NAME)] * 2


def test_an_opt_out_after_an_opt_in_is_a_new_one_and_is_confirmed(
    inbound: Any, stack: Any, location: Any
) -> None:
    location()

    reply(inbound, "aws", "STOP", at=RECEIVED)
    reply(inbound, "aws", "START", at=RECEIVED + timedelta(minutes=1))
    reply(inbound, "aws", "STOP", at=RECEIVED + timedelta(minutes=2))

    assert [record.body for record in queued_replies(stack)] == [
        reply_text("opt_out", NAME),
        reply_text("opt_in", NAME),
        reply_text("opt_out", NAME),
    ]


def test_the_dispatcher_measures_the_confirmation_delay_from_the_stop(
    inbound: Any,
    stack: Any,
    location: Any,
    dispatcher: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    location()
    # Twilio and SNS date a reply to the millisecond.
    stopped = (datetime.now(UTC) - timedelta(seconds=90)).replace(microsecond=0)
    reply(inbound, "aws", "STOP", at=stopped)
    reply(inbound, "aws", "HELP", at=stopped + timedelta(seconds=1))
    confirmation, help_answer = queued_replies(stack)
    assert confirmation.opt_out_received_at == stopped.isoformat()
    assert help_answer.opt_out_received_at is None
    capsys.readouterr()

    assert dispatch(stack, dispatcher(), [confirmation, help_answer]) == 2

    delays = [
        value
        for line in capsys.readouterr().out.splitlines()
        if '"OptOutConfirmationDelay"' in line
        for value in json.loads(line)["OptOutConfirmationDelay"]
    ]
    assert len(delays) == 1
    assert 90 <= float(delays[0]) < 90 + 120


# --- free text: the location's revocation mode ------------------------------------------------


@pytest.mark.parametrize(
    "body", ["please stop texting me", "Unsubscribe me", "Remove me from your list", "don't text me anymore"]
)
def test_reasonable_means_mode_honours_a_free_text_request_to_stop(
    inbound: Any, stack: Any, body: str, location: Any
) -> None:
    location(mode="reasonable_means")

    reply(inbound, "twilio", body)

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert contact.dnd.state == "permanent"
    assert contact.dnd.reason == "opt-out: the contact asked to stop in a reply"
    assert (contact.consent.state, contact.consent.source) == ("opted_out", "reasonable_means")
    [entry] = consent.ledger(LOCATION, CONTACT)
    assert (entry.action, entry.source) == ("opt_out", "reasonable_means")
    assert entry.evidence is not None and body in entry.evidence
    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_out", NAME)]
    assert audit_count(stack, "opt_outs") == 1


def test_reasonable_means_is_the_default_mode(inbound: Any, location: Any) -> None:
    location(mode=None)

    reply(inbound, "aws", "please stop texting me")

    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"


@pytest.mark.parametrize(
    "body", ["please stop texting me", "Unsubscribe me", "Remove me from your list", "don't text me anymore"]
)
def test_keywords_mode_treats_free_text_as_conversation(
    inbound: Any, stack: Any, body: str, location: Any
) -> None:
    location(mode="keywords")

    reply(inbound, "twilio", body)

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert (contact.dnd.state, contact.consent.state) == ("none", "none")
    assert contact.last_inbound_at == RECEIVED
    assert consent.ledger(LOCATION, CONTACT) == []
    assert queued_replies(stack) == []
    assert audit_count(stack, "opt_outs") == 0


def test_a_longer_message_that_does_not_ask_to_stop_is_conversation_in_either_mode(
    inbound: Any, stack: Any, location: Any
) -> None:
    location(mode="reasonable_means")

    reply(inbound, "aws", "Don't stop texting me the deals!")
    reply(inbound, "aws", "Please cancel my appointment")

    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "none"
    assert queued_replies(stack) == []


# --- a number or contact we do not know -------------------------------------------------------


def test_a_stop_to_a_number_no_location_owns_binds_the_first_send_from_it(
    inbound: Any, stack: Any, location: Any
) -> None:
    reply(inbound, "aws", "STOP")

    assert stored.number_dnd(NUMBER, CONTACT).state == "permanent"
    assert [entry.action for entry in stored.number_ledger(NUMBER, CONTACT)] == ["opt_out"]
    assert queued_replies(stack) == []  # no location, no name to confirm with

    location()
    opt_in()
    assert refusal_of(send) == ReasonCode.DND_ACTIVE
    bulk = bulk_sending.send_bulk(
        BulkSendRequest.model_validate(
            {"location_id": LOCATION, "from": NUMBER, "body": "Fresh bread today.", "recipients": [CONTACT]}
        ),
        datetime.now(UTC),
    )
    assert bulk.skipped == [{"to": CONTACT, "code": "DND_ACTIVE"}]

    reply(inbound, "aws", "START", at=RECEIVED + timedelta(hours=1))

    assert stored.number_dnd(NUMBER, CONTACT).state == "none"
    send()


def test_a_stop_to_a_known_number_also_binds_the_number(inbound: Any, location: Any) -> None:
    location()

    reply(inbound, "twilio", "stop")

    assert stored.number_dnd(NUMBER, CONTACT).state == "permanent"


def test_a_stop_from_a_contact_the_location_never_wrote_to_is_recorded(
    inbound: Any, stack: Any, location: Any
) -> None:
    location()
    stranger = "+447911120999"

    reply(inbound, "simulator", "STOP", contact=stranger)

    assert contacts.get_contact(LOCATION, stranger).dnd.state == "permanent"
    assert audit_count(stack, "opt_outs") == 1
    assert refusal_of(lambda: send(to=stranger)) == ReasonCode.DND_ACTIVE


# --- exactly once -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_redelivered_stop_is_applied_once(inbound: Any, stack: Any, fmt: str, location: Any) -> None:
    location()
    message = inbound_message(fmt, "STOP", inbound_id="in-0001")

    first = inbound(batch(notification(message)))
    second = inbound(batch(notification(message), notification(message)))

    assert first == second == {"batchItemFailures": []}
    assert len(queued_replies(stack)) == 1
    assert audit_count(stack, "opt_outs") == 1
    assert len(consent.ledger(LOCATION, CONTACT)) == 1


def test_a_poison_record_in_the_middle_of_a_batch_fails_alone(
    inbound: Any, stack: Any, location: Any
) -> None:
    location()
    poison = notification("this is not an inbound message")
    wrong_shape = notification({"source": "twilio.inbound", "params": {"Body": "STOP"}})

    answer = inbound(
        batch(
            notification(inbound_message("aws", "STOP")),
            poison,
            notification(inbound_message("twilio", "HELP", contact="+447911120144")),
            wrong_shape,
            notification(inbound_message("simulator", "hello", contact="+447911120145")),
        )
    )

    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": poison["MessageId"]},
            {"itemIdentifier": wrong_shape["MessageId"]},
        ]
    }
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert [record.to for record in queued_replies(stack)] == [CONTACT, "+447911120144"]
    assert contacts.get_contact(LOCATION, "+447911120145").last_inbound_at is not None


@pytest.mark.parametrize(
    ("service", "operation"), [("dynamodb", "TransactWriteItems"), ("sqs", "SendMessageBatch")]
)
def test_a_stop_interrupted_midway_is_completed_by_the_redelivery_and_confirmed_once(
    inbound: Any, stack: Any, service: str, operation: str, location: Any, dispatcher: Any
) -> None:
    location()
    stop = notification(inbound_message("aws", "STOP", inbound_id="in-crash"))
    # A healthy record beside it: a batch whose every record fails is failed as a whole.
    other = notification(inbound_message("aws", "see you at 5", contact="+447911120144"))

    with failing_once(service, operation) as failures:
        first = inbound(batch(stop, other))

    assert failures == [operation]
    assert first == {"batchItemFailures": [{"itemIdentifier": stop["MessageId"]}]}
    # What was done before the failure stays done: the STOP is never lost while it waits.
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert audit_count(stack, "opt_outs") == 0

    event = batch(stop)
    assert inbound(event) == {"batchItemFailures": []}
    assert inbound(event) == {"batchItemFailures": []}

    assert audit_count(stack, "opt_outs") == 1
    assert len(consent.ledger(LOCATION, CONTACT)) == 1
    queued = queued_replies(stack)
    assert {record.message_id for record in queued} == {queued[0].message_id}
    # The dispatcher sends a message id once, however many times it was queued.
    assert dispatch(stack, dispatcher(), queued) == 1


def test_a_stop_delivered_after_the_contacts_later_start_does_not_overturn_it(
    inbound: Any, stack: Any, location: Any
) -> None:
    location()

    reply(inbound, "twilio", "START", at=RECEIVED + timedelta(minutes=1))
    reply(inbound, "twilio", "STOP", at=RECEIVED)

    contact = contacts.get_contact(LOCATION, CONTACT)
    assert (contact.dnd.state, contact.consent.state) == ("none", "opted_in")
    assert [entry.action for entry in consent.ledger(LOCATION, CONTACT)] == ["opt_out", "opt_in"]
    # Only the START is confirmed: a confirmation of the stale STOP would contradict it.
    assert [record.body for record in queued_replies(stack)] == [reply_text("opt_in", NAME)]


# --- the reply reaches the carrier --------------------------------------------------------------


def dispatch(stack: Any, handler: Handler, records: list[OutboundRecord]) -> int:
    """Run the dispatcher handler over `records`; returns how many sends reached the carrier."""
    sqs: Any = boto3.client("sqs")
    sqs_messages = [
        {"MessageId": str(uuid.uuid4()), "ReceiptHandle": "h", "Body": record.model_dump_json()}
        for record in records
    ]
    for one in sqs_messages:
        handler(
            sqs_event([one], "arn:aws:sqs:us-east-1:123456789012:out", "us-east-1"),
            LocalContext(function_name="dispatcher"),
        )
    receipts = 0
    while page := sqs.receive_message(
        QueueUrl=stack.outputs["CarrierEventsQueueUrl"], MaxNumberOfMessages=10
    ).get("Messages", []):
        receipts += len(page)
    return receipts


def test_the_confirmation_is_sent_by_the_dispatcher(
    inbound: Any, stack: Any, location: Any, dispatcher: Any
) -> None:
    location()
    reply(inbound, "aws", "STOP")

    [confirmation] = queued_replies(stack)

    assert dispatch(stack, dispatcher(), [confirmation]) == 1
    message = messages.get_message(confirmation.message_id)
    assert message is not None and message.status == "sent"


# --- logs ---------------------------------------------------------------------------------------


def test_logs_show_neither_the_numbers_nor_the_body(
    inbound: Any, log_lines: io.StringIO, location: Any
) -> None:
    location()
    body = "please stop texting me, my name is Alice"

    reply(inbound, "twilio", body)
    reply(inbound, "twilio", "Where is the shop?")
    bad = notification(inbound_message("twilio", "STOP", contact="not a number"))
    inbound(batch(bad, notification(inbound_message("aws", "thanks"))))

    logged = log_lines.getvalue()
    assert "reply applied" in logged
    for secret in (CONTACT, CONTACT[1:], NUMBER[1:], "Alice", "Where is the shop", "not a number"):
        assert secret not in logged


# --- the dead-letter queue -----------------------------------------------------------------------


def test_a_record_that_keeps_failing_reaches_the_dead_letter_queue_while_its_batch_succeeds(
    stack: Any, monkeypatch: pytest.MonkeyPatch, location: Any
) -> None:
    from local_stack import consumers
    from local_stack.lambdas import FunctionPool

    monkeypatch.setattr(consumers, "LOCAL_RETRY_SECONDS", 0)  # redeliver at once: no waiting in tests
    location()
    [trigger] = [queue for queue in stack.queues if queue.function == "InboundKeywordFunction"]
    consumer = consumers.QueueConsumer(
        trigger,
        FunctionPool("inbound_keyword", ROOT / "functions" / "inbound_keyword", 1),
        None,  # type: ignore[arg-type]  # the in-process moto backend: no endpoint
        None,  # type: ignore[arg-type]  # never started as a thread
    )
    sns = boto3.client("sns")
    topic = stack.outputs["InboundTopicArn"]
    sns.publish(TopicArn=topic, Message=json.dumps(inbound_message("aws", "STOP")))
    sns.publish(TopicArn=topic, Message="not an inbound message")
    sqs: Any = boto3.client("sqs")
    dead_letters: list[dict[str, Any]] = []
    for _ in range(30):
        consumer.poll_once(wait_seconds=0)
        dead_letters += sqs.receive_message(QueueUrl=stack.outputs["InboundDeadLetterQueueUrl"]).get(
            "Messages", []
        )
        if dead_letters:
            break

    assert [json.loads(message["Body"])["Message"] for message in dead_letters] == ["not an inbound message"]
    assert contacts.get_contact(LOCATION, CONTACT).dnd.state == "permanent"
    assert len(queued_replies(stack)) == 1


# --- metrics ---------------------------------------------------------------------------------------


def test_metrics_count_each_keyword_and_outcome(stack: Any, location: Any) -> None:
    from smsgate.models.carrier_events import parse_inbound
    from smsgate.observability import metrics
    from smsgate.services.inbound import apply_reply

    location()
    metrics.clear_metrics()
    try:
        for body in ("Stop all!", "please stop texting me", "HELP", "hello"):
            apply_reply(parse_inbound(inbound_message("simulator", body)), datetime.now(UTC))
        recorded = {name: sum(entry["Value"]) for name, entry in metrics.metric_set.items()}
    finally:
        metrics.clear_metrics()

    assert recorded == {
        "Inbound_opt_out": 2,
        "InboundKeyword_stop_all": 1,
        "InboundRevocation": 1,
        # The second opt-out came within the window of the first one's confirmation.
        "OptOutConfirmationRepeatSkipped": 1,
        "Inbound_help": 1,
        "InboundKeyword_help": 1,
        "Inbound_conversation": 1,
    }
