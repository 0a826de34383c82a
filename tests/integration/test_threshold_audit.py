"""The threshold_audit handler under moto: the audit's notices and suspensions
(docs/audit.md#once-per-window, docs/policy.md#suspension).

Counters are written by the DAL the consumers use (`dal.audit.count`) or by the real send,
dispatch, receipt and reply handlers; notices are read from an SQS queue subscribed to the
Alerts topic, as an e-mail subscriber would get them.
"""

import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_stack.consumers import sqs_event
from local_stack.lambdas import LocalContext, load_handler
from smsgate.dal import audit
from smsgate.services.dispatch import Dispatcher
from smsgate.settings import get_settings
from tests.integration.conftest import ApiCall, drain, register_10dlc

ROOT = Path(__file__).resolve().parents[2]
SCHEDULED = json.loads((ROOT / "events" / "threshold_audit" / "scheduled.json").read_text())
NUMBER = "+12025550188"
HOUR = timedelta(hours=1)

Audit = Callable[..., dict[str, Any]]


@pytest.fixture
def alerts(stack: Any) -> Callable[[], list[dict[str, Any]]]:
    """The notices published to the Alerts topic since the last call (SNS → SQS, as e-mail gets them)."""
    sqs: Any = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=stack.outputs["AlertsTopicArn"], Protocol="sqs", Endpoint=arn)

    def read() -> list[dict[str, Any]]:
        notices = []
        for message in drain(url):
            envelope = json.loads(message["Body"])
            notices.append({"subject": envelope["Subject"], **json.loads(envelope["Message"])})
        return sorted(notices, key=lambda notice: (notice["location_id"], notice["kind"]))

    return read


@pytest.fixture
def run_audit(stack: Any) -> Audit:
    """The real threshold_audit handler, fired by a scheduled event for `at` (now by default)."""
    handler = load_handler(ROOT / "functions" / "threshold_audit", uuid.uuid4().hex)

    def fire(at: datetime | None = None) -> dict[str, Any]:
        moment = at or datetime.now(UTC)
        event = {**SCHEDULED, "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
        return dict(handler(event, LocalContext(function_name="threshold_audit")))

    return fire


@pytest.fixture
def min_sample(monkeypatch: pytest.MonkeyPatch, stack: Any) -> Iterator[Callable[[int], None]]:
    def set_to(value: int) -> None:
        monkeypatch.setenv("AUDIT_MIN_SAMPLE", str(value))
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()


def logged(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


def put_location(send_gate: ApiCall, location_id: str, numbers: tuple[str, ...] = (NUMBER,)) -> None:
    status, body, _ = send_gate(
        "PUT",
        f"/v1/locations/{location_id}",
        {"name": f"Shop {location_id}", "numbers": list(numbers), "created_at": "2023-01-01T00:00:00Z"},
    )
    assert status in (200, 201), body


def count(
    location_id: str, at: datetime, *, sent: int, failed: int = 0, undelivered: int = 0, opt_outs: int = 0
) -> None:
    """Counters as the dispatcher (sent), status_callback (failed, undelivered) and inbound_keyword
    (opt_outs) write them."""
    audit.count(location_id, at, {"sent": sent})
    if failed:
        audit.count(location_id, at, {"failed": failed}, 30008)
    if undelivered:
        audit.count(location_id, at, {"undelivered": undelivered}, 30004)
    if opt_outs:
        audit.count(location_id, at, {"opt_outs": opt_outs})


def location(send_gate: ApiCall, location_id: str) -> dict[str, Any]:
    status, body, _ = send_gate("GET", f"/v1/locations/{location_id}")
    assert status == 200, body
    return body


# The thresholds of docs/policy.md#audit-thresholds, each at and just under its threshold, over
# 10,000 messages.
BOUNDARIES = {
    "err-7-99": ({"failed": 799}, None),
    "err-8-00": ({"failed": 400, "undelivered": 400}, "violation"),
    "err-12-49": ({"undelivered": 1249}, "violation"),
    "err-12-50": ({"undelivered": 1250}, "suspension"),
    "opt-0-99": ({"opt_outs": 99}, None),
    "opt-1-00": ({"opt_outs": 100}, "violation"),
    "opt-2-49": ({"opt_outs": 249}, "violation"),
    "opt-2-50": ({"opt_outs": 250}, "suspension"),
}


def test_boundaries_are_inclusive_and_a_second_run_sends_no_second_notice(
    send_gate: ApiCall, run_audit: Audit, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    now = datetime.now(UTC)
    for location_id, (errors, _) in BOUNDARIES.items():
        put_location(send_gate, location_id, numbers=())  # a number belongs to one location at most
        count(location_id, now - HOUR, sent=10_000, **errors)
    # Below the minimum sample (100): every one of 99 messages failed, and nothing happens.
    put_location(send_gate, "tiny", numbers=())
    count("tiny", now, sent=99, undelivered=99)

    report = run_audit(now)

    expected = {location_id: kind for location_id, (_, kind) in BOUNDARIES.items() if kind}
    notices = alerts()
    assert {notice["location_id"]: notice["kind"] for notice in notices} == expected
    assert (report["audited"], report["warned"], report["suspended"]) == (9, 4, 2)
    at_8 = next(notice for notice in notices if notice["location_id"] == "err-8-00")
    assert at_8["subject"] == "smsgate violation: location err-8-00"
    assert (at_8["sent"], at_8["failed"], at_8["undelivered"], at_8["error_rate"]) == (10_000, 400, 400, 0.08)
    assert at_8["breached"] == ["error_rate"]
    assert at_8["thresholds"]["violation"] == {"error_rate": 0.08, "opt_out_rate": 0.01}
    for location_id, kind in {**expected, "err-7-99": None, "tiny": None}.items():
        status = {"violation": "warned", "suspension": "suspended", None: "active"}[kind]
        assert location(send_gate, location_id)["status"] == status, location_id

    # The same run again, and the next hourly runs over the sliding window: no second notice.
    again = run_audit(now)
    later = run_audit(now + HOUR)
    assert alerts() == []
    assert (again["warned"], again["suspended"], later["warned"], later["suspended"]) == (0, 0, 0, 0)


def test_once_per_window_a_new_window_with_new_violations_is_noticed_again(
    send_gate: ApiCall, run_audit: Audit, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    start = datetime.now(UTC).replace(minute=30) - 48 * HOUR
    put_location(send_gate, "repeat")
    count("repeat", start, sent=1000, failed=90)
    run_audit(start)
    assert [notice["kind"] for notice in alerts()] == ["violation"]
    for hours in (1, 12, 23):
        run_audit(start + hours * HOUR)
    assert alerts() == []
    # 24 hours on, the window no longer holds the first violation's hour: only new messages count.
    count("repeat", start + 24 * HOUR, sent=1000, failed=90)
    run_audit(start + 24 * HOUR)
    [notice] = alerts()
    assert notice["window"]["start"] == (start + HOUR).replace(minute=0, second=0, microsecond=0).isoformat()


def test_a_violation_that_worsens_is_suspended_in_the_same_window(
    send_gate: ApiCall, run_audit: Audit, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    now = datetime.now(UTC)
    put_location(send_gate, "worse")
    count("worse", now - 2 * HOUR, sent=1000, opt_outs=10)
    run_audit(now - HOUR)
    count("worse", now, sent=0, opt_outs=20)
    run_audit(now)
    run_audit(now)
    notices = alerts()
    assert [(notice["kind"], notice["opt_outs"]) for notice in notices] == [
        ("suspension", 30),
        ("violation", 10),
    ]
    [suspension] = [notice for notice in notices if notice["kind"] == "suspension"]
    assert suspension["suspended_until"] == (now.replace(microsecond=0) + 72 * HOUR).isoformat()


def consented_contact(send_gate: ApiCall, location_id: str, phone: str) -> None:
    status, body, _ = send_gate(
        "PUT", f"/v1/locations/{location_id}/contacts/%2B{phone[1:]}/consent", {"source": "web form"}
    )
    assert status == 200, body


def send(send_gate: ApiCall, location_id: str, to: str) -> tuple[int, dict[str, Any]]:
    status, body, _ = send_gate(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": NUMBER,
            "to": to,
            "body": "Your order is ready.",
            "kind": "workflow",
        },
    )
    return status, body


def test_a_suspension_refuses_sends_until_an_operator_lifts_it_and_is_not_put_again_in_that_window(
    send_gate: ApiCall, run_audit: Audit, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    now = datetime.now(UTC)
    put_location(send_gate, "bad")
    consented_contact(send_gate, "bad", "+447911120143")
    count("bad", now, sent=200, undelivered=25)
    run_audit(now)
    assert [notice["kind"] for notice in alerts()] == ["suspension"]

    status, body = send(send_gate, "bad", "+447911120143")
    assert (status, body["error"]["code"]) == (403, "LOCATION_SUSPENDED")
    _, health, _ = send_gate("GET", "/v1/locations/bad/health")
    assert health["status"] == "suspended"
    assert health["suspended_until"] == (now.replace(microsecond=0) + 72 * HOUR).isoformat()

    status, lifted, _ = send_gate("DELETE", "/v1/locations/bad/suspension")
    assert (status, lifted["status"], lifted["suspended_until"]) == (200, "active", None)
    status, body = send(send_gate, "bad", "+447911120143")
    assert status == 202, body
    # The next hourly run still sees 12.5 % in its window; the operator's decision stands.
    run_audit(now + HOUR)
    assert alerts() == []
    assert location(send_gate, "bad")["status"] == "active"
    # Lifting a location that is not suspended changes nothing.
    status, again, _ = send_gate("DELETE", "/v1/locations/bad/suspension")
    assert (status, again["status"]) == (200, "active")
    status, missing, _ = send_gate("DELETE", "/v1/locations/nobody/suspension")
    assert (status, missing["error"]["code"]) == (404, "LOCATION_NOT_FOUND")


def test_a_suspension_ends_by_itself_after_the_suspension_hours(
    send_gate: ApiCall, run_audit: Audit, alerts: Callable[[], list[dict[str, Any]]]
) -> None:
    then = datetime.now(UTC) - 73 * HOUR
    put_location(send_gate, "ended")
    consented_contact(send_gate, "ended", "+447911120143")
    count("ended", then, sent=100, failed=13)
    run_audit(then)
    [notice] = alerts()
    assert notice["suspended_until"] == (then.replace(microsecond=0) + 72 * HOUR).isoformat()

    status, body = send(send_gate, "ended", "+447911120143")
    assert status == 202, body
    _, health, _ = send_gate("GET", "/v1/locations/ended/health")
    assert (health["status"], health["suspended_until"], health["sent"]) == ("active", None, 0)


def test_health_shows_the_window_counts_rates_and_thresholds(send_gate: ApiCall) -> None:
    now = datetime.now(UTC)
    put_location(send_gate, "healthy")
    count("healthy", now, sent=150, failed=3, undelivered=9, opt_outs=1)
    audit.count("healthy", now, {"delivered": 138})
    count("healthy", now - 30 * HOUR, sent=1000, failed=1000)  # outside the 24-hour window

    status, health, _ = send_gate("GET", "/v1/locations/healthy/health")

    assert status == 200, health
    assert {key: health[key] for key in ("sent", "delivered", "failed", "undelivered", "opt_outs")} == {
        "sent": 150,
        "delivered": 138,
        "failed": 3,
        "undelivered": 9,
        "opt_outs": 1,
    }
    assert (health["error_rate"], health["opt_out_rate"]) == (0.08, 0.006667)
    assert set(health["errors_by_code"]) == {"30004", "30008"}  # `count` writes each code once
    assert (health["status"], health["verdict"], health["min_sample"]) == ("active", "violation", 100)
    assert health["thresholds"] == {
        "violation": {"error_rate": 0.08, "opt_out_rate": 0.01},
        "suspension": {"error_rate": 0.125, "opt_out_rate": 0.025},
        "min_sample": 100,
    }
    start = datetime.fromisoformat(health["window"]["start"])
    end = datetime.fromisoformat(health["window"]["end"])
    assert timedelta(hours=23) < end - start <= timedelta(hours=24)
    status, missing, _ = send_gate("GET", "/v1/locations/nobody/health")
    assert (status, missing["error"]["code"]) == (404, "LOCATION_NOT_FOUND")


def test_a_run_over_more_locations_than_a_chunk_fans_out_through_the_audit_queue(
    stack: Any,
    send_gate: ApiCall,
    alerts: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AUDIT_CHUNK_LOCATIONS", "2")
    get_settings.cache_clear()
    handler = load_handler(ROOT / "functions" / "threshold_audit", uuid.uuid4().hex)
    now = datetime.now(UTC)
    for index in range(5):
        put_location(send_gate, f"fan-{index}", numbers=())
        count(f"fan-{index}", now, sent=100, failed=8 if index % 2 else 0)
    event = {**SCHEDULED, "time": now.strftime("%Y-%m-%dT%H:%M:%SZ")}

    report = handler(event, LocalContext(function_name="threshold_audit"))
    assert (report["active_locations"], report["queued_chunks"], report["audited"]) == (5, 3, 0)
    assert alerts() == []

    chunks = drain(stack.outputs["AuditQueueUrl"])
    answers = [
        handler(
            sqs_event([chunk], "arn:aws:sqs:us-east-1:123456789012:AuditQueue", "us-east-1"),
            LocalContext("threshold_audit"),
        )
        for chunk in chunks
    ]
    assert answers == [{"batchItemFailures": []}] * 3
    assert sorted(json.loads(chunk["Body"])["locations"] for chunk in chunks) == [
        ["fan-0", "fan-1"],
        ["fan-2", "fan-3"],
        ["fan-4"],
    ]
    assert [notice["location_id"] for notice in alerts()] == ["fan-1", "fan-3"]
    get_settings.cache_clear()


def test_counts_from_the_real_send_receipt_and_reply_handlers_suspend_a_location(
    stack: Any,
    send_gate: ApiCall,
    run_audit: Audit,
    alerts: Callable[[], list[dict[str, Any]]],
    min_sample: Callable[[int], None],
    log_lines: io.StringIO,
) -> None:
    """10 messages through the gate, the dispatcher (simulated carrier) and status_callback; two
    go to numbers the simulator answers undelivered (30004, 30005): 20 % errors; one STOP."""
    min_sample(10)
    put_location(send_gate, "pipeline")
    contacts = [f"+447911{index:02d}{suffix}" for index, suffix in enumerate(["3004", "3005"] + ["0143"] * 8)]
    for contact in contacts:
        consented_contact(send_gate, "pipeline", contact)
        status, body = send(send_gate, "pipeline", contact)
        assert status == 202, body
    deliver_everything(stack)
    stop = {
        "source": "smsgate.simulator",
        "inboundId": f"SIMIN-{uuid.uuid4()}",
        "from": contacts[-1],
        "to": NUMBER,
        "body": "STOP",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    boto3.client("sns").publish(TopicArn=stack.outputs["InboundTopicArn"], Message=json.dumps(stop))
    consume(stack, "InboundQueueUrl", "inbound_keyword")

    _, health, _ = send_gate("GET", "/v1/locations/pipeline/health")
    assert {key: health[key] for key in ("sent", "delivered", "undelivered", "opt_outs")} == {
        "sent": 10,
        "delivered": 8,
        "undelivered": 2,
        "opt_outs": 1,
    }
    assert (health["error_rate"], health["opt_out_rate"], health["verdict"]) == (0.2, 0.1, "suspension")

    run_audit()
    [notice] = alerts()
    assert (notice["kind"], notice["breached"]) == ("suspension", ["error_rate", "opt_out_rate"])
    assert notice["errors_by_code"] == {"30004": 1, "30005": 1}
    actions = [line for line in logged(log_lines) if line["message"].startswith("audit action")]
    assert [(line["action"], line["location_id"], line["sent"]) for line in actions] == [
        ("suspension", "pipeline", 10)
    ]
    assert not any(contact[1:] in log_lines.getvalue() for contact in contacts)
    status, body = send(send_gate, "pipeline", contacts[2])
    assert (status, body["error"]["code"]) == (403, "LOCATION_SUSPENDED")


def consume(stack: Any, queue_output: str, function: str) -> None:
    """Every message of a queue through the real consumer, as Lambda's event source mapping would."""
    handler = load_handler(ROOT / "functions" / function, uuid.uuid4().hex[:8])
    if function == "dispatcher":
        app: Any = sys.modules[handler.__module__]
        app.dispatcher = Dispatcher.from_settings(get_settings(), app.clock, sleep=lambda _: None)
    sqs: Any = boto3.client("sqs")
    url = stack.outputs[queue_output]
    while page := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        event = sqs_event(page, f"arn:aws:sqs:us-east-1:123456789012:{queue_output}", "us-east-1")
        assert handler(event, LocalContext(function_name=function)) == {"batchItemFailures": []}
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(page)],
        )


def deliver_everything(stack: Any) -> None:
    consume(stack, "OutboundQueueUrl", "dispatcher")
    consume(stack, "CarrierEventsQueueUrl", "status_callback")


def test_the_report_flags_approved_campaigns_without_numbers(
    send_gate: ApiCall, run_audit: Audit, log_lines: io.StringIO
) -> None:
    put_location(send_gate, "idle")
    register_10dlc(send_gate, "idle", [])
    put_location(send_gate, "busy", ("+12025550177",))
    register_10dlc(send_gate, "busy", ["+12025550177"])

    report = run_audit()

    assert report["campaigns_without_numbers"] == ["idle"]
    flagged = [line for line in logged(log_lines) if line.get("action") == "flag_non_usage"]
    assert [(line["action"], line["location_ids"]) for line in flagged] == [("flag_non_usage", ["idle"])]


def test_the_sample_events_are_accepted_by_the_handler(stack: Any, send_gate: ApiCall) -> None:
    """events/threshold_audit: the schedule's event and one fanned-out chunk (sam local invoke -e)."""
    handler = load_handler(ROOT / "functions" / "threshold_audit", uuid.uuid4().hex)
    put_location(send_gate, "bright-smiles")
    count("bright-smiles", datetime(2025, 1, 20, 18, 40, tzinfo=UTC), sent=100, failed=13)
    chunk = json.loads((ROOT / "events" / "threshold_audit" / "audit_chunk.json").read_text())

    assert handler(chunk, LocalContext("threshold_audit")) == {"batchItemFailures": []}
    report = handler(SCHEDULED, LocalContext("threshold_audit"))
    assert (report["at"], report["active_locations"], report["suspended"]) == (
        "2025-01-20T19:00:00+00:00",
        1,
        0,
    )
    # Suspended by the chunk of 2025-01-20 19:00 for 72 hours, long over by now.
    shown = location(send_gate, "bright-smiles")
    assert (shown["status"], shown["suspended_until"]) == ("active", "2025-01-23T19:00:00+00:00")
