"""Records every AWS call a function's handler makes, in any process of a test session.

`install(path)` wraps botocore's `BaseClient._make_api_call`, the one method every client's
API call goes through, so calls from clients smsgate.dal.clients did not create (powertools
parameters' SSM and Secrets Manager clients, the End User Messaging client) are recorded too.
A call is attributed to the function whose `functions/<folder>/app.py` is on the calling
thread's stack; calls from the tests or the local stack's own machinery (creating the stack,
polling queues) have none and are not recorded.

Each distinct (function, operation, action, resource) is appended once per process as one JSON
line: every process of the session (pytest, the e2e local stack) appends to the same file, and
a single `os.write` of a short line to a file opened with O_APPEND is not interleaved.
"""

import json
import os
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from botocore.client import BaseClient

from tests.permissions.calls import Call, permissions

ENVIRONMENT_VARIABLE = "SMSGATE_RECORD_AWS_CALLS"
_folders: dict[str, str | None] = {}


def _folder_of(filename: str) -> str | None:
    """`send_gate` for …/functions/send_gate/app.py, else None (cached per file)."""
    if filename not in _folders:
        path = Path(filename)
        _folders[filename] = (
            path.parent.name if path.name == "app.py" and path.parent.parent.name == "functions" else None
        )
    return _folders[filename]


def function_on_stack(frame: FrameType | None) -> str | None:
    """The folder of the innermost function handler on the stack from `frame` outwards."""
    while frame is not None:
        folder = _folder_of(frame.f_code.co_filename)
        if folder is not None:
            return folder
        frame = frame.f_back
    return None


class Recorder:
    """Appends each distinct call of a function to one JSON-lines file."""

    def __init__(self, path: str) -> None:
        self._descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._seen: set[tuple[str, str, str, str | None]] = set()
        self._lock = threading.Lock()

    def record(self, folder: str, call: Call) -> None:
        lines: list[str] = []
        name = f"{call.prefix}:{call.operation}"
        with self._lock:
            for permission in permissions(call):
                key = (folder, name, permission.action, permission.resource)
                if key in self._seen:
                    continue
                self._seen.add(key)
                entry = {
                    "function": folder,
                    "call": name,
                    "action": permission.action,
                    "resource": permission.resource,
                }
                lines.append(json.dumps(entry))
            for line in lines:
                os.write(self._descriptor, (line + "\n").encode())


_installed: list[Recorder] = []


def install(path: str) -> None:
    """Record into `path` from now on (once per process; later calls change nothing)."""
    if _installed:
        return
    recorder = Recorder(path)
    _installed.append(recorder)
    # Not in botocore's stubs: the method every generated API method of every client calls.
    original = getattr(BaseClient, "_make_api_call")  # noqa: B009

    def recording(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        folder = function_on_stack(sys._getframe(1))
        if folder is not None:
            call = Call(
                prefix=self.meta.service_model.signing_name,
                operation=operation_name,
                params=api_params,
                region=self.meta.region_name or "us-east-1",
            )
            recorder.record(folder, call)
        return original(self, operation_name, api_params)

    setattr(BaseClient, "_make_api_call", recording)  # noqa: B010


def read(path: Path) -> list[dict[str, Any]]:
    """The distinct calls recorded in `path` (every process's lines, repeats removed)."""
    if not path.exists():
        return []
    lines = dict.fromkeys(line for line in path.read_text().splitlines() if line.strip())
    return [json.loads(line) for line in lines]
