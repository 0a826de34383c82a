"""The local stack (`make run`) started on free ports and driven over real HTTP."""

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.registration_bodies import registration_steps

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def poll(check: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.2) -> T:
    """The first truthy value of `check()`, or a failure at the deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


@dataclass
class LocalStack:
    base_url: str
    aws_endpoint: str
    process: subprocess.Popen[str]
    # This stack's state for `make audit` (SMSGATE_STATE_FILE), apart from any other running stack.
    state_file: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.url(path), json=body, timeout=30)


def start_runner(api_port: int, aws_port: int, log: Path, **settings: str) -> subprocess.Popen[str]:
    """`make run` (python -m local_stack.runner) on the given ports, its output in `log`; none
    of this shell's AWS or smsgate settings leak in, only `settings`."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "LOCATIONS_", "CONTACTS_", "SMSGATE_"))
        },
        "SMSGATE_API_PORT": str(api_port),
        "SMSGATE_AWS_PORT": str(aws_port),
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "local_stack.runner"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )


@contextmanager
def running_stack(folder: Path, **settings: str) -> Iterator[LocalStack]:
    """A local stack on free ports, its output and state file in `folder`, until the block ends."""
    api_port, aws_port = free_port(), free_port()
    log = folder / "run.log"
    process = start_runner(api_port, aws_port, log, SMSGATE_STATE_FILE=str(folder / "stack.json"), **settings)
    stack = LocalStack(
        f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", process, folder / "stack.json"
    )

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the local stack exited:\n{log.read_text()}")
        try:
            return requests.get(stack.url("/v1/openapi.json"), timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        poll(ready, timeout=90, interval=0.3)
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(
        tmp_path_factory.mktemp("local-stack"),
        SMSGATE_AUDIT_INTERVAL_SECONDS="3600",
        # The audit acts from 20 messages in the window (100 by default): tests/e2e/test_audit.py.
        SMSGATE_AUDIT_MIN_SAMPLE="20",
        # Scheduled messages go out within seconds of their minute: tests/e2e/test_scheduled_release.py.
        SMSGATE_RELEASE_INTERVAL_SECONDS="5",
    ) as stack:
        yield stack


def register_10dlc(
    stack: LocalStack, location_id: str, numbers: list[str], path: str = "standard"
) -> dict[str, Any]:
    """Submit and approve the location's 10DLC brand and campaign with `numbers` assigned, over
    HTTP (the operator's decision routes): US destinations then pass row 4 of the gate."""
    for path_, body in registration_steps(location_id, numbers, path):
        answer = stack.call("PUT", path_, body)
        assert answer.status_code == 200, (path_, answer.text)
    shown = stack.call("GET", f"/v1/locations/{location_id}")
    assert shown.status_code == 200, shown.text
    location: dict[str, Any] = shown.json()
    return location


def path_phone(phone: str) -> str:
    """A number as a path segment (the '+' URL-encoded)."""
    return phone.replace("+", "%2B")


_SENDING_NUMBERS = itertools.count(1000)


def sending_numbers(count: int = 1) -> list[str]:
    """Numbers no other location of this session's stack holds: a number belongs to one
    location at most (docs/tenancy.md#numbers)."""
    return [f"+1202556{next(_SENDING_NUMBERS):04d}" for _ in range(count)]


def create_location(stack: LocalStack, numbers: list[str], **fields: Any) -> str:
    """A new location named Bright Smiles with `numbers` (and any other `fields`); its id."""
    location_id = f"loc-{uuid.uuid4().hex[:8]}"
    answer = stack.call(
        "PUT", f"/v1/locations/{location_id}", {"name": "Bright Smiles", "numbers": numbers, **fields}
    )
    assert answer.status_code == 201, answer.text
    return location_id


def opt_in(stack: LocalStack, location_id: str, phone: str, **consent: Any) -> dict[str, Any]:
    """Record the contact's opt-in (web form, unless `consent` says otherwise); the contact."""
    answer = stack.call(
        "PUT",
        f"/v1/locations/{location_id}/contacts/{path_phone(phone)}/consent",
        {"source": "web_form", "evidence": "checkbox", **consent},
    )
    assert answer.status_code == 200, answer.text
    contact: dict[str, Any] = answer.json()
    return contact


def final_message(stack: LocalStack, message_id: str) -> dict[str, Any]:
    """The message once its carrier's final receipt is applied (no longer queued or sent)."""

    def final() -> dict[str, Any] | None:
        message: dict[str, Any] = stack.call("GET", f"/v1/messages/{message_id}").json()
        return message if message["status"] not in ("queued", "sent") else None

    return poll(final)
