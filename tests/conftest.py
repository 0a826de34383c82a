"""Fixtures shared by the integration, infra and e2e tests."""

import os
import shutil
import tempfile
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


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process moto backend holding the stack created from template.yaml."""
    from moto import mock_aws

    from local_stack import stack as local
    from smsgate.dal import clients
    from smsgate.settings import get_settings

    template = _cloudformation_template()
    monkeypatch.setattr(local, "to_cloudformation", lambda *_: template)
    with mock_aws():
        created = local.create_stack(None, {"PublicBaseUrl": "http://127.0.0.1:3000"})
        for key, value in created.environment.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", "local-dev-token")
        get_settings.cache_clear()
        clients.reset()
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

_RECORDING: dict[str, Path] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Record the functions' AWS calls of this session, in this process and in every local stack
    it starts (they inherit the variable): into $SMSGATE_RECORD_AWS_CALLS when set (`make
    permissions`), else into a temporary file."""
    from tests.permissions import recorder

    path = os.environ.get(recorder.ENVIRONMENT_VARIABLE)
    if not path:
        _RECORDING["directory"] = Path(tempfile.mkdtemp(prefix="smsgate-aws-calls-"))
        path = str(_RECORDING["directory"] / "calls.jsonl")
        os.environ[recorder.ENVIRONMENT_VARIABLE] = path
    Path(path).write_text("")
    _RECORDING["path"] = Path(path)
    recorder.install(path)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when a recorded call is one its function's role would deny."""
    from tests.permissions import recorder, report
    from tests.permissions.roles import StackModel

    calls = recorder.read(_RECORDING["path"]) if "path" in _RECORDING else []
    if "directory" in _RECORDING:
        shutil.rmtree(_RECORDING["directory"], ignore_errors=True)
    if not calls:
        return
    from local_stack.stack import load_template

    denials = report.denied(StackModel(load_template(), _cloudformation_template()), calls)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write("\n")  # after the progress line's "[100%]"
    if not denials:
        if terminal is not None:
            terminal.write_line(
                f"permissions: {len(calls)} recorded AWS calls, each allowed by its function's role"
            )
        return
    if terminal is not None:
        terminal.write_sep("=", f"{len(denials)} AWS calls their function's IAM role denies", red=True)
        terminal.write_line(report.denials_table(denials))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
