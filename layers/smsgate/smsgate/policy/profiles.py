"""Policy profiles: the carrier policy's numbers as named data (docs/policy-profiles.md).

A profile holds every number a platform's messaging policy sets and a revision may change: the
ramp-up table and the full daily limit, the time the daily counter resets, the audit's
violation and suspension rates and its minimum sample, the snowshoeing window and the
low-volume brand's daily cap. The deployment names its default profile (`POLICY_PROFILE`); an
operator may give one location another.

Each profile is checked when it is built (at import, so at cold start): a ramp that goes down
or passes the full limit, a violation rate not below its suspension rate, a rate outside
(0, 1], fail with a `ProfileError` that names the profile and the rule.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from fractions import Fraction
from typing import Any, Final, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsgate.models.registration import TMobileTier
from smsgate.policy.access import OPERATOR
from smsgate.reasons import ReasonCode

TMOBILE_TIERS: Final[tuple[str, ...]] = get_args(TMobileTier)


class ProfileError(ValueError):
    """A profile breaks one of the rules of docs/policy-profiles.md#validation."""


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    # Accounts created on or after this date ramp up; older ones start at the full limit.
    ramp_up_since: date
    # The limit on day 1, 2, … of the account (day 1 = the UTC date of creation); the full
    # limit from the day after the last entry on.
    ramp: tuple[int, ...]
    full_daily_limit: int
    # The daily counter starts again at this UTC time (00:00:01: a message at 00:00:00.5 still
    # belongs to the previous day).
    reset_at: time
    violation_error_rate: Fraction
    violation_opt_out_rate: Fraction
    suspension_error_rate: Fraction
    suspension_opt_out_rate: Fraction
    audit_min_sample: int
    snowshoe_max_numbers: int
    snowshoe_window_hours: int
    low_volume_daily_segments: int
    # T-Mobile's daily segment cap per brand tier (None: uncapped), and the time zone whose
    # midnight starts the brand's day again (docs/registration.md#t-mobile-brand-cap).
    tmobile_tier_caps: tuple[tuple[str, int | None], ...]
    tmobile_day_zone: str
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ProfileError(f"policy profile '{self.name}' is invalid: {'; '.join(problems)}")

    @property
    def reset_offset(self) -> timedelta:
        """How long after midnight UTC the counter day starts."""
        return timedelta(hours=self.reset_at.hour, minutes=self.reset_at.minute, seconds=self.reset_at.second)

    def limit_on_day(self, day: int) -> int:
        """The limit on day `day` (≥ 1) of a ramping account."""
        return self.ramp[day - 1] if day <= len(self.ramp) else self.full_daily_limit

    def tmobile_cap(self, tier: str) -> int | None:
        """T-Mobile's daily segments for a brand of `tier` (None: uncapped)."""
        return dict(self.tmobile_tier_caps)[tier]

    def to_api(self) -> dict[str, Any]:
        """The numbers that applied, as usage and health show them."""
        return {
            "name": self.name,
            "ramp_up_since": self.ramp_up_since.isoformat(),
            "ramp": list(self.ramp),
            "full_daily_limit": self.full_daily_limit,
            "reset_at": self.reset_at.isoformat(),
            "audit": audit_thresholds_to_api(
                (self.violation_error_rate, self.violation_opt_out_rate),
                (self.suspension_error_rate, self.suspension_opt_out_rate),
                self.audit_min_sample,
            ),
            "snowshoe": {
                "max_numbers": self.snowshoe_max_numbers,
                "window_hours": self.snowshoe_window_hours,
            },
            "low_volume_daily_segments": self.low_volume_daily_segments,
            "tmobile_brand_caps": {
                "segments_per_day": dict(self.tmobile_tier_caps),
                "day_zone": self.tmobile_day_zone,
            },
        }


def audit_thresholds_to_api(
    violation: tuple[Fraction, Fraction], suspension: tuple[Fraction, Fraction], min_sample: int
) -> dict[str, object]:
    """The audit's thresholds as usage and health show them: each action's (error rate, opt-out
    rate), and the minimum sample."""
    return {
        "violation": {"error_rate": float(violation[0]), "opt_out_rate": float(violation[1])},
        "suspension": {"error_rate": float(suspension[0]), "opt_out_rate": float(suspension[1])},
        "min_sample": min_sample,
    }


def _problems(profile: PolicyProfile) -> list[str]:
    problems: list[str] = []
    if not profile.name:
        problems.append("it has no name")
    if not profile.ramp:
        problems.append("the ramp has no level")
    if any(limit < 1 for limit in profile.ramp) or profile.full_daily_limit < 1:
        problems.append("every limit is at least 1")
    if any(later < earlier for earlier, later in zip(profile.ramp, profile.ramp[1:], strict=False)):
        problems.append(f"the ramp {list(profile.ramp)} goes down")
    if profile.ramp and profile.ramp[-1] > profile.full_daily_limit:
        problems.append(f"the ramp ends above the full daily limit {profile.full_daily_limit}")
    for kind, violation, suspension in (
        ("error", profile.violation_error_rate, profile.suspension_error_rate),
        ("opt-out", profile.violation_opt_out_rate, profile.suspension_opt_out_rate),
    ):
        if not (0 < violation <= 1 and 0 < suspension <= 1):
            problems.append(f"the {kind} rates are between 0 (excluded) and 1")
        if violation >= suspension:
            problems.append(
                f"the {kind} violation rate {float(violation):.2%} is not below its suspension rate "
                f"{float(suspension):.2%}"
            )
    for name in (
        "audit_min_sample",
        "snowshoe_max_numbers",
        "snowshoe_window_hours",
        "low_volume_daily_segments",
    ):
        if getattr(profile, name) < 1:
            problems.append(f"{name} is at least 1")
    return problems + _tmobile_problems(profile)


def _tmobile_problems(profile: PolicyProfile) -> list[str]:
    problems: list[str] = []
    tiers = [tier for tier, _ in profile.tmobile_tier_caps]
    if sorted(tiers) != sorted(TMOBILE_TIERS):
        problems.append(f"the T-Mobile tier caps name {tiers}, not each of {list(TMOBILE_TIERS)} once")
    if any(cap is not None and cap < 1 for _, cap in profile.tmobile_tier_caps):
        problems.append("every T-Mobile tier cap is at least 1 (or none: uncapped)")
    try:
        ZoneInfo(profile.tmobile_day_zone)
    except (ValueError, ZoneInfoNotFoundError):
        problems.append(f"the T-Mobile day's time zone '{profile.tmobile_day_zone}' is unknown")
    return problems


def profile_from_data(name: str, data: Mapping[str, Any]) -> PolicyProfile:
    """A profile from plain data (rates as strings such as "8%" or "0.08"), validated. Without
    T-Mobile's tier caps or day zone, T-Mobile's own apply (they are the carrier's, not the
    platform's policy)."""

    def rate(key: str) -> Fraction:
        text = str(data[key]).strip()
        return Fraction(text.removesuffix("%")) / (100 if text.endswith("%") else 1)

    try:
        return PolicyProfile(
            name=name,
            ramp_up_since=date.fromisoformat(str(data["ramp_up_since"])),
            ramp=tuple(int(limit) for limit in data["ramp"]),
            full_daily_limit=int(data["full_daily_limit"]),
            reset_at=time.fromisoformat(str(data["reset_at"])),
            violation_error_rate=rate("violation_error_rate"),
            violation_opt_out_rate=rate("violation_opt_out_rate"),
            suspension_error_rate=rate("suspension_error_rate"),
            suspension_opt_out_rate=rate("suspension_opt_out_rate"),
            audit_min_sample=int(data["audit_min_sample"]),
            snowshoe_max_numbers=int(data["snowshoe_max_numbers"]),
            snowshoe_window_hours=int(data["snowshoe_window_hours"]),
            low_volume_daily_segments=int(data["low_volume_daily_segments"]),
            tmobile_tier_caps=tuple(
                (str(tier), None if cap is None else int(cap))
                for tier, cap in data.get("tmobile_tier_caps", _TMOBILE_CAPS).items()
            ),
            tmobile_day_zone=str(data.get("tmobile_day_zone", _TMOBILE_DAY_ZONE)),
            source=str(data.get("source", "")),
            notes=tuple(str(note) for note in data.get("notes", ())),
        )
    except ProfileError:
        raise
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ProfileError(f"policy profile '{name}' is invalid: {type(exc).__name__} {exc}") from exc


# T-Mobile's daily segments per brand, by tier (docs/registration.md#t-mobile-brand-cap): the
# carrier's table as messaging providers publish it, the same in both profiles.
_TMOBILE_CAPS: Final[dict[str, int | None]] = {
    "low": 2_000,
    "low_mid": 10_000,
    "mid": 40_000,
    "top": 200_000,
    "uncapped": None,
}

# T-Mobile's day ends at midnight Pacific time (docs/registration.md#the-t-mobile-day).
_TMOBILE_DAY_ZONE: Final = "America/Los_Angeles"

# The built-in profiles (docs/policy-profiles.md). "seeds-2022" is the policy the product was
# written from, with exactly its numbers; it is the default.
_BUILT_IN: Final[dict[str, dict[str, Any]]] = {
    "seeds-2022": {
        "ramp_up_since": "2022-04-20",
        "ramp": [250, 500, 750, 1000, 1250, 1500, 1750],
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
        "tmobile_tier_caps": _TMOBILE_CAPS,
        "tmobile_day_zone": _TMOBILE_DAY_ZONE,
        "source": "the CRM phone product's messaging policy (ramp-up model of 2022-04-20)",
    },
    "platform-2024": {
        "ramp_up_since": "2024-02-01",
        "ramp": [100, 250, 500, 750, 1500, 2250, 3000],
        "full_daily_limit": 3000,
        "reset_at": "00:00:01",
        "violation_error_rate": "8%",
        "violation_opt_out_rate": "2%",
        "suspension_error_rate": "12.5%",
        "suspension_opt_out_rate": "3%",
        "audit_min_sample": 100,
        "snowshoe_max_numbers": 3,
        "snowshoe_window_hours": 24,
        "low_volume_daily_segments": 6000,
        "tmobile_tier_caps": _TMOBILE_CAPS,
        "tmobile_day_zone": _TMOBILE_DAY_ZONE,
        "source": "the same policy's 8-level ramp-up revision effective 2024-02-01 (docs/policy-profiles.md)",
        "notes": [
            "levels advance one a day here; the platform advances a level only after a day whose "
            "limit was used in full, so this is the fastest the revision allows",
            "ramp values after level 1 and the 2 %/3 % opt-out rates could not be checked against "
            "the published text",
        ],
    },
}

PROFILES: Final[dict[str, PolicyProfile]] = {
    name: profile_from_data(name, data) for name, data in _BUILT_IN.items()
}
DEFAULT_PROFILE_NAME: Final = "seeds-2022"
DEFAULT_PROFILE: Final = PROFILES[DEFAULT_PROFILE_NAME]


def profile_refusal(
    requested: str | None, stored: str | None, *, operator: bool
) -> tuple[ReasonCode, str] | None:
    """None when `requested` may become the location's profile: choosing one is an operator's act
    (docs/policy-profiles.md#choosing-a-profile); naming the stored one again changes nothing."""
    if requested is None or requested == stored or operator:
        return None
    return (
        ReasonCode.FORBIDDEN,
        f"Only an operator sets a location's policy profile: it needs the '{OPERATOR}' grant.",
    )


def profile_named(name: str | None, default: str = DEFAULT_PROFILE_NAME) -> PolicyProfile:
    """The profile `name` (the deployment's `default` when None); ProfileError for an unknown one."""
    chosen = name or default
    try:
        return PROFILES[chosen]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ProfileError(f"unknown policy profile '{chosen}'; known profiles: {known}") from None
