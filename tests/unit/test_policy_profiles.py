"""Policy profiles: the policy's numbers as named, validated data (docs/policy-profiles.md)."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.policy import counter_day, daily_limit
from smsgate.policy.audit import Thresholds
from smsgate.policy.limits import next_reset
from smsgate.policy.profiles import (
    DEFAULT_PROFILE,
    DEFAULT_PROFILE_NAME,
    PROFILES,
    ProfileError,
    profile_from_data,
    profile_named,
)
from smsgate.settings import Settings, SettingsError, get_settings

SEEDS = PROFILES["seeds-2022"]
REVISION = PROFILES["platform-2024"]
CREATED = datetime(2024, 6, 1, 15, 30, tzinfo=UTC)


def test_the_default_profile_keeps_exactly_the_numbers_the_product_was_written_from() -> None:
    assert DEFAULT_PROFILE is SEEDS and DEFAULT_PROFILE_NAME == "seeds-2022"
    days = [daily_limit(CREATED, CREATED + timedelta(days=n)) for n in range(0, 10)]
    assert days == [250, 500, 750, 1000, 1250, 1500, 1750, 5000, 5000, 5000]
    assert daily_limit(datetime(2022, 4, 19, tzinfo=UTC), CREATED) == 5000
    assert daily_limit(datetime(2022, 4, 20, tzinfo=UTC), datetime(2022, 4, 20, 12, tzinfo=UTC)) == 250
    assert SEEDS.reset_at == time(0, 0, 1)
    assert counter_day(datetime(2024, 6, 2, 0, 0, 0, 500000, tzinfo=UTC)).isoformat() == "2024-06-01"
    assert Thresholds.from_profile(SEEDS) == Thresholds()  # the audit's table: 8 %, 1 %, 12.5 %, 2.5 %, 100
    assert (SEEDS.snowshoe_max_numbers, SEEDS.snowshoe_window_hours, SEEDS.low_volume_daily_segments) == (
        3,
        24,
        6000,
    )


def test_the_2024_revision_ramps_over_eight_levels_and_warns_at_two_percent_of_opt_outs() -> None:
    created = datetime(2024, 3, 1, 12, tzinfo=UTC)
    days = [daily_limit(created, created + timedelta(days=n), REVISION) for n in range(0, 9)]
    assert days == [100, 250, 500, 750, 1500, 2250, 3000, 3000, 3000]
    assert daily_limit(datetime(2024, 1, 31, tzinfo=UTC), created, REVISION) == 3000
    thresholds = Thresholds.from_profile(REVISION)
    assert (thresholds.violation_opt_out_rate, thresholds.suspension_opt_out_rate) == (
        Fraction(2, 100),
        Fraction(3, 100),
    )


def test_a_deployment_may_set_its_own_minimum_sample() -> None:
    assert Thresholds.from_profile(SEEDS, 20).min_sample == 20
    assert Thresholds.from_profile(SEEDS, None).min_sample == 100


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ramp_up_since": "2022-04-20",
        "ramp": [250, 500],
        "full_daily_limit": 5000,
        "reset_at": "00:00:01",
        "violation_error_rate": "8%",
        "violation_opt_out_rate": "1%",
        "suspension_error_rate": "12.5%",
        "suspension_opt_out_rate": "0.025",
        "audit_min_sample": 100,
        "snowshoe_max_numbers": 3,
        "snowshoe_window_hours": 24,
        "low_volume_daily_segments": 6000,
    }
    data.update(changes)
    return data


def test_rates_are_read_as_percentages_or_fractions() -> None:
    profile = profile_from_data("custom", _data())
    assert profile.suspension_error_rate == Fraction(1, 8)
    assert profile.suspension_opt_out_rate == Fraction(1, 40)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ramp": [500, 250]}, "goes down"),
        ({"ramp": [250, 6000]}, "above the full daily limit"),
        ({"ramp": []}, "no level"),
        (
            {"violation_opt_out_rate": "3%", "suspension_opt_out_rate": "2%"},
            "opt-out violation rate 3.00% is not below",
        ),
        ({"violation_error_rate": "12.5%"}, "error violation rate"),
        ({"suspension_error_rate": "150%"}, "between 0"),
        ({"audit_min_sample": 0}, "audit_min_sample"),
        ({"reset_at": "midnight"}, "ValueError"),
        ({"ramp": None}, "TypeError"),
    ],
)
def test_a_bad_profile_fails_when_built_with_its_name_and_the_rule(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProfileError, match="policy profile 'broken' is invalid") as failure:
        profile_from_data("broken", _data(**changes))
    assert message in str(failure.value)


def test_a_missing_number_fails_too() -> None:
    data = _data()
    del data["full_daily_limit"]
    with pytest.raises(ProfileError, match="KeyError"):
        profile_from_data("broken", data)


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(
        ProfileError, match="unknown policy profile 'nope'; known profiles: platform-2024, seeds-2022"
    ):
        profile_named("nope")
    assert profile_named(None) is SEEDS
    assert profile_named(None, "platform-2024") is REVISION


def test_an_unknown_deployment_profile_fails_at_cold_start_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICY_PROFILE", "seeds-2021")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"POLICY_PROFILE \(.*unknown policy profile 'seeds-2021'"):
            get_settings()
    finally:
        monkeypatch.delenv("POLICY_PROFILE")
        get_settings.cache_clear()


def test_an_empty_minimum_sample_is_the_profiles() -> None:
    base = {name: "x" for name, field in Settings.model_fields.items() if field.is_required()}
    assert Settings.model_validate({**base, "audit_min_sample": ""}).audit_min_sample is None
    assert Settings.model_validate({**base, "audit_min_sample": "20"}).audit_min_sample == 20


@given(
    profile=st.sampled_from(sorted(PROFILES.values(), key=lambda profile: profile.name)),
    created=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    first=st.integers(min_value=0, max_value=400 * 24),
    later=st.integers(min_value=0, max_value=400 * 24),
)
def test_a_limit_never_goes_down_as_the_account_ages(
    profile: Any, created: datetime, first: int, later: int
) -> None:
    early, late = sorted((first, later))
    before = daily_limit(created, created + timedelta(hours=early), profile)
    after = daily_limit(created, created + timedelta(hours=late), profile)
    assert before <= after <= profile.full_daily_limit
    assert next_reset(created, profile) > created


def test_changing_one_number_of_a_valid_profile_revalidates_it() -> None:
    with pytest.raises(ProfileError):
        replace(SEEDS, ramp=(500, 250))
