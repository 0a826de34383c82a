"""The permission check's two pytest hooks, called from tests/conftest.py: `start` at
configure (record this session's calls), `finish` at session end (fail it on a denied call)."""

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.permissions import recorder, report
from tests.permissions.roles import StackModel

_RECORDING: dict[str, Path] = {}


def start() -> None:
    """Record the functions' AWS calls of this session, in this process and in every process it
    starts (they inherit the variable: the e2e local stack): into $SMSGATE_RECORD_AWS_CALLS when
    set (`make permissions`), else into a temporary file removed at the end."""
    path = os.environ.get(recorder.ENVIRONMENT_VARIABLE)
    if not path:
        _RECORDING["directory"] = Path(tempfile.mkdtemp(prefix="smsgate-aws-calls-"))
        path = str(_RECORDING["directory"] / "calls.jsonl")
        os.environ[recorder.ENVIRONMENT_VARIABLE] = path
    Path(path).write_text("")
    _RECORDING["path"] = Path(path)
    recorder.install(path)


def finish(session: pytest.Session, translated: Callable[[], dict[str, Any]] | None = None) -> None:
    """Fail the session when a recorded call is one its function's role would deny; `translated`
    gives the translated template (the session's cached one), by default translated here."""
    calls = recorder.read(_RECORDING["path"]) if "path" in _RECORDING else []
    if "directory" in _RECORDING:
        shutil.rmtree(_RECORDING["directory"], ignore_errors=True)
    if not calls:
        return
    from local_stack.stack import load_template

    model = StackModel(load_template(), translated()) if translated else report.stack_model()
    denials = report.denied(model, calls)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write("\n")  # after the progress line's "[100%]"
        if denials:
            terminal.write_sep("=", f"{len(denials)} AWS calls their function's IAM role denies", red=True)
            terminal.write_line(report.denials_table(denials))
        else:
            terminal.write_line(
                f"permissions: {len(calls)} recorded AWS calls, each allowed by its function's role"
            )
    if denials:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
