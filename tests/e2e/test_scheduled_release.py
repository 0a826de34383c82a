"""On the local stack, the release of scheduled messages fires on its own (every 5 s here, every
minute in AWS) and a message due now goes to the simulated carrier (docs/scheduling.md#local-stack).

Until the send gate takes `send_at`, the message is scheduled the way the gate will schedule it,
through `smsgate.services.scheduling` pointed at the stack's emulated AWS."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.dal import clients, schedule
from smsgate.models.entities import Message, StatusChange
from smsgate.models.schedule import ScheduledMessage
from smsgate.services.scheduling import schedule_messages
from smsgate.settings import get_settings
from tests.e2e.conftest import LocalStack, create_location, opt_in, poll, sending_numbers

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
