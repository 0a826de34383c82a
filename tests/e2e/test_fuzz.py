"""Fuzz: schemathesis against the OpenAPI document the local stack serves (docs/api.md).

Every operation of `/v1/openapi.json` gets a bounded number of generated requests, valid and
invalid (schemathesis' positive and negative modes), each checked by schemathesis' own
`not_a_server_error`, `response_schema_conformance`, `status_code_conformance` and
`content_type_conformance`: the answer is never a 5xx, and its status, content type and body are
the ones the document declares for the operation. On top, every 4xx must carry a code of
`smsgate.reasons.ReasonCode`, and no request may go unanswered (a dropped connection is a crash).

Random data rarely gets past validation: a random location does not exist and a random string is
no EIN. So part of the requests are *grounded*: path parameters name a location, a contact and a
message that exist, and body fields get plausible values, so the fuzzing reaches the gate,
registration and consent code, not only the 400 and 404 answers.

Built on schemathesis' Python API (`from_url` in the test, `as_strategy` per operation) rather
than its pytest plugin: `schemathesis.pytest.from_fixture` fails on pytest 9.2 (it reads
`request.node._nodeid`, which pytest 9.2 no longer has), and `schema.parametrize()` on a schema
loaded at import would load it at collection time, before the local stack exists. Repeatable:
derandomized (tests/conftest.py's profile, restated here), no example database, no shrinking
(each shrinking step is another request). Every request has its own timeout, so nothing hangs.
The run is bounded by EXAMPLES_PER_OPERATION (`make test` stays within its budget).

The Twilio webhooks (their own function, signed by the carrier, a form body) are in the
document and fuzzed with the rest; their own test below adds raw bytes and made-up signatures.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smsgate.reasons import ReasonCode
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 40
REQUEST_TIMEOUT_SECONDS = 15
# A bulk of up to 5,000 recipients is gated number by number against the local stack's one moto
# server (one request at a time): seconds per request. Grounded lists are capped; the 5,000 limit
# itself is the model's (tests/integration/test_send_gate.py).
MAX_GROUNDED_LIST = 20
CODES = frozenset(str(code) for code in ReasonCode)
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Existing:
    """One location with its number, a contact who opted in, and a message sent to the contact."""

    location_id: str = "fuzz-dental"
    number: str = "+12025557701"
    # Outside the US: no 10DLC registration stands between a message to it and the gate's checks.
    contact: str = "+447911127701"
    message_id: str = ""

    def phones(self) -> list[str]:
        return [self.contact, self.number, "+447911127702", "+12025557702", "+12025557703"]


@pytest.fixture(scope="module")
def existing(local_stack: LocalStack) -> Existing:
    made = Existing()
    location = local_stack.call(
        "PUT",
        f"/v1/locations/{made.location_id}",
        {"name": "Fuzz Dental", "numbers": [made.number], "created_at": "2023-01-01T00:00:00Z"},
    )
    assert location.status_code in (200, 201), location.text
    consent = local_stack.call(
        "PUT",
        f"/v1/locations/{made.location_id}/contacts/%2B{made.contact[1:]}/consent",
        {"source": "web_form", "evidence": "fuzz fixture", "captured_at": "2024-05-01T10:00:00Z"},
    )
    assert consent.status_code == 200, consent.text
    message = local_stack.call(
        "POST",
        "/v1/messages",
        {
            "location_id": made.location_id,
            "from": made.number,
            "to": made.contact,
            "body": "Your cleaning is confirmed for Tuesday at 10am.",
            "kind": "conversation",
        },
    )
    assert message.status_code == 202, message.text
    return Existing(message_id=message.json()["message_id"])


def problem_of(status: int, text: str) -> str | None:
    """What is wrong with an answer (docs/api.md#answers), None when nothing is."""
    if status >= 500:
        return f"{status}: {text[:300]}"
    if 400 <= status < 500:
        try:
            body = json.loads(text)
        except ValueError:
            return f"{status} without a JSON body: {text[:300]}"
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict) or error.get("code") not in CODES:
            return f"{status} without a reason code: {text[:300]}"
    return None


def grounded(body: Any, existing: Existing, pick: int) -> Any:
    """`body` with the fields its schema cannot describe given plausible values (`pick` varies
    which number goes where)."""
    phones = existing.phones()
    plausible: dict[str, Any] = {
        "location_id": existing.location_id,
        "from": existing.number,
        "to": phones[pick % len(phones)],
        "phone": phones[(pick + 1) % len(phones)],
        "ein": "12-3456789",
        "email": "office@fuzz-dental.example",
        "website": "https://fuzz-dental.example",
    }
    if isinstance(body, list):
        return [grounded(item, existing, pick + index) for index, item in enumerate(body[:MAX_GROUNDED_LIST])]
    if not isinstance(body, dict):
        return body
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in plausible:
            out[key] = plausible[key]
        elif key in ("recipients", "numbers") and isinstance(value, list):
            out[key] = [
                phones[(pick + index) % len(phones)] for index in range(min(len(value), MAX_GROUNDED_LIST))
            ]
        else:
            out[key] = grounded(value, existing, pick)
    return out


def cases_of(operation: Any, existing: Existing) -> st.SearchStrategy[Any]:
    """Generated requests for `operation`: as schemathesis makes them, and grounded."""
    known = {
        "location_id": existing.location_id,
        "phone": existing.contact,
        "message_id": existing.message_id,
    }
    names = {parameter.name for parameter in operation.path_parameters}
    fixed = {name: value for name, value in known.items() if name in names}

    def ground(case: Any, pick: int) -> Any:
        if case.body is not None and not isinstance(case.body, (str, bytes)):
            case.body = grounded(case.body, existing, pick)
        return case

    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(mode))
        strategies.append(
            st.builds(ground, operation.as_strategy(mode, path_parameters=fixed or None), st.integers(0, 9))
        )
    return st.one_of(strategies)


def test_every_answer_is_one_the_document_declares(local_stack: LocalStack, existing: Existing) -> None:
    schema = schemathesis.openapi.from_url(
        local_stack.url("/v1/openapi.json"), timeout=REQUEST_TIMEOUT_SECONDS
    )
    loaded = list(schema.get_all_operations())
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    assert len(operations) == len(loaded), "the served document has operations schemathesis cannot read"
    problems: list[str] = []
    calls: dict[str, int] = {}
    for operation in operations:

        @FUZZ_SETTINGS
        @given(case=cases_of(operation, existing))
        def fuzz(case: Any) -> None:
            label = case.operation.label
            calls[label] = calls.get(label, 0) + 1
            try:
                response = case.call(base_url=local_stack.base_url, timeout=REQUEST_TIMEOUT_SECONDS)
            except requests.RequestException as exc:
                problem: str | None = f"no answer ({type(exc).__name__}): the handler crashed or hung"
            else:
                problem = problem_of(response.status_code, response.text)
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as failures:
                    found = f"{response.status_code}: {failures}"[:1500]
                    problem = f"{problem}; {found}" if problem else found
            if problem:
                # Collected, not raised: one finding per request, every operation still fuzzed.
                problems.append(f"{label}: {problem}\n    {case.as_curl_command()[:800]}")

        fuzz()
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])
    assert calls.keys() == {operation.label for operation in operations}, "an operation was never fuzzed"


SIGNATURE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@pytest.mark.parametrize("path", ["/v1/webhooks/twilio/status", "/v1/webhooks/twilio/inbound"])
def test_the_twilio_webhooks_refuse_every_request_not_signed_by_twilio(
    local_stack: LocalStack, path: str
) -> None:
    """Beyond the forms schemathesis generates from the document: fuzzed forms and raw bytes with
    a missing or made-up `X-Twilio-Signature` are each refused 403 INVALID_SIGNATURE (400
    VALIDATION_ERROR for a body that is not even UTF-8)."""

    @FUZZ_SETTINGS
    @given(
        body=st.one_of(
            st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=8)
            .map(urlencode)
            .map(str.encode),
            st.binary(max_size=200),
        ),
        signature=st.none() | st.text(SIGNATURE_ALPHABET, max_size=40),
    )
    def fuzz(body: bytes, signature: str | None) -> None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        answer = requests.post(
            local_stack.url(path), data=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
        )
        assert problem_of(answer.status_code, answer.text) is None, (body, answer.text)
        code = answer.json()["error"]["code"]
        assert (answer.status_code, code) in {(403, "INVALID_SIGNATURE"), (400, "VALIDATION_ERROR")}, (
            answer.text
        )
        if answer.status_code == 400:
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")

    fuzz()
