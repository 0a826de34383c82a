"""Fixtures shared by the integration, infra and e2e tests."""

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.pop("AWS_ENDPOINT_URL", None)


@cache
def _cloudformation_template() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from local_stack.stack import load_template, to_cloudformation

    with mock_aws():
        return to_cloudformation(load_template(), boto3.client("iam"))


@cache
def _sam_template_json() -> str:
    """template.yaml parsed once a session: the YAML parse costs more than creating the stack."""
    from local_stack.stack import load_template

    return json.dumps(load_template())


STACK_PARAMETERS = {"PublicBaseUrl": "http://127.0.0.1:3000"}


def create_stack_on_mock() -> Any:
    """Create the stack from template.yaml on the active moto mock, reusing this session's
    parse and translation of the template (both deterministic for one template text)."""
    from local_stack import stack as local

    template, sam_template = _cloudformation_template(), _sam_template_json()
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


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process moto backend holding the stack created from template.yaml, for this test
    alone (the integration tests share one, emptied between tests: tests/integration/conftest.py)."""
    from moto import mock_aws

    from smsgate.dal import clients
    from smsgate.settings import get_settings

    with mock_aws():
        created = create_stack_on_mock()
        use_stack_settings(monkeypatch, created)
        yield created
        get_settings.cache_clear()
        clients.reset()


def _repeatable_property_tests() -> None:
    """CI runs the same hypothesis examples every time: a red build is reproducible, not luck."""
    from hypothesis import settings

    settings.register_profile("repeatable", derandomize=True, print_blob=True)
    settings.load_profile("repeatable")


_repeatable_property_tests()


# --- every function's AWS calls checked against its IAM role (README, "Permissions") ----------


def pytest_configure(config: pytest.Config) -> None:
    from tests.permissions import plugin

    plugin.start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.permissions import plugin

    plugin.finish(session, _cloudformation_template)
