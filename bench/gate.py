"""The send gate driven through its public entry points, under in-process moto.

The `send_gate` handler is called with API Gateway HTTP API (payload 2.0) events, as the local
stack and the integration tests call it, on the stack created from template.yaml. So the
benchmark measures whatever the gate becomes: every check wired into it later is counted.

Destinations are UK mobiles (+44 7700 9xxxxx, Ofcom's range for drama): outside the US and its
territories, so the 10DLC registration row (docs/policy.md#10dlc-registration) does not apply to them.

    python -m bench.gate          # SMSGATE_BENCH_RECIPIENTS=200 for a quick look
"""

import io
import json
import logging
import os
import time
import uuid
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import aws_calls
from local_stack.moto_server import (
    back_up_transactions_per_item,
    check_update_expressions_once,
    parse_conditions_once,
    parse_update_expressions_once,
)

ROOT = Path(__file__).resolve().parent.parent
SENDER = "+447400123456"


def sender_of(location_id: str) -> str:
    """The sending number of a bench location: a number belongs to one location at most."""
    return f"+447400{zlib.crc32(location_id.encode()) % 10**6:06d}"


# An account older than 8 days: 5,000 messages a day (docs/policy.md#daily-limit).
OLD_ACCOUNT = datetime(2021, 1, 1, tzinfo=UTC)
BODY = "Spring offer: 20% off all whitening this week. Book at the front desk or call us."
BULK_RECIPIENTS = 5000
ROUTE_OPT_INS = 20

_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "TWILIO_AUTH_TOKEN": "local-dev-token",
}


def recipient(index: int) -> str:
    return f"+4477009{index:05d}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class Gate:
    """One warm `send_gate` instance, called as API Gateway calls it."""

    def __init__(self) -> None:
        from local_stack.lambdas import load_handler
        from local_stack.stack import http_routes, load_template

        self.routes = http_routes(load_template())
        self.handler = load_handler(ROOT / "functions" / "send_gate", f"bench_{uuid.uuid4().hex}")

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        from local_stack.api_server import http_api_event
        from local_stack.lambdas import LocalContext

        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                break
        else:
            raise LookupError(f"template.yaml has no route for {method} {path}")
        payload = json.dumps(body).encode() if body is not None else b""
        event = http_api_event(
            method,
            path,
            "",
            {"content-type": "application/json"},
            payload,
            route,
            found.groupdict(),
            "127.0.0.1",
        )
        # Lambda ships a handler's stdout (powertools' EMF metrics: with metrics disabled it still
        # prints every 100 values of one metric) to CloudWatch; here it would break up the table.
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            result = self.handler(event, LocalContext(function_name="send_gate"))
        text = result.get("body") or "{}"
        return Answer(int(result["statusCode"]), json.loads(text) if text.startswith("{") else {"text": text})

    def send(self, location_id: str, phone: str) -> Answer:
        """One `POST /v1/messages` of the bench's body from the location's number to `phone`."""
        request = {
            "location_id": location_id,
            "from": sender_of(location_id),
            "to": phone,
            "body": BODY,
            "kind": "bulk",
        }
        return self.call("POST", "/v1/messages", request)

    def new_location(self, location_id: str) -> None:
        answer = self.call(
            "PUT",
            f"/v1/locations/{location_id}",
            {
                "name": "Bright Smiles Dental",
                "numbers": [sender_of(location_id)],
                "created_at": OLD_ACCOUNT.isoformat(),
            },
        )
        if answer.status not in (200, 201):
            raise RuntimeError(f"location not created: {answer}")

    def opt_in(self, location_id: str, phones: list[str]) -> None:
        """Record each contact's opt-in: the first ones through the consent route, the rest with
        the DynamoDB transaction that route makes (`smsgate.dal.consent.record_consent`).

        The route also answers the contact's view, whose ledger query moto emulates by scanning
        and sorting the location's whole partition: O(n²) over 5,000 opt-ins under moto (not in
        DynamoDB), longer than the whole benchmark may take."""
        self._opt_in_by_route(location_id, phones[:ROUTE_OPT_INS])
        self._opt_in_by_transaction(location_id, phones[ROUTE_OPT_INS:])

    @staticmethod
    def _opt_in_by_transaction(location_id: str, phones: list[str]) -> None:
        from smsgate.dal import consent
        from smsgate.models.entities import ConsentEntry

        now = datetime.now(UTC)
        for phone in phones:
            entry = ConsentEntry(
                entry_id=str(uuid.uuid4()),
                action="opt_in",
                source="web_form",
                evidence="booking form checkbox",
                captured_at=now,
                recorded_at=now,
                actor="bench",
            )
            consent.record_consent(location_id, phone, entry, "opted_in")

    def _opt_in_by_route(self, location_id: str, phones: list[str]) -> None:
        for phone in phones:
            answer = self.call(
                "PUT",
                f"/v1/locations/{location_id}/contacts/{phone.replace('+', '%2B')}/consent",
                {"source": "web_form", "evidence": "booking form checkbox"},
            )
            if answer.status != 200:
                raise RuntimeError(f"consent not recorded: {answer}")


@contextmanager
def _queue_sends_in_constant_time() -> Iterator[None]:
    """moto's SendMessage reads the queue's attributes, which count every message in the queue
    (three list comprehensions over it): O(queue length) per message, O(n²) for a 5,000-message
    bulk (minutes), where SQS takes constant time. While the bench runs the counts are answered
    as 0, which only GetQueueAttributes would show; the messages themselves are kept and sent
    unchanged. moto's own counts are back afterwards (the bench's smoke test shares a process
    with the other tests)."""
    from moto.sqs.models import Queue

    names = (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    )
    counting = {name: vars(Queue)[name] for name in names}
    for name in names:
        setattr(Queue, name, property(lambda _queue: 0))
    try:
        yield
    finally:
        for name, counted in counting.items():
            setattr(Queue, name, counted)


@contextmanager
def gate_stack() -> Iterator[Gate]:
    """A fresh in-process moto backend holding the stack of template.yaml, and the gate on it."""
    from moto import mock_aws

    saved = dict(os.environ)
    os.environ.update(_ENVIRONMENT)  # before powertools reads it, at the first import

    from local_stack.stack import create_stack
    from smsgate.dal import clients
    from smsgate.observability import logger
    from smsgate.settings import get_settings

    level = logger.log_level
    # moto names every template resource its CloudFormation skips, and powertools warns of
    # invocations without metrics: noise around the table, not findings.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"moto\..*|aws_lambda_powertools\..*")
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    aws_calls.install()
    try:
        with mock_aws(), _queue_sends_in_constant_time():
            created = create_stack(None, {"PublicBaseUrl": "http://127.0.0.1:3000"})
            _detach_deleted_event_source_mappings()
            back_up_transactions_per_item()  # as the local stack does: O(items), not O(table)
            parse_conditions_once()  # as the local stack does: one parse of a repeated condition
            parse_update_expressions_once()  # and of a repeated update expression
            check_update_expressions_once()  # and its checks that read no item
            os.environ.update(created.environment)
            os.environ.update(_ENVIRONMENT)
            get_settings.cache_clear()
            clients.reset()  # new clients: new botocore sessions, which carry the counting hooks
            # The handler logs one JSON line per accepted message; 10,000 lines on the terminal
            # would measure the terminal. Lambda ships them to CloudWatch asynchronously.
            logger.setLevel("WARNING")
            yield Gate()
    finally:
        logger.setLevel(level)
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        clients.reset()


def _detach_deleted_event_source_mappings() -> None:
    """create_stack deletes the event source mappings (the local stack consumes the queues
    itself), but moto 5 keeps a deleted mapping attached to its queue and, on every message
    sent, tries to run the function in Docker: tens of ms of emulator work per message that
    AWS would not do. Detach them, as deleting them does in AWS."""
    from moto.sqs.models import sqs_backends

    for queue in sqs_backends[aws_calls.ACCOUNT]["us-east-1"].queues.values():
        queue.lambda_event_source_mappings.clear()


def _per_message(recorder: aws_calls.Recorder, accepted: int, seconds: float, cpu: float) -> dict[str, Any]:
    per = max(accepted, 1)
    return {
        "accepted": accepted,
        "aws_requests": recorder.requests,
        "aws_requests_per_message": recorder.requests / per,
        "requests_by_operation": recorder.by_operation(),
        # Requests writing the daily-limit counter, alone (UpdateItem) or in a send's transaction.
        "counter_writes": len(recorder.writing("DAILY#")),
        "wall_seconds": seconds,
        "cpu_seconds": cpu,
        "write_units": recorder.write_units,
        "read_units": recorder.read_units,
        "write_units_per_message": recorder.write_units / per,
        "read_units_per_message": recorder.read_units / per,
        "sqs_requests": len(recorder.to("sqs")),
        "sqs_billed_requests": recorder.sqs_billed_requests,
        "sqs_billed_requests_per_message": recorder.sqs_billed_requests / per,
    }


def bulk(gate: Gate, recipients: int, location_id: str = "bench-bulk") -> dict[str, Any]:
    """One `POST /v1/messages/bulk` to `recipients` opted-in contacts (opt-ins not counted)."""
    phones = [recipient(index) for index in range(recipients)]
    gate.new_location(location_id)
    gate.opt_in(location_id, phones)
    request = {
        "location_id": location_id,
        "from": sender_of(location_id),
        "body": BODY,
        "kind": "bulk",
        "recipients": phones,
    }
    with aws_calls.recording() as recorder:
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = gate.call("POST", "/v1/messages/bulk", request)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if answer.status != 202:
        raise RuntimeError(f"bulk refused: {answer.status} {str(answer.body)[:300]}")
    result = _per_message(recorder, int(answer.body["accepted"]), seconds, cpu)
    result.update(
        recipients=recipients, failed=len(answer.body["failed"]), skipped=len(answer.body["skipped"])
    )
    return result


def naive(gate: Gate, recipients: int, location_id: str = "bench-naive") -> dict[str, Any]:
    """The same send as one `POST /v1/messages` per recipient."""
    phones = [recipient(index) for index in range(recipients)]
    gate.new_location(location_id)
    gate.opt_in(location_id, phones)
    accepted = 0
    with aws_calls.recording() as recorder:
        started, cpu_started = time.perf_counter(), time.process_time()
        for phone in phones:
            accepted += gate.send(location_id, phone).status == 202
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    result = _per_message(recorder, accepted, seconds, cpu)
    result.update(recipients=recipients)
    return result


def compare(recipients: int = BULK_RECIPIENTS, naive_recipients: int | None = None) -> dict[str, Any]:
    """The bulk and the naive path for the same recipients, in one run and one stack."""
    with gate_stack() as gate:
        bulk_result = bulk(gate, recipients)
        naive_result = naive(gate, naive_recipients or recipients)
    return {
        "bulk": bulk_result,
        "naive": naive_result,
        "ratios": {
            "requests_per_message_naive_over_bulk": naive_result["aws_requests_per_message"]
            / bulk_result["aws_requests_per_message"],
            "wall_per_message_naive_over_bulk": (
                naive_result["wall_seconds"] / max(naive_result["accepted"], 1)
            )
            / (bulk_result["wall_seconds"] / max(bulk_result["accepted"], 1)),
        },
    }


def cost_per_million(result: dict[str, Any], prices: dict[str, float]) -> dict[str, float]:
    """Dollars per million gated messages: units per message × dollars per million units."""
    dynamodb_writes = result["write_units_per_message"] * prices["dynamodb_write_per_million"]
    dynamodb_reads = result["read_units_per_message"] * prices["dynamodb_read_per_million"]
    sqs = result["sqs_billed_requests_per_message"] * prices["sqs_per_million"]
    return {
        "dynamodb_writes": dynamodb_writes,
        "dynamodb_reads": dynamodb_reads,
        "sqs": sqs,
        "total": dynamodb_writes + dynamodb_reads + sqs,
    }


if __name__ == "__main__":
    size = int(os.environ.get("SMSGATE_BENCH_RECIPIENTS", "200"))
    print(json.dumps(compare(size), indent=2))
