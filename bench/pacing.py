"""Pacing across dispatcher instances: K threads book sends on one number and one campaign in
the shared slots of CountersTable, on moto's server holding the stack of template.yaml.

Each thread is a dispatcher instance with its own boto3 client and HTTP connection, running
the dispatcher's own pacing (`smsgate.services.pacing.Pacer`): it waits for its slot when the
slot comes within `MAX_WAIT_SECONDS`, and otherwise does what the queue does to a postponed
message, waits the postponement without sending. The time of each send is taken after the
wait, as the carrier would see it.

Per scenario and K: the most sends in any one-second window (goal: at most rate + burst) and
the achieved rate over the run (goal: at least 95 % of the allowed rate).

    python -m bench.pacing
"""

import json
import logging
import math
import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CONCURRENCY = (1, 5, 20)
SECONDS = float(os.environ.get("SMSGATE_BENCH_PACING_SECONDS", "10"))
# Shorter than the dispatcher's so that postponements happen in a short run too.
MAX_WAIT_SECONDS = 3.0
RATE_GOAL = 0.95
# (name, number MPS, campaign's AT&T class): one bound by the number, one by the campaign.
SCENARIOS = (
    ("per number (10 MPS, class A campaign)", 10.0, "A"),
    ("per campaign (class E: 240/min, number 50 MPS)", 50.0, "E"),
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# moto's server in a process of its own, as DynamoDB is another machine: in the bench's process
# it would share one interpreter lock with the 20 dispatcher threads, and its own latency
# (hundreds of milliseconds under that contention) would pass for pacing's.
_SERVER = """
import sys, threading
from local_stack.moto_server import start_moto_server
start_moto_server("127.0.0.1", int(sys.argv[1]))
print("ready", flush=True)
threading.Event().wait()
"""


@contextmanager
def moto_stack() -> Iterator[None]:
    """moto's server on a free port, holding the stack created from template.yaml."""
    import boto3
    from moto import mock_aws

    import local_stack.stack as local
    from smsgate.dal import clients
    from smsgate.settings import get_settings

    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"moto\..*")
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1"})
    with mock_aws():
        template = local.to_cloudformation(local.load_template(), boto3.client("iam"))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    original = local.to_cloudformation
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        endpoint = f"http://127.0.0.1:{port}"
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        local.to_cloudformation = lambda *_: template
        created = local.create_stack(endpoint, {"PublicBaseUrl": "http://127.0.0.1:3000"})
        os.environ.update(created.environment)
        get_settings.cache_clear()
        clients.reset()
        yield
    finally:
        local.to_cloudformation = original
        server.terminate()
        server.wait(timeout=10)
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        clients.reset()


def run_dispatchers(threads: int, number_mps: float, message_class: str, seconds: float) -> dict[str, Any]:
    """K threads pacing sends on one fresh number and campaign for `seconds`."""
    from smsgate.dal import clients
    from smsgate.policy.pacing import MICROS, campaign_pace, most_in_window, pace
    from smsgate.services.pacing import Pacer, PacingPostponed
    from smsgate.settings import get_settings

    tag = f"{threads}-{message_class}-{time.monotonic_ns()}"
    pacer = Pacer.per_second(number_mps)
    keys = pacer.keys(f"+1555{abs(hash(tag)) % 10**7:07d}", f"bench-{tag}", message_class, None)
    allowed = min(pace(number_mps).per_second, campaign_pace(message_class).per_second)
    sends: list[int] = []
    postponed = [0]
    lock = threading.Lock()
    start = threading.Barrier(threads)
    began = deadline = 0
    began = 0

    def dispatcher() -> None:
        # A Lambda instance makes its client at cold start, before its first message.
        clients.table(get_settings().counters_table).get_item(Key={"pk": "warm-up"})
        if start.wait(timeout=60) == 0:
            nonlocal began, deadline
            began = time.time_ns() // 1000 + 200_000  # every thread is past the barrier by then
            deadline = began + int(seconds * MICROS)
        start.wait(timeout=60)
        time.sleep(max(0.0, (began - time.time_ns() // 1000) / MICROS))
        while (now := time.time_ns() // 1000) < deadline:
            try:
                pacer.acquire(keys, min(MAX_WAIT_SECONDS, (deadline - now) / MICROS))
            except PacingPostponed as later:
                with lock:
                    postponed[0] += 1
                # SQS keeps it invisible for whole seconds (SendPostponed rounds up).
                time.sleep(min(math.ceil(later.seconds), max(0.0, (deadline - now) / MICROS)))
                continue
            sent = time.time_ns() // 1000
            with lock:
                sends.append(sent)

    workers = [threading.Thread(target=dispatcher, name=f"dispatcher-{n}") for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    in_run = [at for at in sends if began <= at < deadline]
    bound = allowed + 1  # burst 1 on both keys
    most = most_in_window(sends)
    achieved = len(in_run) / seconds
    return {
        "dispatchers": threads,
        "allowed_per_second": round(allowed, 3),
        "bound_per_second_window": bound,
        "most_in_one_second": most,
        "achieved_per_second": round(achieved, 3),
        "achieved_share": round(achieved / allowed, 3),
        "postponed": postponed[0],
        "sends": len(sends),
        "meets_goal": most <= bound and achieved >= RATE_GOAL * allowed,
    }


def measure(seconds: float = SECONDS) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with moto_stack():
        for name, number_mps, message_class in SCENARIOS:
            for threads in CONCURRENCY:
                results.append(
                    {"scenario": name, **run_dispatchers(threads, number_mps, message_class, seconds)}
                )
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    print(f"Pacing across dispatcher instances ({SECONDS:g} s each, moto server)")
    header = ("scenario", "K", "allowed/s", "most in 1 s (≤)", "achieved/s", "share", "postponed", "goal")
    print(" | ".join(header))
    for row in results:
        print(
            " | ".join(
                [
                    row["scenario"],
                    str(row["dispatchers"]),
                    f"{row['allowed_per_second']:g}",
                    f"{row['most_in_one_second']} (≤ {row['bound_per_second_window']:g})",
                    f"{row['achieved_per_second']:.2f}",
                    f"{row['achieved_share']:.0%}",
                    str(row["postponed"]),
                    "met" if row["meets_goal"] else "NOT met",
                ]
            )
        )


if __name__ == "__main__":
    measured = measure()
    print_table(measured)
    print(json.dumps(measured, indent=2))
