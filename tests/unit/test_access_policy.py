"""Who may act on which location: the pure decision (smsgate.policy.access,
docs/guarantees.md#who-may-act-on-which-location)."""

from datetime import UTC, datetime, timedelta

from smsgate.policy.access import OPERATOR, access_refusal, created_at_refusal, principal_keys
from smsgate.reasons import ReasonCode

USER = "arn:aws:iam::123456789012:user/alice"


def test_a_grant_covers_its_locations_and_star_covers_all() -> None:
    assert access_refusal(USER, {"loc-1"}, "loc-1") is None
    assert access_refusal(USER, {"*"}, "anything") is None
    assert access_refusal(USER, {"loc-1"}, None) is None  # a route naming no location
    refusal = access_refusal(USER, {"loc-1"}, "loc-2")
    assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN_LOCATION
    refusal = access_refusal(USER, set(), "loc-1")
    assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN_LOCATION


def test_operator_routes_need_the_operator_grant_and_every_location_is_not_it() -> None:
    assert access_refusal(USER, {OPERATOR}, "loc-1", operator=True) is None
    assert access_refusal(USER, {OPERATOR}, None, operator=True) is None
    for grants in ({"loc-1"}, {"*"}, {"*", "loc-1"}):
        refusal = access_refusal(USER, grants, "loc-1", operator=True)
        assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN
    # ...nor is the operator grant access to a location's own routes.
    refusal = access_refusal(USER, {OPERATOR}, "loc-1")
    assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN_LOCATION


NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STORED = datetime(2026, 11, 20, tzinfo=UTC)


def test_created_at_is_the_operators_and_never_in_the_future() -> None:
    backdated = datetime(2021, 1, 1, tzinfo=UTC)
    assert created_at_refusal(backdated, STORED, NOW, operator=True) is None
    assert created_at_refusal(backdated, None, NOW, operator=True) is None
    for stored in (STORED, None):
        refusal = created_at_refusal(backdated, stored, NOW, operator=False)
        assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN
    # The stored value sent back is no change.
    assert created_at_refusal(STORED, STORED, NOW, operator=False) is None
    for future in (NOW + timedelta(seconds=1), datetime(9999, 12, 31, tzinfo=UTC)):
        for operator in (True, False):
            refusal = created_at_refusal(future, STORED, NOW, operator=operator)
            assert refusal is not None and refusal[0] == ReasonCode.VALIDATION_ERROR


def test_no_principal_fails_closed_unless_the_deployment_allows_it() -> None:
    refusal = access_refusal(None, set(), "loc-1")
    assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN
    assert access_refusal(None, set(), "loc-1", anonymous_allowed=True) is None


def test_an_assumed_role_session_is_also_its_role() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/crm-backend/i-0abc"
    assert principal_keys(session) == [session, "arn:aws:iam::123456789012:role/crm-backend"]
    assert principal_keys(USER) == [USER]
    gov = "arn:aws-us-gov:sts::123456789012:assumed-role/r/s"
    assert principal_keys(gov)[1] == "arn:aws-us-gov:iam::123456789012:role/r"
