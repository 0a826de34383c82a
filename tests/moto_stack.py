"""The stack created from template.yaml on moto, for the test fixtures (tests/conftest.py,
tests/integration/conftest.py). One module, imported once: its caches hold for the session,
which a conftest imported both by pytest and by name would not."""

import json
from functools import cache
from typing import Any

import pytest


@cache
def cloudformation_template() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from local_stack.stack import load_template, to_cloudformation

    with mock_aws():
        return to_cloudformation(load_template(), boto3.client("iam"))


@cache
def sam_template_json() -> str:
    """template.yaml parsed once a session: the YAML parse costs more than creating the stack."""
    from local_stack.stack import load_template

    return json.dumps(load_template())


STACK_PARAMETERS = {"PublicBaseUrl": "http://127.0.0.1:3000"}


def create_stack_on_mock() -> Any:
    """Create the stack from template.yaml on the active moto mock, reusing this session's
    parse and translation of the template (both deterministic for one template text)."""
    from local_stack import stack as local

    template, sam_template = cloudformation_template(), sam_template_json()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local, "to_cloudformation", lambda *_: template)
        patch.setattr(local, "load_template", lambda: json.loads(sam_template))
        return local.create_stack(None, STACK_PARAMETERS)


def use_stack_settings(monkeypatch: pytest.MonkeyPatch, created: Any) -> None:
    """Point the handlers' settings and clients at `created`: its environment, read afresh."""
    from smsgate.dal import clients
    from smsgate.settings import get_settings

    for key, value in created.environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "local-dev-token")
    get_settings.cache_clear()
    clients.reset()
