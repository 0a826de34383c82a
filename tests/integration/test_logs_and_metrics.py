"""Logs and metrics never carry a phone number or a message body in clear
(docs/guarantees.md#logs-and-metrics): a full flow through the real handlers under moto, with every log
level and the events themselves logged."""

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local_stack.consumers import sqs_event
from smsgate.observability import logger, mask_numbers
from tests.integration.conftest import CONTACT, LOCATION, NUMBER, ApiCall, drain
from tests.integration.test_inbound_keyword import inbound_message

SECRET_BODY = "Alice, your biopsy results are ready; call Dr Moreau on +447911120777"
CLEAR = (
    CONTACT,
    CONTACT[1:],
    CONTACT.replace("+", "%2B"),
    NUMBER,
    NUMBER[1:],
    "+447911120777",
    "447911120777",
    "Alice",
    "biopsy",
    "Moreau",
)


@pytest.fixture
def everything_logged(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """DEBUG lines, every handler's incoming event (powertools' log_event) and the EMF metrics,
    all captured. Set before the handlers load: powertools reads log_event at decoration."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    buffer = io.StringIO()
    handler: Any = logger.registered_handler
    previous_stream, previous_level = handler.setStream(buffer), logger.log_level
    logger.setLevel("DEBUG")
    try:
        yield buffer
    finally:
        handler.setStream(previous_stream)
        logger.setLevel(previous_level)


def consume(invoke: Any, queue_url: str) -> int:
    """Feed every message waiting on a queue to a consumer's handler; how many there were."""
    messages = drain(queue_url)
    arn = "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1]
    for message in messages:
        assert invoke(sqs_event([message], arn, "us-east-1")) == {"batchItemFailures": []}
    return len(messages)


def test_a_full_flow_logs_and_measures_no_number_and_no_body_in_clear(
    everything_logged: io.StringIO,
    stack: Any,
    location: Any,
    send_gate: ApiCall,
    handler: Any,
    dispatcher: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    location()
    consent = f"/v1/locations/{LOCATION}/contacts/{CONTACT.replace('+', '%2B')}/consent"
    assert send_gate("PUT", consent, {"source": "web_form", "evidence": "form"})[0] == 200
    body = {"location_id": LOCATION, "from": NUMBER, "to": CONTACT, "body": SECRET_BODY, "kind": "workflow"}
    assert send_gate("POST", "/v1/messages", body)[0] == 202
    refused = {**body, "to": "+447911120143", "body": "Alice, your cannabis order"}
    assert send_gate("POST", "/v1/messages", refused)[0] == 422
    assert send_gate("POST", "/v1/messages", {**body, "to": "447911120143"})[0] == 400

    outputs = stack.outputs
    run_dispatcher = dispatcher()

    def dispatch(event: dict[str, Any]) -> Any:
        from local_stack.lambdas import LocalContext

        return run_dispatcher(event, LocalContext(function_name="dispatcher"))

    assert consume(dispatch, outputs["OutboundQueueUrl"]) == 1
    assert consume(handler("status_callback"), outputs["CarrierEventsQueueUrl"]) >= 1
    boto3.client("sns").publish(
        TopicArn=outputs["InboundTopicArn"], Message=json.dumps(inbound_message("twilio", "STOP"))
    )
    assert consume(handler("inbound_keyword"), outputs["InboundQueueUrl"]) == 1
    assert consume(dispatch, outputs["OutboundQueueUrl"]) == 1  # the STOP's confirmation

    logged = everything_logged.getvalue()
    metrics = capsys.readouterr().out
    assert '"_aws"' in metrics  # the EMF lines were written
    assert "reply applied" in logged and '"Records"' in logged  # the events were logged, masked
    for clear in CLEAR:
        assert clear not in logged, clear
        assert clear not in metrics, clear


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to +447911120143 now", "to +***43 now"),
        ("path /contacts/%2B12025550143/consent", "path /contacts/+***43/consent"),
        ("bare 12025550143.", "bare +***43."),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        (
            "at 2024-05-01T10:00:00+00:00, 1-5759e988-bd862e3f",
            "at 2024-05-01T10:00:00+00:00, 1-5759e988-bd862e3f",
        ),
        ("segments 10, error 30003", "segments 10, error 30003"),
    ],
)
def test_the_formatter_masks_numbers_and_leaves_the_rest(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


def test_an_uncaught_error_is_logged_masked_and_reaches_the_runtime_without_its_data(
    log_lines: io.StringIO, stack: Any, handler: Any
) -> None:
    """The runtime logs the exception a handler raises, message and traceback, in clear: what it
    receives names only the error's type, and the traceback is in a masked log line."""
    from smsgate.observability import UnhandledError

    # A record whose body is no outbound message: the dispatcher's parser quotes its input.
    event = sqs_event([], "arn:aws:sqs:us-east-1:123456789012:outbound", "us-east-1")
    event["Records"] = [{"body": f'{{"to": "{CONTACT}", "body": "{SECRET_BODY}"}}'}]

    with pytest.raises(UnhandledError) as raised:
        handler("dispatcher")(event)

    assert not [clear for clear in CLEAR if clear in str(raised.value)]
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    [logged] = [line for line in lines if line["message"] == "unhandled error"]
    assert logged["level"] == "ERROR" and "Traceback" in logged["exception"]
    assert not [clear for clear in CLEAR[:6] if clear in json.dumps(logged)]
