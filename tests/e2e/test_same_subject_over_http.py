"""Over HTTP on the local stack: a 4th campaign message in 24 hours to a Florida contact waits for
the first minute its same-subject limit and its quiet hours both allow, or is refused when asked
(docs/quiet-hours.md#same-subject-limits).

The three earlier sends are written into the contact's record through `smsgate.dal` pointed at
the stack's emulated AWS: sent over HTTP, they would be held by Florida's quiet hours whenever
the test runs at night there. Written 1 to 3 hours ago, they still count at the next morning
(at most 12 hours ahead), so the answer is the same at any hour of the day."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smsgate.dal import contacts
from tests.e2e import test_scheduled_release
from tests.e2e.conftest import LocalStack, create_location, opt_in, register_10dlc, sending_numbers
from tests.e2e.test_scheduled_release import next_local

FLORIDA = "+13055550181"  # Miami: Eastern time, Florida's window 8:00 to 20:00
EASTERN = "America/New_York"
# The fixture that points this process's smsgate code at the stack's emulated AWS.
on_the_stack = test_scheduled_release.on_the_stack


def first_allowed_in_florida(moment: datetime) -> datetime:
    """`moment` when Florida's window (8:00 to 20:00 local) holds it, else the next 8:00."""
    local = moment.astimezone(ZoneInfo(EASTERN)).time()
    return moment if time(8) <= local < time(20) else next_local(moment, EASTERN, time(8))


def in_florida_window(moment: datetime) -> bool:
    return time(8) <= moment.astimezone(ZoneInfo(EASTERN)).time() < time(20)


def near_a_window_edge(moment: datetime) -> bool:
    """Within two minutes of 8:00 or 20:00 in Florida, where two requests may see either side."""
    local = moment.astimezone(ZoneInfo(EASTERN))
    minutes = local.hour * 60 + local.minute
    return any(abs(minutes - edge) <= 2 for edge in (8 * 60, 20 * 60))


def test_a_fourth_campaign_in_24_hours_to_a_florida_contact_waits_or_is_refused(
    local_stack: LocalStack, on_the_stack: None
) -> None:
    sender = sending_numbers()[0]
    location_id = create_location(local_stack, [sender])
    register_10dlc(local_stack, location_id, [sender])
    opt_in(local_stack, location_id, FLORIDA)
    oldest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
    earlier = (oldest, oldest + timedelta(hours=1), oldest + timedelta(hours=2))
    contacts.record_outbound(location_id, [(FLORIDA, earlier[-1], None)], subject_sends={FLORIDA: earlier})
    request = {
        "location_id": location_id,
        "from": sender,
        "to": FLORIDA,
        "body": "Spring sale: 20% off.",
        "kind": "campaign",
    }

    answer = local_stack.call("POST", "/v1/messages", request)
    asked_at = datetime.now(UTC)

    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert (accepted["status"], accepted["reason"]) == ("scheduled", "same_subject")
    expected = first_allowed_in_florida(oldest + timedelta(hours=24))
    assert datetime.fromisoformat(accepted["scheduled_for"]) == expected
    shown = local_stack.call("GET", f"/v1/messages/{accepted['message_id']}").json()
    assert [(change["status"], change["reason"]) for change in shown["history"]] == [
        ("scheduled", "same_subject")
    ]

    refused = local_stack.call("POST", "/v1/messages", {**request, "quiet_hours": "refuse"})

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert datetime.fromisoformat(error["allowed_from"]) == expected
    # By day the limit alone holds it; at night Florida's quiet hours answer first.
    by_day = "SAME_SUBJECT_LIMIT" if in_florida_window(asked_at) else "QUIET_HOURS"
    assert error["code"] == by_day or near_a_window_edge(asked_at)
    if error["code"] == "SAME_SUBJECT_LIMIT":
        assert (error["limit"], error["held_by"]) == (3, ["FL"])
    # The record still holds the three: a message that waits is not counted before it goes.
    assert contacts.get_contact(location_id, FLORIDA).subject_sends == earlier
