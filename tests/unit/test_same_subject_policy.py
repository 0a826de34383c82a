"""The same-subject limit of the states that have one (Florida, Oklahoma, Maryland: at most 3
marketing messages to one contact in any 24 hours), alone and combined with the quiet hours
(docs/quiet-hours.md#same-subject-limits)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.policy.quiet_hours import (
    SAME_SUBJECT_KEPT,
    QuietHoursPolicy,
    RecipientPlace,
    check_same_subject,
    counts_toward_same_subject,
    with_counted_send,
)
from smsgate.policy.refusal import Refusal
from smsgate.policy.send_time import (
    NOW,
    SendTime,
    first_allowed,
    same_subject_hold,
    when_to_send,
    whole_minute_from,
)
from smsgate.reasons import ReasonCode

EASTERN = ZoneInfo("America/New_York")
MIAMI = RecipientPlace(("America/New_York",), ("FL",), "number")
NEW_YORK = RecipientPlace(("America/New_York",), ("NY",), "number")
DEFER = QuietHoursPolicy()
REFUSE = QuietHoursPolicy(action="refuse")
# Tuesday 10 March 2026, 12:00 in Miami (EDT, UTC-4): inside every window.
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=EASTERN)


def hours_before(moment: datetime, *hours: float) -> tuple[datetime, ...]:
    return tuple(moment.astimezone(UTC) - timedelta(hours=h) for h in hours)


def test_the_third_goes_and_the_fourth_waits_for_the_oldest_to_be_24_hours_old() -> None:
    two = hours_before(NOON, 5, 1)
    three = hours_before(NOON, 23, 5, 1)

    assert when_to_send("campaign", MIAMI, NOON, DEFER, subject_sends=two) == NOW
    fourth = when_to_send("campaign", MIAMI, NOON, DEFER, subject_sends=three)

    assert fourth == SendTime(NOON.astimezone(UTC) + timedelta(hours=1), "same_subject")


def test_the_window_is_rolling_a_send_exactly_24_hours_old_no_longer_counts() -> None:
    oldest = NOON.astimezone(UTC) - timedelta(hours=24)
    sends = (oldest, *hours_before(NOON, 5, 1))

    assert when_to_send("bulk", MIAMI, NOON, DEFER, subject_sends=sends) == NOW
    just_before = NOON - timedelta(microseconds=1)
    held = check_same_subject("bulk", ("FL",), sends, just_before)
    assert not held.allowed
    assert held.allowed_from == NOON.astimezone(UTC)


def test_refuse_answers_same_subject_limit_with_allowed_from_and_the_states() -> None:
    sends = hours_before(NOON, 20, 3, 2)

    refusal = when_to_send("campaign", MIAMI, NOON, REFUSE, subject_sends=sends)

    assert isinstance(refusal, Refusal)
    assert refusal.code == ReasonCode.SAME_SUBJECT_LIMIT
    assert refusal.details["allowed_from"] == (NOON.astimezone(UTC) + timedelta(hours=4)).isoformat()
    assert refusal.details["limit"] == 3
    assert refusal.details["held_by"] == ["FL"]


def test_only_states_with_a_limit_count_and_the_strictest_of_several_applies() -> None:
    sends = hours_before(NOON, 6, 5, 4, 3, 2)
    new_york_or_washington = RecipientPlace(("America/New_York",), ("NY", "WA"), "number")
    florida_or_new_york = RecipientPlace(("America/New_York",), ("NY", "FL"), "number")
    oklahoma_or_maryland = RecipientPlace(("America/Chicago", "America/New_York"), ("OK", "MD"), "number")

    assert when_to_send("campaign", NEW_YORK, NOON, DEFER, subject_sends=sends) == NOW
    assert when_to_send("campaign", new_york_or_washington, NOON, DEFER, subject_sends=sends) == NOW
    assert not counts_toward_same_subject("campaign", ("NY", "WA"))
    held = when_to_send("campaign", florida_or_new_york, NOON, REFUSE, subject_sends=sends)
    assert isinstance(held, Refusal) and held.details["held_by"] == ["FL"]
    both = when_to_send("campaign", oklahoma_or_maryland, NOON, REFUSE, subject_sends=sends)
    assert isinstance(both, Refusal) and both.details["held_by"] == ["MD", "OK"]


def test_conversations_never_count_and_workflows_only_when_the_location_holds_them() -> None:
    sends = hours_before(NOON, 3, 2, 1)

    assert when_to_send("conversation", MIAMI, NOON, DEFER, subject_sends=sends) == NOW
    assert when_to_send("reply", MIAMI, NOON, DEFER, subject_sends=sends) == NOW
    assert when_to_send("workflow", MIAMI, NOON, DEFER, subject_sends=sends) == NOW
    assert not counts_toward_same_subject("conversation", ("FL",), QuietHoursPolicy(hold_workflow=True))
    assert counts_toward_same_subject("workflow", ("FL",), QuietHoursPolicy(hold_workflow=True))
    held = when_to_send("workflow", MIAMI, NOON, QuietHoursPolicy(hold_workflow=True), subject_sends=sends)
    assert held == SendTime(NOON.astimezone(UTC) + timedelta(hours=21), "same_subject")


def test_a_limit_that_ends_in_the_night_waits_for_the_morning() -> None:
    # At 19:00 on Tuesday, with the oldest of three sent at 19:30 on Monday, the limit ends at
    # 19:30, inside Florida's window (to 20:00). With the oldest at 20:30 on Monday (a record
    # may hold one: the contact's place may have been read differently then), it ends at 20:30,
    # past the window: the message waits for 8:00 on Wednesday.
    evening = datetime(2026, 3, 10, 19, 0, tzinfo=EASTERN)
    in_time = (datetime(2026, 3, 9, 19, 30, tzinfo=EASTERN).astimezone(UTC), *hours_before(evening, 3, 2))
    too_late = (datetime(2026, 3, 9, 20, 30, tzinfo=EASTERN).astimezone(UTC), *hours_before(evening, 3, 2))

    assert when_to_send("campaign", MIAMI, evening, DEFER, subject_sends=in_time) == SendTime(
        datetime(2026, 3, 10, 19, 30, tzinfo=EASTERN).astimezone(UTC), "same_subject"
    )
    assert when_to_send("campaign", MIAMI, evening, DEFER, subject_sends=too_late) == SendTime(
        datetime(2026, 3, 11, 8, 0, tzinfo=EASTERN).astimezone(UTC), "same_subject"
    )


def test_at_night_the_quiet_hours_decide_unless_the_limit_runs_past_the_morning() -> None:
    night = datetime(2026, 3, 10, 23, 0, tzinfo=EASTERN)
    morning = datetime(2026, 3, 11, 8, 0, tzinfo=EASTERN).astimezone(UTC)
    ends_before_morning = hours_before(night, 23, 2, 1)  # the oldest leaves at 0:00
    ends_after_morning = (morning - timedelta(hours=24) + timedelta(minutes=75), *hours_before(night, 2, 1))

    assert when_to_send("campaign", MIAMI, night, DEFER, subject_sends=ends_before_morning) == SendTime(
        morning, "quiet_hours"
    )
    assert when_to_send("campaign", MIAMI, night, DEFER, subject_sends=ends_after_morning) == SendTime(
        morning + timedelta(minutes=75), "same_subject"
    )
    # Refused at night, the quiet hours answer, with the first minute both allow.
    refusal = when_to_send("campaign", MIAMI, night, REFUSE, subject_sends=ends_after_morning)
    assert isinstance(refusal, Refusal)
    assert refusal.code == ReasonCode.QUIET_HOURS
    assert refusal.details["allowed_from"] == (morning + timedelta(minutes=75)).isoformat()


def test_send_at_is_checked_against_the_sends_in_the_24_hours_before_it() -> None:
    sends = hours_before(NOON, 3, 2, 1)
    # Sent at 9:00, 10:00 and 11:00 on Tuesday: at 10:00 on Wednesday only the last counts; at
    # 8:00 all three do, until 9:00.
    tomorrow = NOON + timedelta(hours=22)
    sooner = NOON + timedelta(hours=20)

    assert when_to_send("campaign", MIAMI, NOON, DEFER, send_at=tomorrow, subject_sends=sends) == SendTime(
        tomorrow.astimezone(UTC), "send_at"
    )
    assert when_to_send("campaign", MIAMI, NOON, DEFER, send_at=sooner, subject_sends=sends) == SendTime(
        NOON.astimezone(UTC) + timedelta(hours=21), "same_subject"
    )


def test_a_release_over_the_limit_waits_or_fails_as_the_location_says() -> None:
    sends = hours_before(NOON, 20, 2, 1)

    assert same_subject_hold("campaign", MIAMI, NOON, DEFER, sends[1:]) is None
    assert same_subject_hold("campaign", MIAMI, NOON, DEFER, sends) == SendTime(
        NOON.astimezone(UTC) + timedelta(hours=4), "same_subject"
    )
    refusal = same_subject_hold("campaign", MIAMI, NOON, REFUSE, sends)
    assert isinstance(refusal, Refusal) and refusal.code == ReasonCode.SAME_SUBJECT_LIMIT
    # The release does not hold a message for its quiet hours alone (decided when scheduled).
    late = datetime(2026, 3, 10, 20, 5, tzinfo=EASTERN)
    assert same_subject_hold("campaign", MIAMI, late, DEFER, sends[1:]) is None


def test_the_record_keeps_the_last_three_sends_oldest_first() -> None:
    sends = hours_before(NOON, 30, 5, 1)
    later = NOON.astimezone(UTC)

    assert SAME_SUBJECT_KEPT == 3
    assert with_counted_send(sends, later) == (*sends[1:], later)
    assert with_counted_send((), later) == (later,)


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(st.integers(min_value=0, max_value=72 * 60), min_size=1, max_size=12),
    hold_workflow=st.booleans(),
)
def test_sends_each_at_its_first_allowed_minute_never_pass_the_limit(
    starts: list[int], hold_workflow: bool
) -> None:
    """However the requests come, messages sent at the minutes the policy gives never put more
    than 3 in any 24 hours, and each goes in a minute the quiet hours allow."""
    policy = QuietHoursPolicy(hold_workflow=hold_workflow)
    origin = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
    record: tuple[datetime, ...] = ()
    went: list[datetime] = []
    for offset in sorted(starts):
        asked = max(origin + timedelta(minutes=offset), *(went or [origin]))
        first = first_allowed("campaign", MIAMI, asked, policy, record)
        assert first.at is not None
        at = whole_minute_from(first.at)
        assert first_allowed("campaign", MIAMI, at, policy, record).allowed_at_start
        record = with_counted_send(record, at)
        went.append(at)
    for moment in went:
        in_window = [other for other in went if moment - timedelta(hours=24) < other <= moment]
        assert len(in_window) <= 3
