"""Which policy profile applies to a location: its own (an operator's choice) or the
deployment's default (docs/policy-profiles.md)."""

from smsgate.models.entities import Location
from smsgate.policy.audit import Thresholds
from smsgate.policy.profiles import PolicyProfile, profile_named
from smsgate.settings import get_settings


def profile_of(location: Location | None) -> PolicyProfile:
    """The profile whose numbers apply to `location` (the deployment's default for None)."""
    return profile_named(location.profile if location else None, get_settings().policy_profile)


def thresholds_of(profile: PolicyProfile) -> Thresholds:
    """The audit's thresholds under `profile`; the deployment may set its own minimum sample."""
    return Thresholds.from_profile(profile, get_settings().audit_min_sample)
