"""Quiet hours: the federal window, the stricter state rules and the location's own, in the
recipient's local time, for every zone a number may be in (docs/quiet-hours.md)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy.calling_hours import FEDERAL, STATE_RULES, rules_for
from smsgate.policy.numbering import US_ZONES, place_of_number
from smsgate.policy.quiet_hours import (
    DEFAULT_POLICY,
    QuietHoursPolicy,
    RecipientPlace,
    check_same_subject,
    decide,
    first_allowed_minute,
    is_held_kind,
    recipient_place,
    same_subject_limit,
)

NEW_YORK = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def place(*zones: str, states: tuple[str, ...] = ()) -> RecipientPlace:
    return RecipientPlace(zones, states, "number")


def test_a_campaign_at_night_waits_for_eight_in_the_morning_local_time() -> None:
    now = local(NEW_YORK, 2026, 3, 10, 22, 30)  # a Tuesday, 22:30 in New York

    decision = decide("campaign", place("America/New_York", states=("NY",)), now)

    assert not decision.allowed
    assert decision.allowed_from == local(NEW_YORK, 2026, 3, 11, 8, 0).astimezone(UTC)
    assert decision.held_by == ("US", "location")


def test_inside_the_window_a_bulk_message_goes_now() -> None:
    now = local(NEW_YORK, 2026, 3, 10, 12, 0)

    decision = decide("bulk", place("America/New_York"), now)

    assert decision.allowed
    assert decision.allowed_from == now.astimezone(UTC)


def test_conversations_are_never_held_and_workflows_only_when_the_location_says_so() -> None:
    night = local(NEW_YORK, 2026, 3, 10, 23, 0)
    recipient = place("America/New_York")

    assert decide("conversation", recipient, night).allowed
    assert decide("reply", recipient, night).allowed
    assert decide("workflow", recipient, night).allowed
    assert not decide("workflow", recipient, night, QuietHoursPolicy(hold_workflow=True)).allowed
    assert not is_held_kind("conversation", QuietHoursPolicy(hold_workflow=True))


@pytest.mark.parametrize("state", ["FL", "OK", "MD", "WA", "MS"])
def test_stricter_states_end_at_eight_in_the_evening(state: str) -> None:
    # Wednesday 20:30 local: inside the federal window, outside these states' own.
    now = local(NEW_YORK, 2026, 3, 11, 20, 30)
    federal_only = decide("campaign", place("America/New_York", states=("NY",)), now)
    strict = decide("campaign", place("America/New_York", states=(state,)), now)

    assert federal_only.allowed
    assert not strict.allowed
    assert strict.held_by == (state,)
    assert strict.allowed_from == local(NEW_YORK, 2026, 3, 12, 8, 0).astimezone(UTC)


def test_mississippi_allows_no_marketing_message_on_sunday() -> None:
    saturday_night = local(CHICAGO, 2026, 3, 14, 21, 0)

    decision = decide("bulk", place("America/Chicago", states=("MS",)), saturday_night)

    assert decision.allowed_from == local(CHICAGO, 2026, 3, 16, 8, 0).astimezone(UTC)  # Monday


def test_a_number_in_two_zones_waits_until_it_is_allowed_in_both() -> None:
    # Area code 850 (Florida) spans Eastern and Central time. 07:30 Central = 08:30 Eastern.
    now = local(CHICAGO, 2026, 3, 10, 7, 30)
    recipient = place("America/Chicago", "America/New_York", states=("FL",))

    decision = decide("campaign", recipient, now)

    assert not decision.allowed
    assert decision.allowed_from == local(CHICAGO, 2026, 3, 10, 8, 0).astimezone(UTC)
    # 19:30 Central = 20:30 Eastern: Florida's window has closed in the Eastern part.
    evening = decide("campaign", recipient, local(CHICAGO, 2026, 3, 10, 19, 30))
    assert evening.allowed_from == local(CHICAGO, 2026, 3, 11, 8, 0).astimezone(UTC)


def test_the_window_follows_daylight_saving_time() -> None:
    # The night DST starts in the US (2026-03-08): 08:00 New York is 12:00 UTC, not 13:00.
    now = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)

    decision = decide("bulk", place("America/New_York"), now)

    assert decision.allowed_from == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_a_location_may_keep_quieter_hours_than_the_law() -> None:
    policy = QuietHoursPolicy(quiet_from=time(19), quiet_until=time(10))
    now = local(NEW_YORK, 2026, 3, 10, 9, 0)

    decision = decide("campaign", place("America/New_York"), now, policy)

    assert decision.held_by == ("location",)
    assert decision.allowed_from == local(NEW_YORK, 2026, 3, 10, 10, 0).astimezone(UTC)


def test_a_location_cannot_loosen_the_law() -> None:
    no_own_hours = QuietHoursPolicy(quiet_from=time(0), quiet_until=time(0))
    now = local(NEW_YORK, 2026, 3, 10, 23, 0)

    decision = decide("campaign", place("America/New_York"), now, no_own_hours)

    assert decision.held_by == ("US",)
    with pytest.raises(ValueError, match="across midnight"):
        QuietHoursPolicy(quiet_from=time(8), quiet_until=time(21))


def test_an_unknown_place_is_not_held() -> None:
    decision = decide("campaign", RecipientPlace((), (), "unknown"), datetime(2026, 3, 10, 3, tzinfo=UTC))

    assert decision.allowed


def test_the_recorded_time_zone_comes_before_the_postal_code_and_the_number() -> None:
    number = place_of_number("+12125550123")  # New York

    by_contact = recipient_place(
        number.time_zones, number.states, contact_time_zone="America/Denver", postal_code_time_zone="X"
    )
    by_postal = recipient_place(
        number.time_zones, number.states, postal_code_time_zone="America/Chicago", postal_code_state="TX"
    )
    by_number = recipient_place(number.time_zones, number.states)

    assert (by_contact.time_zones, by_contact.states, by_contact.source) == (
        ("America/Denver",),
        ("NY",),
        "contact",
    )
    assert (by_postal.time_zones, by_postal.states, by_postal.source) == (
        ("America/Chicago",),
        ("TX",),
        "postal_code",
    )
    assert (by_number.time_zones, by_number.source) == (("America/New_York",), "number")


def test_same_subject_limit_is_three_in_24_hours_where_a_state_has_one() -> None:
    now = datetime(2026, 3, 10, 15, tzinfo=UTC)
    sent = [now - timedelta(hours=hours) for hours in (23, 5, 1)]

    assert same_subject_limit(("NY",)) is None
    assert same_subject_limit(("FL", "NY")) == 3
    assert check_same_subject("campaign", ("NY",), sent, now).allowed
    assert check_same_subject("campaign", ("FL",), sent[1:], now).allowed
    refused = check_same_subject("campaign", ("FL",), sent, now)
    assert not refused.allowed
    assert refused.allowed_from == sent[0] + timedelta(hours=24)
    assert check_same_subject("conversation", ("FL",), sent, now).allowed
    # A message older than 24 hours no longer counts.
    assert check_same_subject("campaign", ("OK",), [now - timedelta(hours=25), *sent[1:]], now).allowed


def test_every_state_rule_is_stricter_than_the_federal_one_and_cites_its_source() -> None:
    for code, rule in STATE_RULES.items():
        assert rule.jurisdiction == code
        assert rule.citation and rule.source.startswith("https://")
        assert len(rule.windows) == 7
        for federal, state in zip(FEDERAL.windows, rule.windows, strict=True):
            assert federal is not None
            assert state is None or (state.start >= federal.start and state.end <= federal.end)
    assert rules_for(("FL", "ZZ", "FL")) == (FEDERAL, STATE_RULES["FL"])


@given(
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zones=st.sets(st.sampled_from(US_ZONES), min_size=1, max_size=3),
    states=st.sets(st.sampled_from(["FL", "MS", "NY", "WA"]), max_size=2),
)
def test_the_first_allowed_minute_is_allowed_and_nothing_before_it_is(
    moment: datetime, zones: set[str], states: set[str]
) -> None:
    recipient = place(*sorted(zones), states=tuple(sorted(states)))
    decision = decide("campaign", recipient, moment)
    if decision.allowed or decision.allowed_from is None:
        return
    opening = decision.allowed_from
    assert opening > moment
    assert decide("campaign", recipient, opening).allowed
    assert opening.second == 0 and opening.microsecond == 0
    # Each minute between (sampled every 29 minutes, and the one just before) is still held.
    probe = moment
    while probe < opening:
        assert not decide("campaign", recipient, probe).allowed
        probe += timedelta(minutes=29)
    assert not decide("campaign", recipient, opening - timedelta(minutes=1)).allowed


def test_first_allowed_minute_is_none_when_the_zones_never_share_a_window() -> None:
    # 08:00-20:00 in New York is 12:00-24:00 UTC, in Guam 22:00-10:00 UTC, in Kolkata
    # 02:30-14:30 UTC: no minute is inside all three.
    rules = (*rules_for(("FL",)), DEFAULT_POLICY.as_rule())
    zones = ("Pacific/Guam", "America/New_York", "Asia/Kolkata")
    assert first_allowed_minute(rules, zones, datetime(2026, 3, 10, tzinfo=UTC)) is None
