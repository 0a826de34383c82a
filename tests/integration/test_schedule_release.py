"""The schedule and its release, against moto: messages due at a minute are claimed once, gated
again and queued for the dispatcher; a run after an outage catches up; a run with more than it
releases itself fans out through the release queue (docs/scheduling.md). The clock is the
scheduled event's time: no test waits for a minute to pass."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.dal import messages, schedule
from smsgate.models.entities import Message, StatusChange
from smsgate.models.location_requests import ConsentRequest
from smsgate.models.schedule import ScheduledMessage
from smsgate.services import consent
from smsgate.services.scheduling import cancel_scheduled, schedule_messages
from smsgate.settings import get_settings
from tests.integration.conftest import LOCATION, NUMBER, Invoke, drain

# Contacts outside the US: no 10DLC registration stands between these tests and the release.
CONTACTS = [f"+4479111201{index:02d}" for index in range(40)]


def scheduled_event(at: datetime) -> dict[str, Any]:
    return {"detail-type": "Scheduled Event", "source": "aws.events", "time": at.isoformat(), "detail": {}}


def schedule_for(
    due: datetime, recipients: list[str], kind: str = "bulk", when_over_limit: str = "fail"
) -> list[str]:
    """Schedule one message per recipient at `due`, as the send gate will; their ids."""
    rows: list[Message] = []
    entries: list[ScheduledMessage] = []
    for index, to in enumerate(recipients):
        message_id = f"msg-{due:%H%M}-{index:03d}"
        rows.append(
            Message(
                message_id=message_id,
                location_id=LOCATION,
                from_number=NUMBER,
                to=to,
                body="Fresh bread at 7. Reply STOP to unsubscribe",
                kind=kind,
                segments=1,
                encoding="GSM-7",
                status="scheduled",
                created_at=due - timedelta(hours=1),
                scheduled_for=schedule.minute_of(due),
                history=(StatusChange(status="scheduled", at=due - timedelta(hours=1), reason="send_at"),),
            )
        )
        entries.append(
            ScheduledMessage(
                message_id=message_id,
                location_id=LOCATION,
                from_number=NUMBER,
                to=to,
                body=rows[-1].body,
                kind=kind,
                segments=1,
                due_at=due,
                reason="send_at",
                when_over_limit=when_over_limit,
            )
        )
    schedule_messages(rows, entries)
    return [row.message_id for row in rows]


@pytest.fixture
def consenting(location: Callable[..., Any]) -> Callable[[list[str]], None]:
    location()

    def give(phones: list[str]) -> None:
        for phone in phones:
            consent.record_consent(
                LOCATION, phone, ConsentRequest(source="web form"), "api", datetime.now(UTC)
            )

    return give


@pytest.fixture
def release(handler: Callable[[str], Invoke]) -> Invoke:
    return handler("release_scheduled")


def statuses(message_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message_id in message_ids:
        message = messages.get_message(message_id)
        assert message is not None
        found.setdefault(message.status, []).append(message_id)
    return found


def next_minute() -> datetime:
    return schedule.minute_of(datetime.now(UTC)) + timedelta(minutes=2)


def test_a_message_is_released_in_its_minute_once_and_queued_for_the_dispatcher(
    stack: Any, consenting: Callable[[list[str]], None], release: Invoke
) -> None:
    due = next_minute()
    consenting(CONTACTS[:3])
    ids = schedule_for(due + timedelta(seconds=20), CONTACTS[:3])
    schedule.advance_release_cursor(due - timedelta(minutes=2))

    early = release(scheduled_event(due - timedelta(seconds=5)))
    on_time = release(scheduled_event(due + timedelta(seconds=3)))
    again = release(scheduled_event(due + timedelta(seconds=63)))

    assert early["released"] == 0
    assert on_time["released"] == 3
    assert again["released"] == 0
    assert statuses(ids) == {"queued": ids}
    queued = [json.loads(m["Body"]) for m in drain(stack.outputs["OutboundQueueUrl"])]
    assert sorted(record["message_id"] for record in queued) == ids
    first = messages.get_message(ids[0])
    assert first is not None
    assert [(change.status, change.reason) for change in first.history] == [
        ("scheduled", "send_at"),
        ("queued", None),
    ]


def test_the_release_checks_the_gate_again_and_fails_what_no_longer_passes(
    stack: Any, consenting: Callable[[list[str]], None], release: Invoke
) -> None:
    due = next_minute()
    consenting(CONTACTS[:2])  # the third contact never consented
    ids = schedule_for(due, CONTACTS[:3])
    schedule.advance_release_cursor(due - timedelta(minutes=1))

    report = release(scheduled_event(due))

    assert (report["released"], report["failed"]) == (2, 1)
    assert statuses(ids) == {"queued": ids[:2], "failed": ids[2:]}
    refused = messages.get_message(ids[2])
    assert refused is not None
    assert refused.history[-1].reason == "NO_CONSENT"


def test_a_canceled_message_is_never_released_and_a_released_one_cannot_be_canceled(
    stack: Any, consenting: Callable[[list[str]], None], release: Invoke
) -> None:
    due = next_minute()
    consenting(CONTACTS[:2])
    kept, canceled = schedule_for(due, CONTACTS[:2])
    schedule.advance_release_cursor(due - timedelta(minutes=1))

    assert cancel_scheduled(canceled, due - timedelta(seconds=30)) == "canceled"
    report = release(scheduled_event(due))

    assert report["released"] == 1
    assert statuses([kept, canceled]) == {"queued": [kept], "canceled": [canceled]}
    assert cancel_scheduled(kept, due) == "not_scheduled"
    assert cancel_scheduled("no-such-message", due) == "not_found"


def test_a_run_after_an_outage_releases_every_minute_missed(
    stack: Any, consenting: Callable[[list[str]], None], release: Invoke
) -> None:
    start = next_minute()
    consenting(CONTACTS[:6])
    ids = [
        message_id
        for minute in range(6)
        for message_id in schedule_for(start + timedelta(minutes=minute), [CONTACTS[minute]])
    ]
    schedule.advance_release_cursor(start - timedelta(minutes=1))

    report = release(scheduled_event(start + timedelta(minutes=10)))

    assert report["released"] == 6
    assert report["minutes"] == 11
    assert statuses(ids) == {"queued": ids}
    # The current minute stays for the next run to read again.
    assert schedule.release_cursor() == start + timedelta(minutes=9)


def test_claims_are_conditional_so_a_message_leaves_scheduled_once(
    stack: Any, consenting: Callable[[list[str]], None]
) -> None:
    due = next_minute()
    consenting(CONTACTS[:1])
    (message_id,) = schedule_for(due, CONTACTS[:1])

    assert schedule.claim_release(message_id, due, due)
    assert not schedule.claim_release(message_id, due, due)
    assert not schedule.cancel(message_id, due, due)
    assert schedule.due_page(due, schedule.shard_of(message_id)) == ([], None)


def test_more_than_one_run_releases_fans_out_one_queue_message_per_minute_shard(
    stack: Any,
    consenting: Callable[[list[str]], None],
    release: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELEASE_INLINE_MESSAGES", "5")
    get_settings.cache_clear()
    due = next_minute()
    consenting(CONTACTS)
    ids = schedule_for(due, CONTACTS)
    schedule.advance_release_cursor(due - timedelta(minutes=1))
    release_queue = stack.outputs["ReleaseQueueUrl"]

    report = release(scheduled_event(due))
    chunks = drain(release_queue)
    answers = [release({"Records": [sqs_record(chunk, release_queue)]}) for chunk in chunks]

    assert 5 <= report["released"] < len(ids)
    # Every minute-shard the run did not finish itself, one queue message each.
    assert report["queued_chunks"] == len(chunks) <= schedule.SHARDS
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    assert statuses(ids) == {"queued": ids}
    assert len(drain(stack.outputs["OutboundQueueUrl"])) == len(ids)


def sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue_url.rsplit('/', 1)[-1]}",
        "awsRegion": "us-east-1",
    }


def test_over_the_daily_limit_a_deferred_message_waits_for_the_reset_and_goes_then(
    stack: Any, consenting: Callable[[list[str]], None], release: Invoke
) -> None:
    from smsgate.dal import counters, locations
    from smsgate.policy.limits import counter_day, daily_limit, next_reset
    from smsgate.services.profiles import profile_of

    due = next_minute()
    consenting(CONTACTS[:2])
    (deferred,) = schedule_for(due, CONTACTS[:1], when_over_limit="defer")
    (failed,) = schedule_for(due + timedelta(minutes=1), CONTACTS[1:2])
    location = locations.require_location(LOCATION)
    profile = profile_of(location)
    day = counter_day(due, profile)
    limit = daily_limit(location.created_at, due, profile)
    counters.reserve(counters.daily_key(LOCATION, day), limit, limit, counters.daily_expiry(day))
    schedule.advance_release_cursor(due - timedelta(minutes=1))

    report = release(scheduled_event(due + timedelta(minutes=1)))

    assert (report["released"], report["deferred"], report["failed"]) == (0, 1, 1)
    # The first whole minute at or after the reset (a reset at 00:00:01 is due at 00:01).
    limit_resets = next_reset(due, profile)
    reset = schedule.minute_of(limit_resets + timedelta(seconds=59))
    waiting, refused = messages.get_message(deferred), messages.get_message(failed)
    assert waiting is not None and refused is not None
    assert (waiting.status, waiting.scheduled_for) == ("scheduled", reset)
    assert waiting.history[-1].reason == "daily_limit"
    assert (refused.status, refused.history[-1].reason) == ("failed", "DAILY_LIMIT_REACHED")
    entry = schedule.get_scheduled(deferred, reset)
    assert entry is not None and entry.reason == "daily_limit"

    schedule.advance_release_cursor(reset - timedelta(minutes=1))
    after_reset = release(scheduled_event(reset + timedelta(seconds=2)))

    assert after_reset["released"] == 1
    assert statuses([deferred]) == {"queued": [deferred]}
