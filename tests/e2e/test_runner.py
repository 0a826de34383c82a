"""`make run` itself: the banner last and nothing of the emulator above it, one state file per
stack that `make audit` and the CLI of each stack find, and a stop within 5 s of SIGTERM or
SIGINT, while idle and while starting (docs/local-stack.md).

Three runners start at once (their start is the slow part): two run side by side on their own
ports, the third is stopped while it starts.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from smsgate_cli.main import app
from tests.e2e.conftest import ROOT, free_port, poll, start_runner

pytestmark = pytest.mark.e2e

STOP_WITHIN_SECONDS = 5.0
LAST_BANNER_LINE = "  stop:  Ctrl-C"


def stops_within(process: subprocess.Popen[str], signum: int, seconds: float) -> float:
    """Send `signum`; how long the process took to exit (a failure if it outlives `seconds`)."""
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {seconds}s after {signal.Signals(signum).name}") from None
    return time.monotonic() - sent


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def run_audit(api_port: int) -> subprocess.CompletedProcess[str]:
    """`make audit` for the stack on `api_port`, found by its port alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SMSGATE_"))}
    return subprocess.run(
        [sys.executable, "-m", "local_stack.audit_once"],
        cwd=ROOT,
        env={**env, "SMSGATE_API_PORT": str(api_port)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_two_stacks_keep_their_own_state_and_each_stops_on_its_signal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runners: dict[str, dict[str, Any]] = {}
    for name in ("term", "int", "starting"):
        api_port, aws_port = free_port(), free_port()
        log = tmp_path / f"{name}.log"
        runners[name] = {
            "api_port": api_port,
            "aws_port": aws_port,
            "log": log,
            "state": ROOT / ".local-stack" / f"stack-{api_port}.json",
            "process": start_runner(api_port, aws_port, log),
        }
    try:
        starting = runners["starting"]
        poll(lambda: accepts_connections(starting["aws_port"]), timeout=60, interval=0.05)
        assert LAST_BANNER_LINE not in starting["log"].read_text()
        stops_within(starting["process"], signal.SIGTERM, STOP_WITHIN_SECONDS)
        assert not starting["state"].exists()

        running = [runners["term"], runners["int"]]
        for runner in running:
            log = runner["log"]
            poll(lambda log=log: LAST_BANNER_LINE in log.read_text(), timeout=120, interval=0.2)
        for runner in running:
            output = runner["log"].read_text()
            # The banner is the last thing written, and the emulator's warnings are not above it.
            assert output.rstrip("\n").endswith(LAST_BANNER_LINE), output
            assert output.startswith("smsgate local stack ready"), output
            assert "No Moto CloudFormation support" not in output
            state = json.loads(runner["state"].read_text())
            assert state["api"] == f"http://127.0.0.1:{runner['api_port']}"
            assert state["pid"] == runner["process"].pid

        # Each stack's audit and CLI reach that stack, whatever the other one wrote.
        for runner in running:
            audit = run_audit(runner["api_port"])
            assert audit.returncode == 0, audit.stdout + audit.stderr
            assert '"audited"' in audit.stdout
        monkeypatch.chdir(ROOT)
        for name in ("SMSGATE_API_URL", "SMSGATE_STATE_FILE"):
            monkeypatch.delenv(name, raising=False)
        only_on_term = f"http://127.0.0.1:{runners['term']['api_port']}/v1/locations/only-here"
        created = requests.put(
            only_on_term, json={"name": "Only Here", "numbers": ["+447700900123"]}, timeout=30
        )
        assert created.status_code == 201, created.text
        for runner, expected in ((runners["term"], ["only-here"]), (runners["int"], [])):
            listed = CliRunner().invoke(
                app, ["locations", "--json"], env={"SMSGATE_API_PORT": str(runner["api_port"])}
            )
            assert listed.exit_code == 0, listed.output
            assert [item["location_id"] for item in json.loads(listed.output)] == expected

        # Idle, each stops within 5 s of its signal and takes its state file with it.
        stops_within(runners["term"]["process"], signal.SIGTERM, STOP_WITHIN_SECONDS)
        stops_within(runners["int"]["process"], signal.SIGINT, STOP_WITHIN_SECONDS)
        for runner in running:
            assert runner["process"].returncode == 0
            assert runner["log"].read_text().rstrip("\n").endswith("stopped")
            assert not runner["state"].exists()
    finally:
        for runner in runners.values():
            if runner["process"].poll() is None:
                runner["process"].kill()
                runner["process"].wait()
