"""Messages that go later, through the real send_gate and release_scheduled handlers against moto
(docs/scheduling.md, docs/quiet-hours.md): `send_at`, a cancel, the recipient's quiet hours and a
bulk whose excess waits for the limit's reset. The send gate's clock is set per request and the
release runs at its event's time: no test waits."""

import json
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_stack.lambdas import load_handler
from smsgate.dal import counters
from smsgate.policy.limits import counter_day
from tests.integration.conftest import Invoke, call_api, drain, register_10dlc

ROOT = Path(__file__).resolve().parents[2]
LOCATION = "loc-later"
FROM = "+12025550100"
DC = "+12025550143"  # Washington, DC: Eastern time, the federal window (8:00 to 21:00)
MIAMI = "+13055550143"  # Florida: Eastern time, 8:00 to 20:00
# 12:00 in Washington on 1 December 2026 (EST, UTC-5), and 22:00 the evening before.
NOON = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
NIGHT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 8:00 in Washington


class Gate:
    """The send_gate handler with its clock at `at` (`app.clock`, as the dispatcher's tests set
    theirs): each call is a request received at that instant."""

    def __init__(self) -> None:
        self.handler = load_handler(ROOT / "functions" / "send_gate", f"send-later-{uuid.uuid4().hex[:8]}")
        self.at = NOON
        sys.modules[self.handler.__module__].clock = lambda: self.at

    def __call__(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        return call_api(self.handler, method, path, body)


@pytest.fixture
def gate(stack: Any) -> Gate:
    """A location created at NOON (day 1 of its ramp-up: 250 a day), registered for 10DLC, and
    its contacts' opt-ins as `opt_in` gives them."""
    api = Gate()
    status, answer, _ = api("PUT", f"/v1/locations/{LOCATION}", {"name": "Bright Smiles", "numbers": [FROM]})
    assert status == 201, answer
    register_10dlc(api, LOCATION, [FROM])
    return api


def opt_in(api: Gate, *phones: str) -> None:
    for phone in phones:
        status, answer, _ = api(
            "PUT",
            f"/v1/locations/{LOCATION}/contacts/{phone.replace('+', '%2B')}/consent",
            {"source": "web_form", "evidence": "signup form"},
        )
        assert status == 200, answer


def send(api: Gate, to: str = DC, kind: str = "workflow", **extra: Any) -> tuple[int, dict[str, Any]]:
    body = {"location_id": LOCATION, "from": FROM, "to": to, "body": "Your visit is on Friday.", "kind": kind}
    status, answer, _ = api("POST", "/v1/messages", {**body, **extra})
    return status, answer


def bulk(api: Gate, recipients: list[str], **extra: Any) -> tuple[int, dict[str, Any]]:
    body = {"location_id": LOCATION, "from": FROM, "body": "Flu shots this week.", "recipients": recipients}
    status, answer, _ = api("POST", "/v1/messages/bulk", {**body, **extra})
    return status, answer


def message(api: Gate, message_id: str) -> dict[str, Any]:
    status, answer, _ = api("GET", f"/v1/messages/{message_id}")
    assert status == 200, answer
    return answer


def sent_today(api: Gate) -> int:
    status, usage, _ = api("GET", f"/v1/locations/{LOCATION}/usage")
    assert status == 200, usage
    return int(usage["sent_today"])


@pytest.fixture
def release(handler: Callable[[str], Invoke]) -> Callable[[datetime], dict[str, Any]]:
    """A run of release_scheduled as EventBridge fires it at `at`."""
    invoke = handler("release_scheduled")

    def run(at: datetime) -> dict[str, Any]:
        return invoke({"detail-type": "Scheduled Event", "source": "aws.events", "time": at.isoformat()})

    return run


def test_send_at_must_be_one_minute_to_thirty_days_ahead_with_its_offset(gate: Gate) -> None:
    opt_in(gate, DC)
    for send_at in (
        NOON + timedelta(seconds=30),
        NOON - timedelta(hours=1),
        NOON + timedelta(days=30, minutes=1),
    ):
        status, answer = send(gate, send_at=send_at.isoformat())
        assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR"), send_at
        assert answer["error"]["fields"][0]["field"] == "send_at"
    status, answer = send(gate, send_at="2026-12-01T12:30:00")  # no offset: whose 12:30?
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    status, answer = send(gate, send_at=(NOON + timedelta(days=30)).isoformat())
    assert status == 202, answer


def test_send_at_is_answered_scheduled_and_released_in_its_minute_counted_then(
    gate: Gate, stack: Any, release: Callable[[datetime], dict[str, Any]]
) -> None:
    opt_in(gate, DC)
    # 7:02:30 in Washington's offset: the message waits for the first whole minute after it.
    status, answer = send(gate, send_at="2026-12-01T12:02:30-05:00")

    assert status == 202, answer
    assert answer["status"] == "scheduled"
    assert answer["scheduled_for"] == "2026-12-01T17:03:00+00:00"
    assert answer["body"].endswith("Reply STOP to unsubscribe")  # decorated as it will go
    shown = message(gate, answer["message_id"])
    assert (shown["status"], shown["scheduled_for"]) == ("scheduled", "2026-12-01T17:03:00+00:00")
    assert [(change["status"], change["reason"]) for change in shown["history"]] == [("scheduled", "send_at")]
    assert sent_today(gate) == 0  # counted on the day it is released

    assert release(NOON + timedelta(minutes=2, seconds=40))["released"] == 0
    assert release(NOON + timedelta(minutes=3, seconds=2))["released"] == 1

    assert message(gate, answer["message_id"])["status"] == "queued"
    assert sent_today(gate) == 1
    queued = [json.loads(m["Body"]) for m in drain(stack.outputs["OutboundQueueUrl"])]
    assert [record["message_id"] for record in queued] == [answer["message_id"]]


def test_a_cancel_stops_a_scheduled_message_and_is_refused_once_it_is_queued(
    gate: Gate, release: Callable[[datetime], dict[str, Any]]
) -> None:
    opt_in(gate, DC, MIAMI)
    send_at = (NOON + timedelta(minutes=5)).isoformat()
    _, kept = send(gate, DC, send_at=send_at)
    _, canceled = send(gate, MIAMI, send_at=send_at)

    status, answer, _ = gate("DELETE", f"/v1/messages/{canceled['message_id']}")
    assert (status, answer["status"]) == (200, "canceled"), answer
    assert [change["status"] for change in answer["history"]] == ["scheduled", "canceled"]
    status, answer, _ = gate("DELETE", f"/v1/messages/{canceled['message_id']}")
    assert (status, answer["error"]["code"], answer["error"]["status"]) == (409, "NOT_SCHEDULED", "canceled")

    assert release(NOON + timedelta(minutes=5, seconds=1))["released"] == 1

    status, answer, _ = gate("DELETE", f"/v1/messages/{kept['message_id']}")
    assert (status, answer["error"]["code"], answer["error"]["status"]) == (409, "NOT_SCHEDULED", "queued")
    assert message(gate, canceled["message_id"])["status"] == "canceled"
    assert gate("DELETE", "/v1/messages/no-such-message")[0] == 404
    assert sent_today(gate) == 1


def test_quiet_hours_defer_a_campaign_to_the_recipients_first_allowed_minute(gate: Gate) -> None:
    opt_in(gate, DC)
    gate.at = NIGHT  # 22:00 in Washington

    status, answer = send(gate, kind="campaign")

    assert status == 202, answer
    assert (answer["status"], answer["scheduled_for"]) == ("scheduled", NEXT_MORNING.isoformat())
    history = message(gate, answer["message_id"])["history"]
    assert [(change["status"], change["reason"]) for change in history] == [("scheduled", "quiet_hours")]
    # A conversation is never held; a workflow only when the location says so.
    assert send(gate, kind="conversation")[1]["status"] == "queued"
    assert send(gate, kind="workflow")[1]["status"] == "queued"


def test_a_state_stricter_than_the_federal_window_holds_its_recipients_longer(gate: Gate) -> None:
    opt_in(gate, DC, MIAMI)
    gate.at = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 20:30 in Washington and Miami

    assert send(gate, DC, kind="campaign")[1]["status"] == "queued"  # federal: until 21:00
    status, answer = send(gate, MIAMI, kind="campaign")  # Florida: until 20:00

    assert (status, answer["scheduled_for"]) == (202, "2026-12-02T13:00:00+00:00")


def test_quiet_hours_refuse_answers_422_with_allowed_from_per_location_or_request(gate: Gate) -> None:
    opt_in(gate, DC)
    gate.at = NIGHT

    status, answer = send(gate, kind="campaign", quiet_hours="refuse")
    assert (status, answer["error"]["code"]) == (422, "QUIET_HOURS")
    assert answer["error"]["allowed_from"] == NEXT_MORNING.isoformat()

    status, location, _ = gate(
        "PUT",
        f"/v1/locations/{LOCATION}",
        {
            "name": "Bright Smiles",
            "numbers": [FROM],
            "quiet_hours": {
                "quiet_from": "20:00",
                "quiet_until": "09:00",
                "hold_workflow": True,
                "action": "refuse",
            },
        },
    )
    assert status == 200, location
    assert location["quiet_hours"] == {
        "quiet_from": "20:00:00",
        "quiet_until": "09:00:00",
        "hold_workflow": True,
        "action": "refuse",
    }
    status, answer = send(gate, kind="workflow")
    assert (status, answer["error"]["allowed_from"]) == (422, "2026-12-01T14:00:00+00:00")  # 9:00 there
    status, answer = send(gate, kind="workflow", quiet_hours="defer")
    assert (status, answer["scheduled_for"]) == (202, "2026-12-01T14:00:00+00:00")
    # Hours that do not run across midnight are not quiet hours.
    status, answer, _ = gate(
        "PUT",
        f"/v1/locations/{LOCATION}",
        {"name": "Bright Smiles", "quiet_hours": {"quiet_from": "09:00", "quiet_until": "17:00"}},
    )
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


def recipients(count: int) -> list[str]:
    return [f"+1202555{index:04d}" for index in range(2000, 2000 + count)]


def use_up(count: int, at: datetime) -> None:
    """`count` of the day's limit already spent, as earlier sends would have."""
    day = counter_day(at)
    granted, _ = counters.reserve(counters.daily_key(LOCATION, day), 250, count, counters.daily_expiry(day))
    assert granted == count


def test_a_bulk_over_the_limit_defers_the_excess_to_the_reset_and_counts_it_once_on_release(
    gate: Gate, stack: Any, release: Callable[[datetime], dict[str, Any]]
) -> None:
    phones = recipients(4)
    opt_in(gate, *phones)
    use_up(248, NOON)  # day 1: 250 a day, 2 left

    status, preview = bulk(gate, phones, when_over_limit="defer", preview=True)
    assert (status, preview["accepted"], preview["deferred"], preview["failed"]) == (200, 2, 2, [])
    status, failing = bulk(gate, phones, preview=True)
    assert (failing["accepted"], failing["deferred"], len(failing["failed"])) == (2, 0, 2)

    status, answer = bulk(gate, phones, when_over_limit="defer")

    assert status == 202, answer
    assert (answer["accepted"], answer["deferred"], answer["failed"]) == (2, 2, [])
    assert "2 Message(s) will be sent after the limit resets" in answer["notice"]
    by_status = {}
    for item in answer["messages"]:
        by_status.setdefault(item["status"], []).append(item)
    assert len(by_status["queued"]) == 2
    reset_minute = "2026-12-02T00:01:00+00:00"  # the reset at 00:00:01, whole minute after it
    assert [item["scheduled_for"] for item in by_status["scheduled"]] == [reset_minute] * 2
    deferred = [item["message_id"] for item in by_status["scheduled"]]
    assert message(gate, deferred[0])["history"][0]["reason"] == "daily_limit"
    assert sent_today(gate) == 250
    drain(stack.outputs["OutboundQueueUrl"])

    assert release(datetime(2026, 12, 2, 0, 1, 3, tzinfo=UTC))["released"] == 2
    assert release(datetime(2026, 12, 2, 0, 2, 3, tzinfo=UTC))["released"] == 0

    assert {message(gate, message_id)["status"] for message_id in deferred} == {"queued"}
    assert sent_today(gate) == 250  # the first day's count did not move
    gate.at = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert sent_today(gate) == 2  # counted once, on the day of the release
    assert len(drain(stack.outputs["OutboundQueueUrl"])) == 2


def test_a_single_message_over_the_limit_waits_for_the_reset_when_its_sender_says_defer(gate: Gate) -> None:
    opt_in(gate, DC)
    use_up(250, NOON)

    assert send(gate)[0] == 429
    status, answer = send(gate, when_over_limit="defer")

    assert (status, answer["status"], answer["scheduled_for"]) == (
        202,
        "scheduled",
        "2026-12-02T00:01:00+00:00",
    )
    assert message(gate, answer["message_id"])["history"][0]["reason"] == "daily_limit"


def test_a_released_message_keeps_the_contacts_introduction(
    gate: Gate, release: Callable[[datetime], dict[str, Any]]
) -> None:
    opt_in(gate, DC)
    assert send(gate)[1]["body"].endswith("Reply STOP to unsubscribe")  # the first introduces
    _, later = send(gate, send_at=(NOON + timedelta(minutes=2)).isoformat())
    assert later["body"] == "Your visit is on Friday."

    assert release(NOON + timedelta(minutes=2, seconds=1))["released"] == 1
    gate.at = NOON + timedelta(minutes=3)

    assert send(gate)[1]["body"] == "Your visit is on Friday."  # not introduced a second time
