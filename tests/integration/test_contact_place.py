"""A contact's recorded place (time zone, state) through the real send_gate and release_scheduled
handlers against moto (docs/quiet-hours.md#where-the-recipient-is): recorded and shown over the
API, and placing the recipient before its number for the single send, the bulk and a deferral
at a release. The clocks are set, as in test_send_later."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import aws_calls
from smsgate.dal import clients
from tests.integration.test_send_later import (
    DC,
    LOCATION,
    NEXT_MORNING,
    NIGHT,
    NOON,
    Gate,
    bulk,
    gate,  # noqa: F401 - a fixture
    message,
    opt_in,
    release,  # noqa: F401 - a fixture
    send,
    use_up,
)

OTHER_DC = "+12025550144"


def place_path(phone: str, location_id: str = LOCATION) -> str:
    return f"/v1/locations/{location_id}/contacts/{phone.replace('+', '%2B')}/place"


def record_place(api: Gate, phone: str, **place: Any) -> dict[str, Any]:
    status, answer, _ = api("PUT", place_path(phone), place)
    assert status == 200, answer
    return answer


def test_a_contacts_place_is_recorded_shown_replaced_and_removed(gate: Gate) -> None:  # noqa: F811
    answer = record_place(gate, DC, time_zone="America/Los_Angeles", state="CA")

    assert answer["place"] == {
        "time_zone": "America/Los_Angeles",
        "state": "CA",
        "recorded_at": "2026-12-01T17:00:00Z",  # NOON
    }
    status, shown, _ = gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B12025550143")
    assert (status, shown["place"]) == (200, answer["place"])
    # A request replaces the place as a whole; `{}` removes it.
    assert record_place(gate, DC, state="FL")["place"]["time_zone"] is None
    assert record_place(gate, DC)["place"] is None


def test_a_place_that_is_not_a_time_zone_or_a_state_is_refused(gate: Gate) -> None:  # noqa: F811
    for body, field in (
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"state": "ZZ"}, "state"),
        ({"time_zone": "America/Chicago", "city": "Chicago"}, "city"),
    ):
        status, answer, _ = gate("PUT", place_path(DC), body)
        assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR"), answer
        assert field in {item["field"] for item in answer["error"]["fields"]}, answer
    status, answer, _ = gate("PUT", place_path(DC, "no-such-location"), {"time_zone": "UTC"})
    assert (status, answer["error"]["code"]) == (404, "LOCATION_NOT_FOUND")
    status, shown, _ = gate("GET", f"/v1/locations/{LOCATION}/contacts/%2B12025550143")
    assert shown["place"] is None


def test_the_recorded_time_zone_places_a_single_send_before_the_number(gate: Gate) -> None:  # noqa: F811
    opt_in(gate, DC, OTHER_DC)
    record_place(gate, OTHER_DC, time_zone="America/Los_Angeles")
    gate.at = NIGHT  # 22:00 in Washington, 19:00 in Los Angeles

    held = send(gate, DC, kind="campaign")[1]
    allowed = send(gate, OTHER_DC, kind="campaign")[1]

    assert (held["status"], held["scheduled_for"]) == ("scheduled", NEXT_MORNING.isoformat())
    assert allowed["status"] == "queued", allowed


def test_a_recorded_state_brings_its_rules_with_it(gate: Gate) -> None:  # noqa: F811
    opt_in(gate, DC, OTHER_DC)
    record_place(gate, OTHER_DC, state="FL")  # a Washington number, its owner in Florida
    gate.at = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 20:30 Eastern: past Florida's 20:00

    assert send(gate, DC, kind="campaign")[1]["status"] == "queued"
    status, answer = send(gate, OTHER_DC, kind="campaign")

    assert (status, answer["scheduled_for"]) == (202, "2026-12-02T13:00:00+00:00"), answer


def test_a_recorded_state_brings_its_same_subject_limit(gate: Gate) -> None:  # noqa: F811
    """Florida allows three marketing messages to a person in 24 hours; Washington, DC no limit."""
    opt_in(gate, DC, OTHER_DC)
    record_place(gate, OTHER_DC, state="FL")
    for hour in range(3):
        gate.at = NOON + timedelta(hours=hour)
        assert send(gate, OTHER_DC, kind="campaign")[1]["status"] == "queued"
        assert send(gate, DC, kind="campaign")[1]["status"] == "queued"
    gate.at = NOON + timedelta(hours=3)  # 15:00 Eastern: inside every window

    assert send(gate, DC, kind="campaign")[1]["status"] == "queued"
    status, answer = send(gate, OTHER_DC, kind="campaign")

    assert (status, answer["status"], answer["reason"]) == (202, "scheduled", "same_subject"), answer
    assert answer["scheduled_for"] == (NOON + timedelta(hours=24)).isoformat()


def test_a_bulk_places_each_recipient_by_its_recorded_time_zone(gate: Gate) -> None:  # noqa: F811
    opt_in(gate, DC, OTHER_DC)
    record_place(gate, OTHER_DC, time_zone="America/Los_Angeles")
    gate.at = NIGHT

    status, answer = bulk(gate, [DC, OTHER_DC], kind="campaign")

    assert (status, answer["accepted"]) == (202, 2), answer
    by_to = {item["to"]: item for item in answer["messages"]}
    assert (by_to[DC]["status"], by_to[DC]["scheduled_for"]) == ("scheduled", NEXT_MORNING.isoformat())
    assert by_to[OTHER_DC]["status"] == "queued"


def test_a_deferral_at_the_release_waits_for_the_recorded_time_zones_morning(
    gate: Gate,  # noqa: F811
    release: Callable[[datetime], dict[str, Any]],  # noqa: F811
) -> None:
    """Over the daily limit at its release, a message waits for the reset (00:00:01 UTC): 19:00
    in Washington, but past midnight in London, where this Washington number's owner lives."""
    opt_in(gate, DC)
    record_place(gate, DC, time_zone="Europe/London")
    due = NOON + timedelta(minutes=2)
    _, later = send(gate, DC, kind="campaign", send_at=due.isoformat(), when_over_limit="defer")
    use_up(250, NOON)

    report = release(due + timedelta(seconds=1))

    assert report["deferred"] == 1, report
    waiting = message(gate, later["message_id"])
    assert (waiting["status"], waiting["scheduled_for"]) == ("scheduled", "2026-12-02T08:00:00+00:00")
    assert [change["reason"] for change in waiting["history"]] == ["send_at", "daily_limit"]


def test_a_single_send_to_a_placed_contact_still_costs_three_aws_requests(gate: Gate) -> None:  # noqa: F811
    """The recorded place comes with the contact in the send's one batched read
    (docs/send-path.md#three-requests-for-one-message)."""
    opt_in(gate, DC)
    record_place(gate, DC, time_zone="America/Los_Angeles", state="CA")
    gate.at = NIGHT
    aws_calls.install()
    clients.reset()

    with aws_calls.recording() as recorder:
        status, answer = send(gate, DC, kind="campaign")

    assert (status, answer["status"]) == (202, "queued"), answer
    assert recorder.by_operation() == {
        "dynamodb.BatchGetItem": 1,
        "dynamodb.TransactWriteItems": 1,
        "sqs.SendMessageBatch": 1,
    }
