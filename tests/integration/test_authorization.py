"""Who may act on which location (issue 11): HTTP API events signed by an IAM principal, through
the real send_gate handler under moto."""

import uuid
from typing import Any

import pytest

from local_stack.lambdas import load_handler
from smsgate.dal import callers
from smsgate.settings import get_settings
from tests.integration.conftest import ROOT, call_api

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"  # granted loc-alice
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"  # granted loc-mallory only
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/operator"  # granted '*'
CRM_ROLE = f"arn:aws:iam::{ACCOUNT}:role/crm-backend"  # granted loc-alice, used through sessions
CRM_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/crm-backend/i-0abc"
FROM = "+447700900100"
TO = "+447700900143"  # outside the US: no 10DLC registration needed


def iam_context(principal: str) -> dict[str, Any]:
    """`requestContext.authorizer.iam` as API Gateway's IAM authorizer sets it (payload 2.0)."""
    return {
        "iam": {
            "accessKey": "AKIAEXAMPLE",
            "accountId": ACCOUNT,
            "callerId": "AIDAEXAMPLE",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": principal,
            "userId": "AIDAEXAMPLE",
        }
    }


@pytest.fixture
def api(stack: Any) -> Any:
    """`api(principal, method, path, body)`: the send_gate handler called as API Gateway would for
    a request signed by `principal` (None: unsigned)."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)

    def call(principal: str | None, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        authorizer = iam_context(principal) if principal is not None else None
        status, answer, _ = call_api(
            handler, method, path, body, authorizer=authorizer, source_ip="203.0.113.7"
        )
        return status, answer

    return call


@pytest.fixture
def grants(stack: Any) -> None:
    callers.grant(ALICE, ["loc-alice"])
    callers.grant(MALLORY, ["loc-mallory"])
    callers.grant(OPERATOR, ["*"])
    callers.grant(CRM_ROLE, ["loc-alice"])


def consent_path(location_id: str) -> str:
    return f"/v1/locations/{location_id}/contacts/{TO.replace('+', '%2B')}/consent"


def message(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "from": FROM, "to": TO, "body": "See you at 9.", "kind": "workflow"}


def test_an_allowed_principal_acts_on_its_location(api: Any, grants: None) -> None:
    status, _ = api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})
    assert status == 201
    assert api(ALICE, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"})[0] == 200
    status, sent = api(ALICE, "POST", "/v1/messages", message("loc-alice"))
    assert status == 202, sent
    status, found = api(ALICE, "GET", f"/v1/messages/{sent['message_id']}")
    assert (status, found["location_id"]) == (200, "loc-alice")
    assert api(ALICE, "GET", "/v1/locations/loc-alice/usage")[1]["sent_today"] == 1


def test_a_principal_is_refused_every_location_it_was_not_granted(api: Any, grants: None) -> None:
    api(OPERATOR, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})
    api(OPERATOR, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"})
    _, sent = api(ALICE, "POST", "/v1/messages", message("loc-alice"))

    refused = [
        api(MALLORY, "GET", "/v1/locations/loc-alice"),
        api(MALLORY, "PUT", "/v1/locations/loc-alice", {"name": "Taken over", "numbers": [FROM]}),
        api(MALLORY, "GET", "/v1/locations/loc-alice/usage"),
        api(MALLORY, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"}),
        api(MALLORY, "DELETE", f"/v1/locations/loc-alice/contacts/{TO.replace('+', '%2B')}/dnd"),
        api(MALLORY, "POST", "/v1/messages", message("loc-alice")),
        api(MALLORY, "GET", f"/v1/messages/{sent['message_id']}"),
    ]

    assert [(status, answer["error"]["code"]) for status, answer in refused] == [
        (403, "FORBIDDEN_LOCATION")
    ] * len(refused)
    assert api(ALICE, "GET", "/v1/locations/loc-alice")[1]["name"] == "Alice Bakery"
    assert api(ALICE, "GET", "/v1/locations/loc-alice/usage")[1]["sent_today"] == 1


def test_a_bulk_for_another_location_is_refused(api: Any, grants: None) -> None:
    body = {"location_id": "loc-alice", "from": FROM, "body": "Hi", "kind": "bulk", "recipients": [TO]}
    status, answer = api(MALLORY, "POST", "/v1/messages/bulk", body)
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN_LOCATION")


def test_every_session_of_a_granted_role_is_allowed(api: Any, grants: None) -> None:
    status, _ = api(
        CRM_SESSION, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]}
    )
    assert status == 201
    other_role = f"arn:aws:sts::{ACCOUNT}:assumed-role/other/i-0abc"
    assert api(other_role, "GET", "/v1/locations/loc-alice")[1]["error"]["code"] == "FORBIDDEN_LOCATION"


def test_operator_routes_need_the_star_grant(api: Any, grants: None) -> None:
    api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})

    status, answer = api(ALICE, "DELETE", "/v1/locations/loc-alice/suspension")
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")
    status, answer = api(ALICE, "PUT", "/v1/locations/loc-alice/brand/decision", {"state": "approved"})
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")

    assert api(OPERATOR, "DELETE", "/v1/locations/loc-alice/suspension")[0] == 200


def test_a_revoked_grant_is_refused_at_once(api: Any, grants: None) -> None:
    api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})
    callers.revoke(ALICE, ["loc-alice"])
    assert api(ALICE, "GET", "/v1/locations/loc-alice")[0] == 403


def test_an_unsigned_request_is_refused_when_the_deployment_allows_no_anonymous_caller(
    api: Any, grants: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_ANONYMOUS_CALLER", "false")
    get_settings.cache_clear()

    for method, path, body in (
        ("GET", "/v1/locations/loc-alice", None),
        ("POST", "/v1/messages", message("loc-alice")),
        ("GET", f"/v1/messages/{uuid.uuid4()}", None),
        ("GET", "/v1/openapi.json", None),
    ):
        status, answer = api(None, method, path, body)
        assert (status, answer["error"]["code"]) == (403, "FORBIDDEN"), path

    # The carrier webhooks carry no principal by design: they answer on the signature alone.
    status, answer = api(None, "POST", "/v1/webhooks/twilio/status", None)
    assert (status, answer["error"]["code"]) == (403, "INVALID_SIGNATURE")


def test_the_local_stack_alone_lets_the_anonymous_caller_in(stack: Any) -> None:
    from local_stack.stack import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ALLOW_ANONYMOUS_CALLER"] == "false"  # every deployment fails closed
    assert stack.environment["ALLOW_ANONYMOUS_CALLER"] == "true"  # the local stack, built from it
