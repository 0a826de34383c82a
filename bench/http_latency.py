"""An accepted and a refused `POST /v1/messages` over HTTP on the local stack, timed by the caller.

The stack is `make run`'s (moto's server, the HTTP API, the queue consumers and the simulated
carrier, in one process of their own), on free ports. Both kinds of send make the same reads;
the accepted one also writes and queues. Their medians are compared in one run, on one machine:
the ratio is the figure, not either time (docs/send-path.md#latency).

    python -m bench.http_latency     # SMSGATE_BENCH_LATENCY_SENDS=50
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from bench.gate import BODY, OLD_ACCOUNT, recipient

ROOT = Path(__file__).resolve().parent.parent
SENDS = 50
RATIO_GOAL = 2.0
SENDER = "+447400654321"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def local_stack(folder: Path) -> Iterator[str]:
    """`python -m local_stack.runner` on free ports; the HTTP API's base URL until the block ends."""
    api_port, aws_port = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SMSGATE_"))},
        "SMSGATE_API_PORT": str(api_port),
        "SMSGATE_AWS_PORT": str(aws_port),
        "SMSGATE_STATE_FILE": str(folder / "stack.json"),
        "SMSGATE_AUDIT_INTERVAL_SECONDS": "3600",
        "PYTHONUNBUFFERED": "1",
    }
    log = folder / "run.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_stack.runner"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    base_url = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local stack exited:\n{log.read_text()}")
            try:
                if requests.get(f"{base_url}/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the local stack did not start within 120 s")
            time.sleep(0.3)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _call(session: requests.Session, base_url: str, method: str, path: str, body: Any) -> requests.Response:
    return session.request(method, base_url + path, json=body, timeout=30)


def _timed_sends(
    session: requests.Session, base_url: str, location_id: str, phones: list[str], expected: int
) -> list[float]:
    times: list[float] = []
    for phone in phones:
        request = {"location_id": location_id, "from": SENDER, "to": phone, "body": BODY, "kind": "bulk"}
        started = time.perf_counter()
        answer = _call(session, base_url, "POST", "/v1/messages", request)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != expected:
            raise RuntimeError(f"expected {expected}, got {answer.status_code}: {answer.text[:300]}")
    return times


def measure(sends: int = SENDS) -> dict[str, Any]:
    """Median milliseconds of `sends` accepted and `sends` refused single sends, interleaved so
    that the machine's load weighs on both alike; the first of each is a warm-up, not counted."""
    with tempfile.TemporaryDirectory(prefix="smsgate-latency-") as folder, local_stack(Path(folder)) as base:
        session = requests.Session()
        location_id = f"bench-latency-{uuid.uuid4().hex[:6]}"
        created = _call(
            session,
            base,
            "PUT",
            f"/v1/locations/{location_id}",
            {"name": "Bright Smiles Dental", "numbers": [SENDER], "created_at": OLD_ACCOUNT.isoformat()},
        )
        if created.status_code not in (200, 201):
            raise RuntimeError(f"location not created: {created.text[:300]}")
        opted_in = [recipient(index) for index in range(sends + 1)]
        never_asked = [recipient(50_000 + index) for index in range(sends + 1)]
        for phone in opted_in:
            answer = _call(
                session,
                base,
                "PUT",
                f"/v1/locations/{location_id}/contacts/{phone.replace('+', '%2B')}/consent",
                {"source": "web_form", "evidence": "booking form checkbox"},
            )
            if answer.status_code != 200:
                raise RuntimeError(f"consent not recorded: {answer.text[:300]}")
        accepted: list[float] = []
        refused: list[float] = []
        for index in range(sends + 1):
            accepted += _timed_sends(session, base, location_id, opted_in[index : index + 1], 202)
            refused += _timed_sends(session, base, location_id, never_asked[index : index + 1], 422)
    accepted_ms, refused_ms = statistics.median(accepted[1:]), statistics.median(refused[1:])
    return {
        "sends_each": sends,
        "accepted_median_ms": accepted_ms,
        "refused_median_ms": refused_ms,
        "accepted_over_refused": accepted_ms / refused_ms,
        "goal": RATIO_GOAL,
        "meets_goal": accepted_ms / refused_ms <= RATIO_GOAL,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(os.environ.get("SMSGATE_BENCH_LATENCY_SENDS", str(SENDS)))), indent=2))
