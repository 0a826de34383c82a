"""Who may act on which location: HTTP API events signed by an IAM principal, through the real
send_gate handler under moto (docs/guarantees.md#who-may-act-on-which-location)."""

import uuid
from typing import Any

import pytest

from local_stack.lambdas import load_handler
from smsgate.dal import callers, clients, locations
from smsgate.settings import get_settings
from tests.integration.conftest import ROOT, call_api

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"  # granted loc-alice
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"  # granted loc-mallory only
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/operator"  # granted '@operator'
PLATFORM = f"arn:aws:iam::{ACCOUNT}:role/crm-platform"  # granted '*': every location, no operator
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
    callers.grant(OPERATOR, ["@operator"])
    callers.grant(PLATFORM, ["*"])
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
    api(PLATFORM, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})
    api(PLATFORM, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"})
    _, sent = api(ALICE, "POST", "/v1/messages", message("loc-alice"))

    refused = [
        api(MALLORY, "GET", "/v1/locations/loc-alice"),
        api(MALLORY, "PUT", "/v1/locations/loc-alice", {"name": "Taken over", "numbers": [FROM]}),
        api(MALLORY, "GET", "/v1/locations/loc-alice/usage"),
        api(MALLORY, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"}),
        api(MALLORY, "DELETE", f"/v1/locations/loc-alice/contacts/{TO.replace('+', '%2B')}/dnd"),
        api(MALLORY, "POST", "/v1/messages", message("loc-alice")),
    ]

    assert [(status, answer["error"]["code"]) for status, answer in refused] == [
        (403, "FORBIDDEN_LOCATION")
    ] * len(refused)
    # Another tenant's message is answered as an unknown id would be: its existence is not told.
    status, answer = api(MALLORY, "GET", f"/v1/messages/{sent['message_id']}")
    unknown_status, unknown = api(MALLORY, "GET", "/v1/messages/no-such-message")
    assert (status, answer["error"]["code"]) == (unknown_status, unknown["error"]["code"])
    assert (status, answer["error"]["code"]) == (404, "MESSAGE_NOT_FOUND")
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


def test_operator_routes_need_the_operator_grant_which_every_location_does_not_give(
    api: Any, grants: None
) -> None:
    api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})

    for caller in (ALICE, PLATFORM):
        for method, path, body in (
            ("DELETE", "/v1/locations/loc-alice/suspension", None),
            ("PUT", "/v1/locations/loc-alice/brand/decision", {"state": "approved"}),
            ("PUT", "/v1/locations/loc-alice/campaign/decision", {"state": "approved"}),
            (
                "PUT",
                "/v1/locations/loc-alice/short-codes",
                {"short_codes": [{"code": "55123", "country": "US"}]},
            ),
            ("GET", "/v1/locations", None),
        ):
            status, answer = api(caller, method, path, body)
            assert (status, answer["error"]["code"]) == (403, "FORBIDDEN"), (caller, path)

    assert api(OPERATOR, "DELETE", "/v1/locations/loc-alice/suspension")[0] == 200
    status, listed = api(OPERATOR, "GET", "/v1/locations")
    assert status == 200 and [found["location_id"] for found in listed["locations"]] == ["loc-alice"]
    # The operator grant is no access to the tenants' own routes.
    assert api(OPERATOR, "POST", "/v1/messages", message("loc-alice"))[1]["error"]["code"] == (
        "FORBIDDEN_LOCATION"
    )


def test_only_an_operator_changes_created_at_and_never_to_the_future(api: Any, grants: None) -> None:
    """created_at decides the ramp-up: a tenant backdating its location would skip it."""
    status, created = api(
        ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]}
    )
    assert (status, created["usage"]["limit"]) == (201, 250)
    body = {"name": "Alice Bakery", "numbers": [FROM], "created_at": "2021-01-01T00:00:00Z"}

    for caller in (ALICE, PLATFORM):
        status, answer = api(caller, "PUT", "/v1/locations/loc-alice", body)
        assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")
    assert api(ALICE, "GET", "/v1/locations/loc-alice/usage")[1]["limit"] == 250
    status, answer = api(PLATFORM, "PUT", "/v1/locations/loc-new", {**body, "numbers": []})
    assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")  # nor a backdated new location

    # Sending back what GET answered changes nothing, and is every tenant's right.
    unchanged = {"name": "Alice Bakery", "numbers": [FROM], "created_at": created["created_at"]}
    assert api(ALICE, "PUT", "/v1/locations/loc-alice", unchanged)[0] == 200

    callers.grant(OPERATOR, ["loc-alice"])
    status, answer = api(OPERATOR, "PUT", "/v1/locations/loc-alice", body)
    assert (status, answer["usage"]["limit"]) == (200, 5000)
    for future in ("2999-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        status, answer = api(OPERATOR, "PUT", "/v1/locations/loc-alice", {**body, "created_at": future})
        assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


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


def test_the_local_stack_alone_lets_the_anonymous_caller_in(stack: Any) -> None:
    from local_stack.stack import load_template

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ALLOW_ANONYMOUS_CALLER"] == "false"  # every deployment fails closed
    assert stack.environment["ALLOW_ANONYMOUS_CALLER"] == "true"  # the local stack, built from it


def test_a_number_another_location_holds_is_not_taken(api: Any, grants: None) -> None:
    """Claiming it would move the replies (STOP included) to the claimant and let it send from it."""
    assert api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})[0] == 201
    other = "+447700900177"

    status, answer = api(MALLORY, "PUT", "/v1/locations/loc-mallory", {"name": "M", "numbers": [other, FROM]})

    assert (status, answer["error"]["code"], answer["error"]["number"]) == (409, "NUMBER_TAKEN", FROM)
    assert locations.location_for_number(FROM) == "loc-alice"
    # Nothing of the refused request stays: not the other number, not the location.
    assert locations.location_for_number(other) is None
    assert api(MALLORY, "GET", "/v1/locations/loc-mallory")[1]["error"]["code"] == "LOCATION_NOT_FOUND"
    # Alice still sends from it; Mallory cannot.
    api(ALICE, "PUT", consent_path("loc-alice"), {"source": "web_form", "evidence": "form"})
    assert api(ALICE, "POST", "/v1/messages", message("loc-alice"))[0] == 202
    api(MALLORY, "PUT", "/v1/locations/loc-mallory", {"name": "M", "numbers": [other]})
    status, answer = api(MALLORY, "POST", "/v1/messages", {**message("loc-mallory"), "from": FROM})
    assert (status, answer["error"]["code"]) == (422, "NUMBER_NOT_OWNED")


def test_a_dropped_number_is_released_and_can_be_claimed_again(api: Any, grants: None) -> None:
    api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": [FROM]})
    api(MALLORY, "PUT", "/v1/locations/loc-mallory", {"name": "M", "numbers": []})
    assert api(MALLORY, "PUT", "/v1/locations/loc-mallory", {"name": "M", "numbers": [FROM]})[0] == 409

    assert api(ALICE, "PUT", "/v1/locations/loc-alice", {"name": "Alice Bakery", "numbers": []})[0] == 200
    assert locations.location_for_number(FROM) is None

    assert api(MALLORY, "PUT", "/v1/locations/loc-mallory", {"name": "M", "numbers": [FROM]})[0] == 200
    assert locations.location_for_number(FROM) == "loc-mallory"


def test_releasing_removes_the_index_only_where_the_location_holds_the_number(stack: Any) -> None:
    """Data written before numbers were exclusive can list one number in two locations: the one
    not holding the index must not remove it when it drops the number."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    locations.save_location("loc-alice", name="A", created_at=now, numbers=[FROM], texts={})
    clients.table(get_settings().locations_table).update_item(
        Key={"pk": "LOC#loc-legacy"},
        UpdateExpression="SET #name = :name, numbers = :numbers, created_at = :now, location_id = :id",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={
            ":name": "L",
            ":numbers": [FROM],
            ":now": now.isoformat(),
            ":id": "loc-legacy",
        },
    )

    locations.save_location("loc-legacy", name="L", created_at=now, numbers=[], texts={})

    assert locations.location_for_number(FROM) == "loc-alice"
