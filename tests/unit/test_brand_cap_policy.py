"""The brand's T-Mobile daily cap as pure decisions (docs/registration.md#t-mobile-brand-cap)."""

from datetime import UTC, datetime

import pytest

from smsgate.models.registration import Brand, BrandDetails, DecisionRequest
from smsgate.policy.brand_cap import (
    brand_cap,
    brand_counted_segments,
    brand_day,
    counts_toward_brand_cap,
    next_brand_reset,
    seconds_until_brand_reset,
    within_brand_cap,
)
from smsgate.policy.profiles import PROFILES, ProfileError, profile_from_data
from smsgate.policy.registration import check_decision_fields
from smsgate.reasons import HTTP_STATUS, ReasonCode
from tests.registration_bodies import brand_body

NOW = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)


def brand(**fields: object) -> Brand:
    details = BrandDetails.model_validate(brand_body())
    return Brand(state="approved", updated_at=NOW, details=details, **fields)


@pytest.mark.parametrize("profile", ["seeds-2022", "platform-2024"])
@pytest.mark.parametrize(
    ("tier", "cap"),
    [("low", 2_000), ("low_mid", 10_000), ("mid", 40_000), ("top", 200_000), ("uncapped", None)],
)
def test_each_tier_caps_the_brand_at_the_profile_figure(profile: str, tier: str, cap: int | None) -> None:
    assert brand_cap(brand(tmobile_tier=tier), PROFILES[profile]) == cap


def test_a_brand_approved_without_a_tier_gets_the_lowest() -> None:
    assert brand_cap(brand()) == 2_000


def test_a_cap_assigned_apart_from_the_tier_wins_and_no_brand_counts_nothing() -> None:
    assert brand_cap(brand(tmobile_tier="top", tmobile_daily_segments=3)) == 3
    assert brand_cap(brand(tmobile_tier="uncapped", tmobile_daily_segments=50_000)) == 50_000
    assert brand_cap(None) is None


def test_the_profiles_show_the_table_and_the_day_zone() -> None:
    shown = PROFILES["seeds-2022"].to_api()["tmobile_brand_caps"]
    assert shown == {
        "segments_per_day": {"low": 2000, "low_mid": 10000, "mid": 40000, "top": 200000, "uncapped": None},
        "day_zone": "America/Los_Angeles",
    }


def _data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "ramp_up_since": "2022-04-20",
        "ramp": [250],
        "full_daily_limit": 5000,
        "reset_at": "00:00:01",
        "violation_error_rate": "8%",
        "violation_opt_out_rate": "1%",
        "suspension_error_rate": "12.5%",
        "suspension_opt_out_rate": "2.5%",
        "audit_min_sample": 100,
        "snowshoe_max_numbers": 3,
        "snowshoe_window_hours": 24,
        "low_volume_daily_segments": 6000,
    }
    return {**data, **overrides}


def test_a_profile_without_tmobile_data_takes_the_carriers_own() -> None:
    profile = profile_from_data("custom", _data())
    assert profile.tmobile_cap("low") == 2_000 and profile.tmobile_day_zone == "America/Los_Angeles"
    assert profile_from_data("low", _data(tmobile_tier_caps={**dict(profile.tmobile_tier_caps), "low": 5}))


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"tmobile_tier_caps": {"low": 2000}}, "not each of"),
        (
            {"tmobile_tier_caps": {"low": 0, "low_mid": 1, "mid": 1, "top": 1, "uncapped": None}},
            "at least 1",
        ),
        ({"tmobile_day_zone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_a_profile_with_a_broken_tier_table_is_refused(overrides: dict[str, object], rule: str) -> None:
    with pytest.raises(ProfileError, match=rule):
        profile_from_data("broken", _data(**overrides))


@pytest.mark.parametrize(
    ("to", "counted"),
    [
        ("+12025550143", True),  # US
        ("+17875550143", True),  # Puerto Rico
        ("+16715550143", True),  # Guam
        ("+447700900143", False),
        ("+14165550143", False),  # Canada
    ],
)
def test_every_10dlc_destination_counts_as_the_carrier_is_not_known(to: str, counted: bool) -> None:
    assert counts_toward_brand_cap(to) is counted


def test_the_t_mobile_day_is_the_pacific_calendar_day() -> None:
    # 07:59 UTC on 2 June is 00:59 PDT on 2 June; 06:59 UTC is still 1 June in Los Angeles.
    assert brand_day(datetime(2025, 6, 2, 7, 59, tzinfo=UTC)).isoformat() == "2025-06-02"
    assert brand_day(datetime(2025, 6, 2, 6, 59, tzinfo=UTC)).isoformat() == "2025-06-01"
    # Summer: midnight PDT is 07:00 UTC; winter: midnight PST is 08:00 UTC.
    assert next_brand_reset(datetime(2025, 6, 2, 15, 0, tzinfo=UTC)) == datetime(2025, 6, 3, 7, tzinfo=UTC)
    assert next_brand_reset(datetime(2025, 1, 2, 15, 0, tzinfo=UTC)) == datetime(2025, 1, 3, 8, tzinfo=UTC)
    assert seconds_until_brand_reset(datetime(2025, 6, 3, 6, 59, 59, 500_000, tzinfo=UTC)) == 1
    assert seconds_until_brand_reset(NOW) == 16 * 3600


def test_a_bulk_passes_what_fits_whole_in_order_and_what_does_not_count() -> None:
    counted = brand_counted_segments(
        ["+12025550100", "+447700900100", "+12025550101", "+12025550102", "+447700900101"], [2, 5, 3, 1, 4]
    )
    assert counted == [2, 0, 3, 1, 0]
    assert within_brand_cap(counted, 6) == [True, True, True, True, True]
    assert within_brand_cap(counted, 5) == [True, True, True, False, True]
    assert within_brand_cap(counted, 4) == [True, True, False, False, True]
    assert within_brand_cap(counted, 0) == [False, True, False, False, True]


def test_only_a_brands_decision_records_the_tier() -> None:
    request = DecisionRequest(state="approved", tmobile_tier="mid")
    assert check_decision_fields("brand", request) is None
    refusal = check_decision_fields("campaign", request)
    assert refusal is not None and refusal.code == ReasonCode.VALIDATION_ERROR
    assert check_decision_fields("campaign", DecisionRequest(state="approved")) is None


def test_the_refusal_is_a_429() -> None:
    assert HTTP_STATUS[ReasonCode.BRAND_CAP_REACHED] == 429
    assert ReasonCode.BRAND_CAP_REACHED.value == "BRAND_CAP_REACHED"
