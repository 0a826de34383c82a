"""Fixtures shared by the integration, infra and e2e tests."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.moto_stack import cloudformation_template as _cloudformation_template
from tests.moto_stack import create_stack_on_mock, use_stack_settings

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.pop("AWS_ENDPOINT_URL", None)


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
