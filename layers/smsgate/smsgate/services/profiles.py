"""Which policy profile applies to a location: its own (an operator's choice) or the
deployment's default (docs/policy-profiles.md)."""

from smsgate.models.entities import Location
from smsgate.policy.profiles import PolicyProfile, profile_named
from smsgate.settings import get_settings


def profile_of(location: Location | None) -> PolicyProfile:
    """The profile whose numbers apply to `location` (the deployment's default for None)."""
    return profile_named(location.profile if location else None, get_settings().policy_profile)
