"""Who may act on which location: the pure decision (smsgate.policy.access, issue 11)."""

from smsgate.policy.access import access_refusal, principal_keys
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


def test_operator_routes_need_star() -> None:
    assert access_refusal(USER, {"*"}, "loc-1", operator=True) is None
    refusal = access_refusal(USER, {"loc-1"}, "loc-1", operator=True)
    assert refusal is not None and refusal[0] == ReasonCode.FORBIDDEN


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
