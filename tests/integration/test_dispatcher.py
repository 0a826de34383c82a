"""The dispatcher handler under moto, with real adapters: the simulator end to end, and the
Twilio adapter against a local stand-in of Twilio's Messages API on 127.0.0.1 (docs/carriers.md)."""

import json
import sys
import threading
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local_stack.consumers import sqs_event
from local_stack.lambdas import Handler, LocalContext, load_handler
from smsgate.carriers.aws_eum import AwsEumCarrier
from smsgate.carriers.factory import AwsEumOnFirstSend, TwilioFromSecret, carrier_for
from smsgate.dal import clients, contacts, events, messages, outbound
from smsgate.models.entities import Message, StatusChange
from smsgate.models.location_requests import ConsentRequest
from smsgate.models.requests import SendMessageRequest
from smsgate.reasons import ReasonCode
from smsgate.services import consent as consent_service
from smsgate.services import contacts as contacts_service
from smsgate.services import sending
from smsgate.services.dispatch import HOLD_SECONDS, Dispatcher
from smsgate.services.pacing import Pacer
from smsgate.settings import Settings, get_settings
from tests.integration.conftest import audit_counts, refusal_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "events" / "dispatcher" / "outbound_message.json"
LOCATION = "loc-1"
FROM = "+12025550100"
TO = "+12025550143"
ACCOUNT_SID = "AC" + "0" * 31 + "7"
AUTH_TOKEN = "integration-test-token-0123456789"  # the stand-in's credential, never a real one


# --- a local stand-in for Twilio's Messages API --------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def twilio_error(status: int, code: int, headers: dict[str, str] | None = None) -> Answer:
    """Twilio's REST error shape: `{code, message, more_info, status}`."""
    return Answer(
        status,
        {
            "code": code,
            "message": "error",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        headers or {},
    )


class FakeTwilio:
    """Records every `POST .../Messages.json`; answers scripted answers first, then 201 Created."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.forms: list[dict[str, list[str]]] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()

    def answer_next(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def answer(self, path: str, form: dict[str, list[str]]) -> Answer:
        with self._lock:
            self.forms.append(form)
            if self._script:
                return self._script.popleft()
        if path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return twilio_error(404, 20404)
        sid = "SM" + uuid.uuid4().hex
        return Answer(201, {"sid": sid, "status": "queued", "to": form["To"][0], "from": form["From"][0]})

    def sends_to(self, message_id: str) -> int:
        callback = f"message_id={message_id}"
        return sum(1 for form in self.forms if form["StatusCallback"][0].endswith(callback))


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = server.server_address[:2]
    fake = FakeTwilio(f"http://{host!s}:{port}")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
            answer = fake.answer(self.path, form)
            body = json.dumps(answer.payload).encode()
            self.send_response(answer.status)
            for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the stack, the handler and the queue ----------------------------------------------------


class RecordingSleep:
    """Stands in for time.sleep: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def no_sleep() -> RecordingSleep:
    return RecordingSleep()


def clear_secret_cache() -> None:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]


@pytest.fixture
def twilio_deployment(stack: Any, monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio) -> Iterator[Any]:
    """The stack deployed with `Carrier=twilio`, its secret in Secrets Manager, Twilio local."""
    monkeypatch.setenv("CARRIER", "twilio")
    monkeypatch.setenv("TWILIO_API_BASE_URL", fake_twilio.base_url)
    monkeypatch.setenv("CARRIER_SEND_ATTEMPTS", "3")
    monkeypatch.setenv("CARRIER_TIMEOUT_SECONDS", "5")
    get_settings.cache_clear()
    boto3.client("secretsmanager").create_secret(
        Name=get_settings().twilio_credentials_secret,
        SecretString=json.dumps({"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}),
    )
    clear_secret_cache()
    yield stack
    clear_secret_cache()


def context(seconds_left: float = 30.0) -> LocalContext:
    class Context(LocalContext):
        def get_remaining_time_in_millis(self) -> int:
            return int(seconds_left * 1000)

    return Context(function_name="dispatcher")


def put_queued(message_id: str | None = None, to: str = TO) -> outbound.OutboundRecord:
    """A message as the send gate leaves it: recorded `queued`, and its record."""
    now = datetime.now(UTC)
    message = Message(
        message_id=message_id or str(uuid.uuid4()),
        location_id=LOCATION,
        from_number=FROM,
        to=to,
        body="Your visit is tomorrow at 9.",
        kind="workflow",
        segments=1,
        encoding="GSM-7",
        created_at=now,
        history=(StatusChange(status="queued", at=now),),
    )
    messages.put_message(message)
    return outbound.OutboundRecord(
        message_id=message.message_id,
        location_id=LOCATION,
        from_number=FROM,
        to=to,
        body=message.body,
        kind=message.kind,
    )


def queue_event(stack: Any, records: list[outbound.OutboundRecord]) -> dict[str, Any]:
    """Enqueue the records on the outbound queue and receive them as Lambda's SQS event."""
    assert outbound.enqueue(records) == []
    url = stack.outputs["OutboundQueueUrl"]
    sqs = boto3.client("sqs")
    received: list[dict[str, Any]] = []
    while len(received) < len(records):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        assert batch.get("Messages"), "the outbound queue ran dry"
        received += [dict(message) for message in batch["Messages"]]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs_event(received, arn, "us-east-1")


def failed_records(answer: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def sqs_message_id(event: dict[str, Any], message_id: str) -> str:
    for record in event["Records"]:
        if json.loads(record["body"])["message_id"] == message_id:
            return str(record["messageId"])
    raise AssertionError(f"no record for {message_id}")


def carrier_events(stack: Any) -> list[dict[str, Any]]:
    """The receipts published to the CarrierEvents topic, read from its queue."""
    sqs = boto3.client("sqs")
    url = stack.outputs["CarrierEventsQueueUrl"]
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            body = json.loads(message["Body"])
            found.append(json.loads(body["Message"]) if "Message" in body else body)
    return found


def sent_counted(stack: Any) -> int:
    """The location's `sent` audit counters, summed over hours."""
    table = boto3.resource("dynamodb").Table(stack.environment["COUNTERS_TABLE"])
    items: list[dict[str, Any]] = table.scan()["Items"]
    return sum(int(item.get("sent", 0)) for item in items if str(item["pk"]).startswith(f"AUDIT#{LOCATION}#"))


def status_of(message_id: str) -> tuple[str, int | None]:
    message = messages.get_message(message_id)
    assert message is not None
    return message.status, message.error_code


# --- the simulator, the local default -------------------------------------------------------


def test_the_sample_event_runs_through_the_handler(
    stack: Any, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    event = json.loads(SAMPLE.read_text())
    record = outbound.OutboundRecord.model_validate_json(event["Records"][0]["body"])
    put_queued(record.message_id, to=record.to)
    answer = dispatcher(no_sleep, "sample")(event, context())
    assert failed_records(answer) == []
    assert status_of(record.message_id) == ("sent", None)


def test_a_queued_message_is_sent_on_the_simulator_and_its_receipt_published(
    stack: Any, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    assert get_settings().carrier == "simulator"
    delivered, undelivered = put_queued(), put_queued(to="+12025553004")
    event = queue_event(stack, [delivered, undelivered])

    answer = dispatcher(no_sleep, "simulator")(event, context())

    assert failed_records(answer) == []
    for record in (delivered, undelivered):
        message = messages.get_message(record.message_id)
        assert message is not None and message.status == "sent"
        assert message.carrier_message_id is not None and message.carrier_message_id.startswith("SIM")
        assert [change.status for change in message.history] == ["queued", "sent"]
    receipts = {receipt["messageId"]: receipt for receipt in carrier_events(stack)}
    assert receipts[delivered.message_id]["status"] == "delivered"
    assert (receipts[undelivered.message_id]["status"], receipts[undelivered.message_id]["errorCode"]) == (
        "undelivered",
        30004,
    )
    assert sent_counted(stack) == 2


# --- Twilio, against its local stand-in ------------------------------------------------------


def test_the_twilio_request_carries_the_message_and_its_status_callback(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    record = put_queued()
    answer = dispatcher(no_sleep, "twilio")(queue_event(twilio_deployment, [record]), context())
    assert failed_records(answer) == []
    [form] = fake_twilio.forms
    assert {name: values[0] for name, values in form.items()} == {
        "To": TO,
        "From": FROM,
        "Body": record.body,
        "StatusCallback": f"http://127.0.0.1:3000/v1/webhooks/twilio/status?message_id={record.message_id}",
        # A workflow message's default validity (docs/carriers.md#message-type-and-validity).
        "ValidityPeriod": "3600",
    }
    message = messages.get_message(record.message_id)
    assert message is not None and message.status == "sent"
    assert message.carrier_message_id is not None and message.carrier_message_id.startswith("SM")


def test_a_redelivered_queue_message_sends_nothing_twice(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    record = put_queued()
    event = queue_event(twilio_deployment, [record])
    first, second = dispatcher(no_sleep, "first"), dispatcher(no_sleep, "second")

    answers = [first(event, context()), first(event, context()), second(event, context())]

    assert [failed_records(answer) for answer in answers] == [[], [], []]
    assert fake_twilio.sends_to(record.message_id) == 1
    assert status_of(record.message_id) == ("sent", None)
    assert sent_counted(twilio_deployment) == 1


def test_a_throttled_send_is_retried_and_succeeds(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    fake_twilio.answer_next(twilio_error(429, 20429, {"Retry-After": "1"}))
    record = put_queued()

    answer = dispatcher(no_sleep, "throttled")(queue_event(twilio_deployment, [record]), context())

    assert failed_records(answer) == []
    assert fake_twilio.sends_to(record.message_id) == 2
    assert no_sleep.delays and no_sleep.delays[-1] >= 1.0  # Retry-After is the floor of the backoff
    assert status_of(record.message_id) == ("sent", None)
    assert sent_counted(twilio_deployment) == 1


def test_a_permanent_rejection_is_not_retried_and_fails_the_message(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    fake_twilio.answer_next(twilio_error(400, 21211))
    record = put_queued()
    event = queue_event(twilio_deployment, [record])
    handler = dispatcher(no_sleep, "rejected")

    answer = handler(event, context())

    assert failed_records(answer) == []  # nothing left for a redelivery to change
    assert fake_twilio.sends_to(record.message_id) == 1
    assert no_sleep.delays == []
    message = messages.get_message(record.message_id)
    assert message is not None
    assert message.to_api()["status"] == "failed" and message.to_api()["error_code"] == 21211
    assert [(change.status, change.error_code) for change in message.history] == [
        ("queued", None),
        ("failed", 21211),
    ]
    # Attempted, so counted in the audit's denominator; a redelivery neither sends nor counts again.
    handler(event, context())
    assert fake_twilio.sends_to(record.message_id) == 1
    assert sent_counted(twilio_deployment) == 1


def aws_dispatcher(instance: str, sleep: RecordingSleep, stubber_for: Callable[[Any], None]) -> Handler:
    """A dispatcher instance on the AWS End User Messaging SMS adapter, its client stubbed by botocore."""
    handler = load_handler(ROOT / "functions" / "dispatcher", f"{instance}-{uuid.uuid4().hex[:8]}")
    app: Any = sys.modules[handler.__module__]
    client = boto3.client("pinpoint-sms-voice-v2")
    stubber = Stubber(client)
    stubber_for(stubber)
    stubber.activate()
    app.dispatcher = Dispatcher(
        carrier=AwsEumCarrier(client, get_settings().eum_configuration_set),
        clock=app.clock,
        pacer=Pacer.per_second(get_settings().number_mps, sleep=sleep),
        sleep=sleep,
    )
    return handler


@pytest.mark.parametrize("carrier", ["twilio", "aws"])
def test_21610_an_unsubscribed_recipient_is_a_permanent_dnd(
    twilio_deployment: Any,
    fake_twilio: FakeTwilio,
    no_sleep: RecordingSleep,
    carrier: str,
    dispatcher: Any,
    location: Any,
) -> None:
    """Twilio's 21610 ("Attempt to send to unsubscribed recipient"), or AWS's opted-out
    destination: the contact replied STOP to the number at the carrier. The `failed` receipt
    puts a permanent DND, so the next send is refused and the API cannot lift it (docs/policy.md#dnd)."""
    contact = "+447911120143"  # outside the US: no 10DLC registration before the DND check
    location(numbers=(FROM,), location_id=LOCATION)
    consent_service.record_consent(
        LOCATION, contact, ConsentRequest(source="web form"), "api", datetime.now(UTC)
    )
    record = put_queued(to=contact)
    if carrier == "twilio":
        fake_twilio.answer_next(twilio_error(400, 21610))
        handler = dispatcher(no_sleep, "unsubscribed")
    else:
        handler = aws_dispatcher(
            "unsubscribed",
            no_sleep,
            lambda stubber: stubber.add_client_error(
                "send_text_message",
                service_error_code="ConflictException",
                http_status_code=400,
                modeled_fields={"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT"},
            ),
        )

    answer = handler(queue_event(twilio_deployment, [record]), context())

    assert failed_records(answer) == []
    assert status_of(record.message_id) == ("failed", 21610)
    dnd = contacts.get_contact(LOCATION, contact).dnd
    assert (dnd.state, dnd.error_code) == ("permanent", 21610)
    request = SendMessageRequest.model_validate(
        {"location_id": LOCATION, "from": FROM, "to": contact, "body": "Hello again.", "kind": "workflow"}
    )
    assert refusal_of(lambda: sending.send_message(request, datetime.now(UTC))) == ReasonCode.DND_ACTIVE
    assert refusal_of(lambda: contacts_service.clear_dnd(LOCATION, contact)) == ReasonCode.DND_PERMANENT
    # The contact's opt-out, not the location's error: no rate counts it (docs/receipts.md).
    assert audit_counts(twilio_deployment, LOCATION) == {}


def test_a_persisting_transient_failure_is_a_batch_item_failure_and_releases_the_claim(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    ok, failing = put_queued(), put_queued()
    event = queue_event(twilio_deployment, [ok, failing])
    fake_twilio.answer_next(*[twilio_error(500, 20500)] * 3)  # the first record's three attempts
    first = json.loads(event["Records"][0]["body"])["message_id"]
    ok, failing = (failing, ok) if first == ok.message_id else (ok, failing)
    handler = dispatcher(no_sleep, "transient")

    answer = handler(event, context())

    assert failed_records(answer) == [sqs_message_id(event, failing.message_id)]
    assert fake_twilio.sends_to(failing.message_id) == 3  # CARRIER_SEND_ATTEMPTS
    assert not events.is_applied(f"send#{failing.message_id}")
    assert status_of(failing.message_id) == ("queued", None)
    assert status_of(ok.message_id) == ("sent", None)
    assert sent_counted(twilio_deployment) == 1
    # SQS redelivers the failed record; Twilio answers again, and the message goes out once.
    redelivery = {"Records": [r for r in event["Records"] if r["messageId"] in failed_records(answer)]}
    assert failed_records(handler(redelivery, context())) == []
    assert fake_twilio.sends_to(failing.message_id) == 4
    assert status_of(failing.message_id) == ("sent", None)
    assert sent_counted(twilio_deployment) == 2


def test_no_attempt_starts_that_the_invocation_could_not_finish(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    record = put_queued()
    event = queue_event(twilio_deployment, [record])
    handler = dispatcher(no_sleep, "late")

    answer = handler(event, context(seconds_left=3.0))  # less than a carrier timeout

    assert failed_records(answer) == [event["Records"][0]["messageId"]]
    assert fake_twilio.forms == []
    assert not events.is_applied(f"send#{record.message_id}")
    assert failed_records(handler(event, context())) == []
    assert fake_twilio.sends_to(record.message_id) == 1


def test_sends_from_one_number_keep_to_its_throughput(
    twilio_deployment: Any,
    monkeypatch: pytest.MonkeyPatch,
    fake_twilio: FakeTwilio,
    no_sleep: RecordingSleep,
    dispatcher: Any,
) -> None:
    monkeypatch.setenv("NUMBER_MPS", "0.2")
    get_settings.cache_clear()
    records = [put_queued(), put_queued()]

    answer = dispatcher(no_sleep, "mps")(queue_event(twilio_deployment, records), context())

    assert failed_records(answer) == []
    assert len(fake_twilio.forms) == 2
    # The first send takes the number's token; the second waits for the next one (1 / 0.2 MPS).
    assert len(no_sleep.delays) == 1 and 0 < no_sleep.delays[0] <= 5.0


def test_a_slot_further_than_the_invocation_can_wait_goes_back_to_the_queue(
    twilio_deployment: Any,
    monkeypatch: pytest.MonkeyPatch,
    fake_twilio: FakeTwilio,
    no_sleep: RecordingSleep,
    dispatcher: Any,
) -> None:
    """The second message's slot is 100 s away: it is not slept on but sent back to the queue as
    a new message delayed until about then (a wait is no failed receive: it never counts toward
    the dead-letter queue), its claim released so that the copy sends it, nothing counted for it."""
    monkeypatch.setenv("NUMBER_MPS", "0.01")
    get_settings.cache_clear()
    first, second = put_queued(), put_queued()
    event = queue_event(twilio_deployment, [first, second])
    changes = visibility_changes()
    sent: list[dict[str, Any]] = []
    clients.sqs().meta.events.register(
        "provide-client-params.sqs.SendMessage", lambda params, **_: sent.append(params)
    )

    answer = dispatcher(no_sleep, "pacing")(event, context())

    assert failed_records(answer) == []  # the original is done with; its copy waits
    assert len(fake_twilio.forms) == 1 and no_sleep.delays == []
    assert changes == []
    [copy] = sent
    assert json.loads(copy["MessageBody"])["message_id"] == second.message_id
    assert 90 <= copy["DelaySeconds"] <= 126  # the key's free slot, less the wait, spread
    assert status_of(second.message_id) == ("queued", None)
    assert not events.is_applied(f"send#{second.message_id}")
    assert sent_counted(twilio_deployment) == 1


# --- the adapter per deployment --------------------------------------------------------------


def test_the_adapter_is_chosen_per_deployment_without_reading_a_secret(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = lambda: datetime.now(UTC)  # noqa: E731
    base = get_settings().model_dump()
    # No secret exists in this stack: building the Twilio adapter must not read one.
    assert isinstance(
        carrier_for(Settings(**{**base, "carrier": "twilio"}), clock, clients.sns), TwilioFromSecret
    )
    aws = carrier_for(Settings(**{**base, "carrier": "aws"}), clock, clients.sns)
    assert isinstance(aws, AwsEumOnFirstSend)
    # Its client is created by the first send, not at cold start.
    assert "adapter" not in vars(aws) and isinstance(aws.adapter, AwsEumCarrier)
    assert carrier_for(Settings(**base), clock, clients.sns).name == "simulator"
    with pytest.raises(ValueError, match="configuration"):
        carrier_for(Settings(**{**base, "carrier": "aws", "eum_configuration_set": ""}), clock, clients.sns)
    with pytest.raises(ValueError, match="TWILIO_CREDENTIALS_SECRET"):
        carrier_for(
            Settings(**{**base, "carrier": "twilio", "twilio_credentials_secret": ""}), clock, clients.sns
        )


# --- our own faults and the carrier's retry advice (docs/carriers.md#our-own-faults) ----------


def visibility_changes() -> list[dict[str, Any]]:
    """Records every ChangeMessageVisibility call the handler's SQS client makes."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    clients.sqs().meta.events.register("provide-client-params.sqs.ChangeMessageVisibility", record)
    return calls


def aws_fault(error_code: str, **fields: Any) -> Callable[[Any], None]:
    def add(stubber: Any) -> None:
        stubber.add_client_error(
            "send_text_message", service_error_code=error_code, http_status_code=403, modeled_fields=fields
        )

    return add


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        ("twilio-401", HOLD_SECONDS),
        ("twilio-404", HOLD_SECONDS),
        ("aws-access-denied", HOLD_SECONDS),
        ("aws-configuration-set-missing", HOLD_SECONDS),
        ("aws-spend-limit", HOLD_SECONDS),
        ("aws-daily-quota", 900),
    ],
)
def test_our_own_faults_wait_in_the_queue_set_off_the_alarm_and_count_nothing(
    twilio_deployment: Any,
    fake_twilio: FakeTwilio,
    no_sleep: RecordingSleep,
    dispatcher: Any,
    fault: str,
    wait: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # the alarm's metric, as EMF
    record = put_queued()
    event = queue_event(twilio_deployment, [record])
    if fault.startswith("twilio"):
        fake_twilio.answer_next(twilio_error(int(fault[-3:]), 20003 if fault.endswith("401") else 20404))
        handler = dispatcher(no_sleep, "fault")
    else:
        handler = aws_dispatcher(
            "fault",
            no_sleep,
            {
                "aws-access-denied": aws_fault("AccessDeniedException"),
                "aws-configuration-set-missing": aws_fault(
                    "ResourceNotFoundException", ResourceType="configuration-set", ResourceId="smsgate"
                ),
                "aws-spend-limit": aws_fault(
                    "ServiceQuotaExceededException", Reason="MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT"
                ),
                "aws-daily-quota": aws_fault(
                    "ServiceQuotaExceededException", Reason="DAILY_DESTINATION_CALL_LIMIT"
                ),
            }[fault],
        )
    changes = visibility_changes()

    answer = handler(event, context())

    assert failed_records(answer) == [event["Records"][0]["messageId"]]
    assert [(call["ReceiptHandle"], call["VisibilityTimeout"]) for call in changes] == [
        (event["Records"][0]["receiptHandle"], wait)
    ]
    assert status_of(record.message_id) == ("queued", None)
    assert not events.is_applied(f"send#{record.message_id}")
    assert sent_counted(twilio_deployment) == 0  # in no location's rates
    assert '"CarrierInfrastructureFault"' in capsys.readouterr().out


def test_a_full_sender_queue_waits_as_long_as_twilio_advises(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    record = put_queued()
    event = queue_event(twilio_deployment, [record])
    fake_twilio.answer_next(twilio_error(400, 21611, {"Retry-After": "5400"}))
    changes = visibility_changes()

    answer = dispatcher(no_sleep, "queue-full")(event, context())

    assert failed_records(answer) == [event["Records"][0]["messageId"]]
    assert [call["VisibilityTimeout"] for call in changes] == [5400]
    assert fake_twilio.sends_to(record.message_id) == 1  # no retry inside the invocation
    assert status_of(record.message_id) == ("queued", None)
    assert sent_counted(twilio_deployment) == 0


# --- message type and validity (docs/carriers.md#message-type-and-validity) -------------------


def gated(kind: str, expires_in: int | None, to: str = "+447911120143") -> outbound.OutboundRecord:
    """A message through the real send gate, read back from the outbound queue's record."""
    consent_service.record_consent(LOCATION, to, ConsentRequest(source="web form"), "api", datetime.now(UTC))
    body = {"location_id": LOCATION, "from": FROM, "to": to, "body": "Doors open at 9.", "kind": kind}
    if expires_in is not None:
        body["expires_in"] = expires_in
    message = sending.send_message(SendMessageRequest.model_validate(body), datetime.now(UTC))
    url = get_settings().outbound_queue_url
    [received] = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    record = outbound.OutboundRecord.model_validate_json(received["Body"])
    assert record.message_id == message.message_id
    return record


@pytest.mark.parametrize(
    ("kind", "expires_in", "message_type", "time_to_live"),
    [
        ("bulk", None, "PROMOTIONAL", 36000),
        ("campaign", 600, "PROMOTIONAL", 600),
        ("conversation", None, "TRANSACTIONAL", 3600),
        ("workflow", 900, "TRANSACTIONAL", 900),
    ],
)
def test_aws_gets_the_kinds_message_type_and_what_remains_of_the_validity(
    stack: Any,
    location: Any,
    no_sleep: RecordingSleep,
    kind: str,
    expires_in: int | None,
    message_type: str,
    time_to_live: int,
) -> None:
    location(numbers=(FROM,), location_id=LOCATION)
    record = gated(kind, expires_in)
    sent: list[dict[str, Any]] = []

    def expect(stubber: Any) -> None:
        stubber.add_response("send_text_message", {"MessageId": "aws-1"})

    handler = aws_dispatcher("validity", no_sleep, expect)
    app: Any = sys.modules[handler.__module__]
    app.dispatcher.carrier._client.meta.events.register(
        "provide-client-params.pinpoint-sms-voice-v2.SendTextMessage", lambda params, **_: sent.append(params)
    )

    assert failed_records(handler(queue_event(stack, [record]), context())) == []

    [params] = sent
    assert params["MessageType"] == message_type
    # A second or two of the validity went by in the queue.
    assert time_to_live - 5 <= params["TimeToLive"] <= time_to_live


def test_a_message_whose_validity_ran_out_in_the_queue_is_failed_unsent_and_uncounted(
    twilio_deployment: Any, fake_twilio: FakeTwilio, no_sleep: RecordingSleep, dispatcher: Any
) -> None:
    record = put_queued().model_copy(update={"expires_at": datetime.now(UTC)})

    answer = dispatcher(no_sleep, "expired")(queue_event(twilio_deployment, [record]), context())

    assert failed_records(answer) == []
    assert fake_twilio.forms == []
    assert status_of(record.message_id) == ("failed", 30036)
    assert sent_counted(twilio_deployment) == 0
