"""A client generated from the served OpenAPI document (docs/api.md#the-openapi-document) drives
the local stack: what a platform would do with the document, with openapi-python-client, a
well-kept generator. The client parses each answer with the model the document declares for its
status, so a document that lied about a status or a shape would fail here."""

import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
import requests

from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

NUMBER = "+447911128800"  # outside the US: no 10DLC registration stands between a send and the gate
CONTACT = "+447911128801"
STRANGER = "+447911128802"


@pytest.fixture(scope="module")
def client_package(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package openapi-python-client generates from `/v1/openapi.json`, in a fresh folder."""
    folder = tmp_path_factory.mktemp("generated-client")
    document = requests.get(local_stack.url("/v1/openapi.json"), timeout=30)
    assert document.status_code == 200, document.text
    (folder / "openapi.json").write_text(document.text)
    # No post hooks: the generated code is imported, not committed, so it needs no formatting.
    (folder / "config.yaml").write_text("post_hooks: []\n")
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(folder / "openapi.json"),
            "--config",
            str(folder / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / "smsgate_client"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The generator warns about what it could not generate; nothing may be missing.
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    return folder


def module(folder: Path, name: str) -> ModuleType:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(f"smsgate_client.{name}")


def test_a_generated_client_creates_a_location_records_consent_and_sends(
    local_stack: LocalStack, client_package: Path
) -> None:
    put_location, record_consent, send_message, get_message = (
        module(client_package, f"api.default.{name}")
        for name in ("put_location", "record_consent", "send_message", "get_message")
    )
    models = module(client_package, "models")
    client = module(client_package, "client").Client(base_url=local_stack.base_url)
    location_id = f"gen-{uuid.uuid4().hex[:8]}"

    created = put_location.sync_detailed(
        location_id,
        client=client,
        body=models.PutLocationRequest(name="Generated Dental", numbers=[NUMBER]),
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.LocationView) and created.parsed.numbers == [NUMBER]

    contact = record_consent.sync_detailed(
        location_id,
        CONTACT,  # the client URL-encodes the '+'
        client=client,
        body=models.ConsentRequest(source="web_form", evidence="generated client"),
    )
    assert contact.status_code == 200, contact.content
    assert isinstance(contact.parsed, models.ContactView) and contact.parsed.phone == CONTACT

    sent = send_message.sync_detailed(
        client=client,
        body=models.SendMessageRequest(
            location_id=location_id,
            from_=NUMBER,
            to=CONTACT,
            body="Your cleaning is confirmed for Tuesday at 10am.",
            kind=models.SendMessageRequestKind.CONVERSATION,
        ),
    )
    assert sent.status_code == 202, sent.content
    assert isinstance(sent.parsed, models.SendAccepted), sent.content
    assert sent.parsed.status == "queued" and sent.parsed.segments == 1

    shown = get_message.sync_detailed(sent.parsed.message_id, client=client)
    assert shown.status_code == 200, shown.content
    assert isinstance(shown.parsed, models.MessageView) and shown.parsed.to == CONTACT

    refused = send_message.sync_detailed(
        client=client,
        body=models.SendMessageRequest(
            location_id=location_id,
            from_=NUMBER,
            to=STRANGER,
            body="Hello",
            kind=models.SendMessageRequestKind.CONVERSATION,
        ),
    )
    # A refusal parses as the documented error body, its code one of the document's enum.
    assert refused.status_code == 422, refused.content
    assert isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.error.code == models.ReasonCode.NO_CONSENT
    assert json.loads(refused.content)["error"]["code"] == "NO_CONSENT"
