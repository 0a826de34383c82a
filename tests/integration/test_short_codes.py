"""Short codes as a location's sending numbers (docs/carriers.md#short-codes): recorded by an
operator only, unique across locations, exempt from 10DLC but bound to their country, never a
recipient; through the real send_gate and inbound_keyword handlers under moto."""

import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from local_stack.lambdas import load_handler
from smsgate.dal import callers, contacts, locations
from tests.integration.conftest import ROOT, Invoke, call_api
from tests.integration.test_authorization import ACCOUNT, iam_context
from tests.integration.test_dispatcher import (
    RecordingSleep,
    aws_dispatcher,
    context,
    failed_records,
    queue_event,
)
from tests.integration.test_inbound_keyword import queued_replies, reply

TENANT = f"arn:aws:iam::{ACCOUNT}:user/bakery"  # granted loc-bakery
PLATFORM = f"arn:aws:iam::{ACCOUNT}:role/crm-platform"  # granted '*': every location, no operator
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/operator"  # granted '@operator' and both locations
SHORT_CODE = "55123"
LONG_NUMBER = "+447700900100"
US_CONTACT = "+12025550143"  # no brand, no campaign: a long number could not send here
CA_CONTACT = "+14165550143"
UK_CONTACT = "+447911120143"
BASE = "/v1/locations/loc-bakery"

Api = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def api(stack: Any) -> Api:
    """`api(principal, method, path, body)`: send_gate as API Gateway calls it for a signed request."""
    handler = load_handler(ROOT / "functions" / "send_gate", uuid.uuid4().hex)
    callers.grant(TENANT, ["loc-bakery"])
    callers.grant(PLATFORM, ["*"])
    callers.grant(OPERATOR, ["@operator", "loc-bakery", "loc-florist"])

    def call(principal: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        status, answer, _ = call_api(handler, method, path, body, authorizer=iam_context(principal))
        return status, answer

    return call


def short_codes(*entries: dict[str, str]) -> dict[str, Any]:
    return {"short_codes": list(entries)}


US_PROGRAM = {"code": SHORT_CODE, "country": "US", "keyword": "BAKERY"}


def bakery(api: Api, *, contacts_opted_in: tuple[str, ...] = (US_CONTACT, UK_CONTACT, CA_CONTACT)) -> None:
    """loc-bakery with one long number, its contacts opted in, and the operator's US short code."""
    status, answer = api(TENANT, "PUT", BASE, {"name": "Bakery", "numbers": [LONG_NUMBER]})
    assert status == 201, answer
    for phone in contacts_opted_in:
        path = f"{BASE}/contacts/{phone.replace('+', '%2B')}/consent"
        assert api(TENANT, "PUT", path, {"source": "web_form", "evidence": "checkout box"})[0] == 200
    status, answer = api(OPERATOR, "PUT", f"{BASE}/short-codes", short_codes(US_PROGRAM))
    assert status == 200, answer


def send(api: Api, to: str, sender: str = SHORT_CODE) -> tuple[int, dict[str, Any]]:
    body = {
        "location_id": "loc-bakery",
        "from": sender,
        "to": to,
        "body": "Your bread is ready.",
        "kind": "workflow",
    }
    return api(TENANT, "POST", "/v1/messages", body)


def test_an_operator_records_a_locations_short_codes_and_the_location_shows_them(api: Api) -> None:
    bakery(api)

    status, shown = api(TENANT, "GET", BASE)

    assert status == 200
    assert shown["short_codes"] == [US_PROGRAM]
    assert shown["numbers"] == [LONG_NUMBER]
    assert locations.location_for_number(SHORT_CODE) == "loc-bakery"


def test_a_tenant_cannot_record_a_short_code_by_either_route(api: Api) -> None:
    bakery(api, contacts_opted_in=())

    for principal in (TENANT, PLATFORM):
        status, answer = api(
            principal, "PUT", f"{BASE}/short-codes", short_codes({"code": "66777", "country": "US"})
        )
        assert (status, answer["error"]["code"]) == (403, "FORBIDDEN")
    status, answer = api(TENANT, "PUT", BASE, {"name": "Bakery", "numbers": [LONG_NUMBER, "66777"]})
    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "an operator records a location's approved short codes" in answer["error"]["message"]
    assert locations.location_for_number("66777") is None
    assert api(TENANT, "GET", BASE)[1]["short_codes"] == [US_PROGRAM]


def test_aws_sends_from_the_short_code_with_its_program_keyword(api: Api, stack: Any) -> None:
    bakery(api)
    assert send(api, US_CONTACT)[0] == 202
    sent: list[dict[str, Any]] = []

    handler = aws_dispatcher(
        "short-code",
        RecordingSleep(),
        lambda stubber: stubber.add_response("send_text_message", {"MessageId": "aws-1"}),
    )
    app: Any = sys.modules[handler.__module__]
    app.dispatcher.carrier._client.meta.events.register(
        "provide-client-params.pinpoint-sms-voice-v2.SendTextMessage", lambda params, **_: sent.append(params)
    )
    assert failed_records(handler(queue_event(stack, queued_replies(stack)), context())) == []

    [params] = sent
    assert (params["OriginationIdentity"], params["DestinationPhoneNumber"], params["Keyword"]) == (
        SHORT_CODE,
        US_CONTACT,
        "BAKERY",
    )


def test_a_send_from_the_short_code_to_its_country_needs_no_10dlc_registration(api: Api) -> None:
    bakery(api)

    status, sent = send(api, US_CONTACT)

    assert status == 202, sent
    stored = api(TENANT, "GET", f"/v1/messages/{sent['message_id']}")[1]
    assert (stored["from"], stored["to"], stored["status"]) == (SHORT_CODE, US_CONTACT, "queued")
    # The same destination from the long number still needs the registration.
    status, refused = send(api, US_CONTACT, sender=LONG_NUMBER)
    assert (status, refused["error"]["code"]) == (422, "NOT_REGISTERED")


@pytest.mark.parametrize("to", [UK_CONTACT, CA_CONTACT])
def test_a_send_from_the_short_code_to_another_country_is_refused(api: Api, to: str) -> None:
    bakery(api)

    status, refused = send(api, to)

    assert (status, refused["error"]["code"]) == (422, "NOT_REGISTERED")
    assert refused["error"]["short_code_country"] == "US"
    # The long number sends there (no 10DLC outside the US).
    assert send(api, UK_CONTACT, sender=LONG_NUMBER)[0] == 202


def test_the_other_checks_apply_to_a_short_code_unchanged(api: Api) -> None:
    bakery(api, contacts_opted_in=(US_CONTACT,))
    other = "+12025550177"

    status, refused = send(api, other)
    assert (status, refused["error"]["code"]) == (422, "NO_CONSENT")
    status, refused = api(
        TENANT,
        "POST",
        "/v1/messages",
        {"location_id": "loc-bakery", "from": "66777", "to": US_CONTACT, "body": "Hi", "kind": "workflow"},
    )
    assert (status, refused["error"]["code"]) == (422, "NUMBER_NOT_OWNED")


def test_a_short_code_is_never_a_recipient(api: Api) -> None:
    bakery(api)

    status, refused = send(api, "28444", sender=LONG_NUMBER)

    assert (status, refused["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "carriers deliver no messages to short codes" in refused["error"]["message"]
    bulk = {
        "location_id": "loc-bakery",
        "from": LONG_NUMBER,
        "body": "Hi",
        "recipients": [UK_CONTACT, "28444"],
    }
    status, refused = api(TENANT, "POST", "/v1/messages/bulk", bulk)
    assert (status, refused["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_a_short_code_belongs_to_one_location(api: Api) -> None:
    bakery(api, contacts_opted_in=())
    florist = "/v1/locations/loc-florist"
    assert api(OPERATOR, "PUT", florist, {"name": "Florist"})[0] == 201

    status, answer = api(
        OPERATOR, "PUT", f"{florist}/short-codes", short_codes({"code": "77888", "country": "US"}, US_PROGRAM)
    )

    assert (status, answer["error"]["code"], answer["error"]["number"]) == (409, "NUMBER_TAKEN", SHORT_CODE)
    # Nothing of the refused request was kept: its other code was released again.
    assert locations.location_for_number("77888") is None
    assert api(OPERATOR, "GET", florist)[1]["short_codes"] == []
    # Once the bakery's short codes no longer list it, the florist may take it.
    assert api(OPERATOR, "PUT", f"{BASE}/short-codes", short_codes())[0] == 200
    assert locations.location_for_number(SHORT_CODE) is None
    assert api(OPERATOR, "PUT", f"{florist}/short-codes", short_codes(US_PROGRAM))[0] == 200
    assert locations.location_for_number(SHORT_CODE) == "loc-florist"


def test_short_codes_of_an_unknown_location_are_404(api: Api) -> None:
    status, answer = api(OPERATOR, "PUT", "/v1/locations/loc-none/short-codes", short_codes(US_PROGRAM))

    assert (status, answer["error"]["code"]) == (404, "LOCATION_NOT_FOUND")
    assert locations.location_for_number(SHORT_CODE) is None


@pytest.mark.parametrize(
    "entry",
    [
        {"code": "551", "country": "US"},  # a US short code has 5 or 6 digits
        {"code": "55123", "country": "ZZ"},
        {"code": "+15512", "country": "US"},
        {"code": "55123", "country": "US", "keyword": "x" * 31},
    ],
)
def test_an_impossible_short_code_is_400(api: Api, entry: dict[str, str]) -> None:
    bakery(api, contacts_opted_in=())

    status, answer = api(OPERATOR, "PUT", f"{BASE}/short-codes", short_codes(entry))

    assert (status, answer["error"]["code"]) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize("fmt", ["twilio", "aws"])
def test_a_stop_to_the_short_code_reaches_its_location(
    api: Api, handler: Callable[[str], Invoke], stack: Any, fmt: str
) -> None:
    bakery(api)
    inbound = handler("inbound_keyword")

    reply(inbound, fmt, "STOP", number=SHORT_CODE, contact=US_CONTACT, at=datetime.now(UTC))

    assert contacts.get_contact("loc-bakery", US_CONTACT).dnd.state == "permanent"
    confirmations = queued_replies(stack)
    assert [(record.location_id, record.from_number, record.to) for record in confirmations] == [
        ("loc-bakery", SHORT_CODE, US_CONTACT)
    ]
    status, refused = send(api, US_CONTACT)
    assert (status, refused["error"]["code"]) == (422, "DND_ACTIVE")
