"""The same-subject limit per contact, through the real send_gate and release_scheduled handlers
against moto (docs/quiet-hours.md#same-subject-limits): at most 3 marketing messages of a
location to a Florida contact in any 24 hours; the 4th waits (or is refused), in a single send,
a bulk and a release, and two racing single sends cannot both be the 4th."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from smsgate.dal import clients, contacts, schedule
from smsgate.services.scheduling import release_chunk
from tests.integration import test_send_later
from tests.integration.test_send_later import (
    DC,
    FROM,
    LOCATION,
    MIAMI,
    NOON,
    Gate,
    bulk,
    message,
    opt_in,
    send,
)

# The fixtures of the send-later tests: a registered location whose gate's clock the test sets,
# and a run of the release at a given instant.
gate = test_send_later.gate
release = test_send_later.release

MIAMI_TOO = "+13055550177"  # Florida as well, a contact with no sends yet
HOUR = timedelta(hours=1)


def three_campaigns(api: Gate, to: str = MIAMI) -> None:
    """Three campaign messages an hour apart from NOON: all go, the limit is then reached."""
    for hour in range(3):
        api.at = NOON + hour * HOUR
        status, answer = send(api, to, kind="campaign")
        assert (status, answer["status"]) == (202, "queued"), answer
    api.at = NOON + 3 * HOUR


def record_of(phone: str) -> tuple[datetime, ...]:
    return contacts.get_contact(LOCATION, phone).subject_sends


def test_the_fourth_campaign_in_24_hours_waits_for_the_first_to_be_24_hours_old(gate: Gate) -> None:
    opt_in(gate, MIAMI, DC)
    three_campaigns(gate)

    status, answer = send(gate, MIAMI, kind="campaign")

    assert status == 202, answer
    assert (answer["status"], answer["reason"]) == ("scheduled", "same_subject")
    assert answer["scheduled_for"] == (NOON + 24 * HOUR).isoformat()  # 12:00 in Miami: in the window
    history = message(gate, answer["message_id"])["history"]
    assert [(change["status"], change["reason"]) for change in history] == [("scheduled", "same_subject")]
    assert record_of(MIAMI) == (NOON, NOON + HOUR, NOON + 2 * HOUR)
    # A bulk message counts as the same subject; a conversation never counts and is never held.
    assert send(gate, MIAMI, kind="bulk")[1]["reason"] == "same_subject"
    assert send(gate, MIAMI, kind="conversation")[1]["status"] == "queued"
    assert record_of(MIAMI) == (NOON, NOON + HOUR, NOON + 2 * HOUR)
    # Washington's law has no such limit.
    for _ in range(4):
        assert send(gate, DC, kind="campaign")[1]["status"] == "queued"
    assert record_of(DC) == ()
    # Once the first is 24 hours old, one more goes.
    gate.at = NOON + 24 * HOUR
    assert send(gate, MIAMI, kind="campaign")[1]["status"] == "queued"


def test_refuse_answers_422_same_subject_limit_with_allowed_from(gate: Gate) -> None:
    opt_in(gate, MIAMI)
    three_campaigns(gate)

    status, answer = send(gate, MIAMI, kind="campaign", quiet_hours="refuse")

    assert (status, answer["error"]["code"]) == (422, "SAME_SUBJECT_LIMIT")
    assert answer["error"]["allowed_from"] == (NOON + 24 * HOUR).isoformat()
    assert (answer["error"]["limit"], answer["error"]["held_by"]) == (3, ["FL"])


@contextmanager
def aws_requests() -> Iterator[list[str]]:
    """The names of the AWS requests this thread's clients make until the block ends."""
    made: list[str] = []
    hooks = [
        (clients.dynamodb().meta.client, "before-call.dynamodb"),
        (clients.sqs(), "before-call.sqs"),
    ]

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    for client, event in hooks:
        client.meta.events.register(event, count)
    try:
        yield made
    finally:
        for client, event in hooks:
            client.meta.events.unregister(event, count)


def test_a_counted_single_send_still_makes_three_aws_requests(gate: Gate) -> None:
    opt_in(gate, MIAMI)
    gate.at = NOON

    with aws_requests() as made:
        status, answer = send(gate, MIAMI, kind="campaign")

    assert (status, answer["status"]) == (202, "queued"), answer
    assert made == ["BatchGetItem", "TransactWriteItems", "SendMessageBatch"]
    assert record_of(MIAMI) == (NOON,)


def test_two_racing_single_sends_cannot_both_be_the_fourth(gate: Gate) -> None:
    """The racer's whole request runs between the first send's read and its transaction (a hook
    on the AWS client, the first time the transaction is about to go): the first send's condition
    on the record it read then fails, and it decides again on the record the racer wrote."""
    opt_in(gate, MIAMI)
    three_campaigns(gate)
    gate.at = NOON + 24 * HOUR + 30 * timedelta(minutes=1)  # the first left the window: room for one
    racer = Gate()
    racer.at = gate.at
    answers: list[dict[str, Any]] = []
    raced: list[bool] = []
    client = clients.dynamodb().meta.client

    def race(**_: Any) -> None:
        if not raced:  # once: the racer's own transaction passes through here too
            raced.append(True)
            answers.append(send(racer, MIAMI, kind="campaign")[1])

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", race)
    try:
        with aws_requests() as made:
            status, first = send(gate, MIAMI, kind="campaign")
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", race)

    assert answers[0]["status"] == "queued"
    assert (status, first["status"], first["reason"]) == (202, "scheduled", "same_subject")
    assert first["scheduled_for"] == (NOON + 25 * HOUR).isoformat()  # when the second is 24 h old
    assert record_of(MIAMI) == (NOON + HOUR, NOON + 2 * HOUR, gate.at)
    # The racer read once; the first send read again after its refused transaction.
    assert made.count("BatchGetItem") == 3


def test_a_bulk_defers_or_fails_the_recipients_over_the_limit_row_by_row(gate: Gate) -> None:
    opt_in(gate, MIAMI, MIAMI_TOO, DC)
    three_campaigns(gate)

    status, preview = bulk(gate, [MIAMI, MIAMI_TOO, DC], kind="campaign", preview=True)
    assert (status, preview["accepted"], preview["failed"]) == (200, 3, [])
    status, answer = bulk(gate, [MIAMI, MIAMI_TOO, DC], kind="campaign")

    assert (status, answer["accepted"], answer["deferred"], answer["failed"]) == (202, 3, 0, []), answer
    shown = {item["to"]: item for item in answer["messages"]}
    assert shown[MIAMI]["status"] == "scheduled"
    assert shown[MIAMI]["scheduled_for"] == (NOON + 24 * HOUR).isoformat()
    assert message(gate, shown[MIAMI]["message_id"])["history"][0]["reason"] == "same_subject"
    assert (shown[MIAMI_TOO]["status"], shown[DC]["status"]) == ("queued", "queued")
    assert record_of(MIAMI_TOO) == (gate.at,)

    status, refused = bulk(gate, [MIAMI, MIAMI_TOO], kind="bulk", quiet_hours="refuse")
    assert refused["failed"] == [{"to": MIAMI, "code": "SAME_SUBJECT_LIMIT"}]
    assert refused["accepted"] == 1


def test_a_bulk_that_does_not_count_keeps_the_contacts_record(gate: Gate) -> None:
    """A bulk writes each contact's outbound item whole: it carries the record it read."""
    opt_in(gate, MIAMI)
    three_campaigns(gate)

    status, answer = bulk(gate, [MIAMI], kind="workflow")  # a workflow the location does not hold
    assert (status, answer["messages"][0]["status"]) == (202, "queued")

    assert record_of(MIAMI) == (NOON, NOON + HOUR, NOON + 2 * HOUR)
    assert send(gate, MIAMI, kind="campaign")[1]["reason"] == "same_subject"


def test_the_release_counts_each_message_it_lets_through_and_defers_the_fourth(
    gate: Gate, release: Callable[[datetime], dict[str, Any]]
) -> None:
    opt_in(gate, MIAMI)
    gate.at = NOON
    due = NOON + 10 * timedelta(minutes=1)
    waiting = [send(gate, MIAMI, kind="campaign", send_at=due.isoformat())[1] for _ in range(4)]
    assert {answer["reason"] for answer in waiting} == {"send_at"}  # nothing sent yet: all may go

    released_at = due + timedelta(seconds=2)
    report = release(released_at)

    assert (report["released"], report["deferred"]) == (3, 1), report
    statuses = [message(gate, answer["message_id"]) for answer in waiting]
    later = [shown for shown in statuses if shown["status"] == "scheduled"]
    assert len(later) == 1
    # The first whole minute once the three released are 24 hours old.
    again = due + 24 * HOUR + timedelta(minutes=1)
    assert later[0]["scheduled_for"] == again.isoformat()
    assert [change["reason"] for change in later[0]["history"]] == ["send_at", "same_subject"]
    assert record_of(MIAMI) == (released_at,) * 3

    # Its minute-shard, released as a run or the release queue does: it goes, the three having
    # left the window.
    chunk = {"minute": again.isoformat(), "shard": schedule.shard_of(later[0]["message_id"])}
    assert release_chunk(chunk, again + timedelta(seconds=2))["released"] == 1
    assert message(gate, later[0]["message_id"])["status"] == "queued"
    assert record_of(MIAMI) == (released_at, released_at, again + timedelta(seconds=2))


def test_the_release_fails_the_fourth_when_the_location_refuses(
    gate: Gate, release: Callable[[datetime], dict[str, Any]]
) -> None:
    status, _, _ = gate(
        "PUT",
        f"/v1/locations/{LOCATION}",
        {"name": "Bright Smiles", "numbers": [FROM], "quiet_hours": {"action": "refuse"}},
    )
    assert status == 200
    opt_in(gate, MIAMI)
    gate.at = NOON
    due = NOON + 10 * timedelta(minutes=1)
    scheduled = send(gate, MIAMI, kind="campaign", send_at=due.isoformat())[1]
    gate.at = due - timedelta(minutes=5)
    for _ in range(3):
        assert send(gate, MIAMI, kind="campaign")[1]["status"] == "queued"

    report = release(due + timedelta(seconds=2))

    assert (report["released"], report["failed"]) == (0, 1), report
    history = message(gate, scheduled["message_id"])["history"]
    assert (history[-1]["status"], history[-1]["reason"]) == ("failed", "SAME_SUBJECT_LIMIT")
    assert len(record_of(MIAMI)) == 3
