"""On the local stack, the release of scheduled messages fires on its own (every 5 s here, every
minute in AWS) and a message due goes to the simulated carrier (docs/scheduling.md#local-stack);
over HTTP, the send gate schedules messages for `send_at` and the recipient's quiet hours, a
cancel stops one, and a bulk over a day-1 location's limit defers its excess to the reset.

The first test puts a message due now in the schedule directly, through
`smsgate.services.scheduling` pointed at the stack's emulated AWS: a `send_at` is at least a
minute ahead."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smsgate.dal import clients, schedule
from smsgate.models.entities import Message, StatusChange
from smsgate.models.schedule import ScheduledMessage
from smsgate.services.scheduling import schedule_messages
from smsgate.settings import get_settings
from tests.e2e.conftest import LocalStack, create_location, opt_in, poll, register_10dlc, sending_numbers

CONTACT = "+447700900431"


@pytest.fixture
def on_the_stack(local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's smsgate code talks to the stack's emulated AWS, as its functions do."""
    state = json.loads(local_stack.state_file.read_text())
    for key, value in state["environment"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_stack.aws_endpoint)
    get_settings.cache_clear()
    clients.reset()
    yield
    get_settings.cache_clear()
    clients.reset()


def test_a_message_due_now_is_released_by_the_schedule_and_delivered(
    local_stack: LocalStack, on_the_stack: None
) -> None:
    sender = sending_numbers()[0]
    location_id = create_location(local_stack, [sender])
    opt_in(local_stack, location_id, CONTACT)
    now = datetime.now(UTC)
    due = schedule.minute_of(now)
    message_id = str(uuid.uuid4())
    body = "Your order is ready. Reply STOP to unsubscribe"
    scheduled = StatusChange(status="scheduled", at=now, reason="send_at")
    schedule_messages(
        [
            Message(
                message_id=message_id,
                location_id=location_id,
                from_number=sender,
                to=CONTACT,
                body=body,
                kind="bulk",
                segments=1,
                encoding="GSM-7",
                status="scheduled",
                created_at=now,
                scheduled_for=due,
                history=(scheduled,),
            )
        ],
        [
            ScheduledMessage(
                message_id=message_id,
                location_id=location_id,
                from_number=sender,
                to=CONTACT,
                body=body,
                kind="bulk",
                segments=1,
                due_at=due,
                reason="send_at",
            )
        ],
    )

    def delivered() -> dict[str, Any] | None:
        message: dict[str, Any] = local_stack.call("GET", f"/v1/messages/{message_id}").json()
        return message if message["status"] == "delivered" else None

    message = poll(delivered, timeout=30)
    statuses = [change["status"] for change in message["history"]]
    assert statuses[:2] == ["scheduled", "queued"]
    queued_at = datetime.fromisoformat(message["history"][1]["at"])
    assert due <= queued_at < due + timedelta(minutes=2)


# Numbers of one time zone each, in states with no rule stricter than the federal window
# (8:00 to 21:00 local, docs/quiet-hours.md#the-rules): at any hour of the day it is night
# in one of them, but between about 22:00 and 1:00 UTC (then the location keeps longer hours).
NIGHT_CANDIDATES = {
    "+12125550161": "America/New_York",
    "+13125550161": "America/Chicago",
    "+13035550161": "America/Denver",
    "+12135550161": "America/Los_Angeles",
    "+18085550161": "Pacific/Honolulu",
    "+16715550161": "Pacific/Guam",
}


def next_local(moment: datetime, zone: str, at: time) -> datetime:
    """The first `at` o'clock in `zone` after `moment`, in UTC."""
    local = moment.astimezone(ZoneInfo(zone))
    candidate = datetime.combine(local.date(), at, tzinfo=ZoneInfo(zone))
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=ZoneInfo(zone))
    return candidate.astimezone(UTC)


def night_recipient(now: datetime) -> tuple[str, str, dict[str, Any]]:
    """A number where it is night now by the default quiet hours (21:00 to 8:00), its zone, and
    the location's fields; else New York with the location quiet from 16:00."""
    for phone, zone in NIGHT_CANDIDATES.items():
        hour = now.astimezone(ZoneInfo(zone)).hour
        # Not within a few minutes of 8:00, so that the morning does not come mid-test.
        if hour >= 21 or hour < 7 or (hour == 7 and now.astimezone(ZoneInfo(zone)).minute < 55):
            return phone, zone, {}
    return (
        "+12125550161",
        "America/New_York",
        {"quiet_hours": {"quiet_from": "16:00", "quiet_until": "08:00"}},
    )


def test_a_campaign_to_a_number_where_it_is_night_is_scheduled_for_its_next_morning(
    local_stack: LocalStack,
) -> None:
    phone, zone, fields = night_recipient(datetime.now(UTC))
    sender = sending_numbers()[0]
    location_id = create_location(local_stack, [sender], **fields)
    register_10dlc(local_stack, location_id, [sender])
    opt_in(local_stack, location_id, phone)

    answer = local_stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": sender,
            "to": phone,
            "body": "Spring sale: 20% off.",
            "kind": "campaign",
        },
    )

    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert (accepted["status"], accepted["reason"]) == ("scheduled", "quiet_hours")
    expected = next_local(datetime.now(UTC) - timedelta(minutes=1), zone, time(8))
    assert datetime.fromisoformat(accepted["scheduled_for"]) == expected
    shown = local_stack.call("GET", f"/v1/messages/{accepted['message_id']}").json()
    assert [(change["status"], change["reason"]) for change in shown["history"]] == [
        ("scheduled", "quiet_hours")
    ]
    # Refused instead when the request says so, with the same minute.
    refused = local_stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": location_id,
            "from": sender,
            "to": phone,
            "body": "Spring sale: 20% off.",
            "kind": "campaign",
            "quiet_hours": "refuse",
        },
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "QUIET_HOURS"
    assert refused.json()["error"]["allowed_from"] == accepted["scheduled_for"]


def test_send_at_ahead_is_delivered_after_it_and_a_cancel_stops_another(local_stack: LocalStack) -> None:
    sender = sending_numbers()[0]
    location_id = create_location(local_stack, [sender])
    kept_to, canceled_to = "+447700900461", "+447700900462"
    opt_in(local_stack, location_id, kept_to)
    opt_in(local_stack, location_id, canceled_to)
    # Ten seconds over the one-minute minimum: both requests must still be a minute ahead when
    # they arrive, on a busy machine too.
    send_at = datetime.now(UTC) + timedelta(seconds=70)

    def schedule(to: str) -> dict[str, Any]:
        answer = local_stack.call(
            "POST",
            "/v1/messages",
            {
                "location_id": location_id,
                "from": sender,
                "to": to,
                "body": "Your table is ready at 8.",
                "kind": "workflow",
                "send_at": send_at.isoformat(),
            },
        )
        assert answer.status_code == 202, answer.text
        accepted: dict[str, Any] = answer.json()
        assert accepted["status"] == "scheduled"
        assert send_at <= datetime.fromisoformat(accepted["scheduled_for"]) < send_at + timedelta(minutes=1)
        return accepted

    kept, canceled = schedule(kept_to), schedule(canceled_to)
    answer = local_stack.call("DELETE", f"/v1/messages/{canceled['message_id']}")
    assert (answer.status_code, answer.json()["status"]) == (200, "canceled"), answer.text

    def delivered() -> dict[str, Any] | None:
        message: dict[str, Any] = local_stack.call("GET", f"/v1/messages/{kept['message_id']}").json()
        return message if message["status"] == "delivered" else None

    message = poll(delivered, timeout=150, interval=1)
    queued = next(change for change in message["history"] if change["status"] == "queued")
    assert datetime.fromisoformat(queued["at"]) >= send_at
    assert local_stack.call("GET", f"/v1/messages/{canceled['message_id']}").json()["status"] == "canceled"
    again = local_stack.call("DELETE", f"/v1/messages/{kept['message_id']}")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "NOT_SCHEDULED")


def test_a_bulk_over_a_day_1_locations_limit_with_defer_answers_the_deferred_count(
    local_stack: LocalStack,
) -> None:
    sender = sending_numbers()[0]
    location_id = create_location(local_stack, [sender])  # created now: day 1, 250 a day
    recipients = [f"+4477009{index:05d}" for index in range(10_000, 10_253)]
    captured = datetime.now(UTC).isoformat()
    imported = local_stack.call(
        "POST",
        f"/v1/locations/{location_id}/contacts/consent:batch",
        {"rows": [{"phone": phone, "source": "web_form", "captured_at": captured} for phone in recipients]},
    )
    assert imported.status_code == 200, imported.text

    answer = local_stack.call(
        "POST",
        "/v1/messages/bulk",
        {
            "location_id": location_id,
            "from": sender,
            "body": "Our new menu is out.",
            "recipients": recipients,
            "when_over_limit": "defer",
        },
    )

    assert answer.status_code == 202, answer.text
    outcome = answer.json()
    assert (outcome["accepted"], outcome["deferred"], outcome["failed"]) == (250, 3, [])
    assert "3 Message(s) will be sent after the limit resets" in outcome["notice"]
    scheduled = [item for item in outcome["messages"] if item["status"] == "scheduled"]
    usage = local_stack.call("GET", f"/v1/locations/{location_id}/usage").json()
    assert [item["scheduled_for"] for item in scheduled] == [
        (datetime.fromisoformat(usage["resets_at"]) + timedelta(seconds=59)).isoformat()
    ] * 3
    assert usage["sent_today"] == 250
