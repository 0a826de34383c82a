"""Policy profiles through the API (docs/policy-profiles.md): an operator sets a location's
profile; usage, health and the daily limit follow it; the deployment chooses the default."""

from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.dal import callers
from smsgate.settings import get_settings
from tests.integration.conftest import LOCATION, LOCATION_NAME, NUMBER, ApiCall
from tests.integration.test_authorization import ALICE, OPERATOR, api, grants  # noqa: F401

TODAY = datetime.now(UTC).isoformat()


def test_an_operator_sets_a_locations_profile_and_usage_and_health_follow_it(send_gate: ApiCall) -> None:
    created = {"name": LOCATION_NAME, "numbers": [NUMBER], "created_at": TODAY}
    assert send_gate("PUT", f"/v1/locations/{LOCATION}", created)[0] == 201
    _, usage, _ = send_gate("GET", f"/v1/locations/{LOCATION}/usage")
    assert (usage["profile"], usage["limit"]) == ("seeds-2022", 250)

    status, location, _ = send_gate(
        "PUT", f"/v1/locations/{LOCATION}", {**created, "profile": "platform-2024"}
    )

    assert (status, location["profile"], location["usage"]["profile"]) == (
        200,
        "platform-2024",
        "platform-2024",
    )
    _, usage, _ = send_gate("GET", f"/v1/locations/{LOCATION}/usage")
    assert (usage["profile"], usage["limit"], usage["remaining"]) == ("platform-2024", 100, 100)
    _, health, _ = send_gate("GET", f"/v1/locations/{LOCATION}/health")
    assert health["profile"] == "platform-2024"
    assert health["thresholds"]["violation"]["opt_out_rate"] == 0.02
    assert health["thresholds"]["suspension"]["opt_out_rate"] == 0.03
    # An update that does not name a profile keeps the one the operator set.
    send_gate("PUT", f"/v1/locations/{LOCATION}", created)
    assert send_gate("GET", f"/v1/locations/{LOCATION}/usage")[1]["profile"] == "platform-2024"


def test_an_unknown_profile_is_a_validation_error(send_gate: ApiCall) -> None:
    status, answer, _ = send_gate(
        "PUT", f"/v1/locations/{LOCATION}", {"name": LOCATION_NAME, "profile": "seeds-2021"}
    )

    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_only_an_operator_may_choose_a_profile(api: Any, grants: None) -> None:  # noqa: F811
    body = {"name": "Alice Bakery", "numbers": ["+447700900100"]}
    assert api(ALICE, "PUT", "/v1/locations/loc-alice", body)[0] == 201

    status, answer = api(ALICE, "PUT", "/v1/locations/loc-alice", {**body, "profile": "platform-2024"})

    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")
    assert api(ALICE, "GET", "/v1/locations/loc-alice/usage")[1]["profile"] == "seeds-2022"
    callers.grant(OPERATOR, ["loc-alice"])
    assert api(OPERATOR, "PUT", "/v1/locations/loc-alice", {**body, "profile": "platform-2024"})[0] == 200
    # Sending back the stored profile changes nothing, and is every tenant's right.
    assert api(ALICE, "PUT", "/v1/locations/loc-alice", {**body, "profile": "platform-2024"})[0] == 200
    status, answer = api(ALICE, "PUT", "/v1/locations/loc-alice", {**body, "profile": "seeds-2022"})
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")


def test_the_deployment_chooses_the_default_profile(
    send_gate: ApiCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICY_PROFILE", "platform-2024")
    get_settings.cache_clear()
    try:
        send_gate("PUT", f"/v1/locations/{LOCATION}", {"name": LOCATION_NAME, "created_at": TODAY})
        _, usage, _ = send_gate("GET", f"/v1/locations/{LOCATION}/usage")
        _, health, _ = send_gate("GET", f"/v1/locations/{LOCATION}/health")
    finally:
        monkeypatch.delenv("POLICY_PROFILE")
        get_settings.cache_clear()

    assert (usage["profile"], usage["limit"], health["profile"]) == ("platform-2024", 100, "platform-2024")
