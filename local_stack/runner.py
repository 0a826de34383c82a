"""`make run`: the whole system on this machine with no AWS account and no Docker (docs/local-stack.md).

moto's server emulates AWS on SMSGATE_AWS_PORT (5000); the stack `smsgate` is created there from
template.yaml; the HTTP API listens on SMSGATE_API_PORT (3000); the queues are consumed and the
audit schedule fires in this process; the dispatcher uses the simulated carrier.
"""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# After SIGTERM or SIGINT the process is gone within this many seconds, whatever is running.
STOP_SECONDS = 4.0
# How long the main thread waits at a time: a signal's Python handler runs only in the main
# thread, between two waits, and the signal may have been delivered to another thread.
WAIT_SLICE_SECONDS = 0.2


def state_file(api_port: int | None = None) -> Path:
    """Where this stack writes, and `make audit` reads, its addresses: SMSGATE_STATE_FILE, else
    one file per API port (.local-stack/stack-3000.json), so a second stack on other ports
    leaves the first one's alone (docs/local-stack.md#state-file)."""
    if explicit := os.environ.get("SMSGATE_STATE_FILE"):
        return Path(explicit)
    port = api_port if api_port is not None else int(os.environ.get("SMSGATE_API_PORT", "3000"))
    return ROOT / ".local-stack" / f"stack-{port}.json"


def _settings_from_env() -> dict[str, Any]:
    return {
        "host": os.environ.get("SMSGATE_HOST", "127.0.0.1"),
        "api_port": int(os.environ.get("SMSGATE_API_PORT", "3000")),
        "aws_port": int(os.environ.get("SMSGATE_AWS_PORT", "5000")),
        "api_instances": int(os.environ.get("SMSGATE_API_INSTANCES", "4")),
        "audit_interval": os.environ.get("SMSGATE_AUDIT_INTERVAL_SECONDS"),
        # The release of scheduled messages runs every minute as in AWS; shorter here lets a demo
        # or a test see a scheduled message go out soon after its minute (docs/scheduling.md#local-stack).
        "release_interval": os.environ.get("SMSGATE_RELEASE_INTERVAL_SECONDS"),
        # The template's AuditMinSample (100); a small one lets a demo or a test reach it quickly.
        "audit_min_sample": os.environ.get("SMSGATE_AUDIT_MIN_SAMPLE"),
    }


# Which setting shortens which function's schedule locally.
INTERVAL_SETTINGS = {
    "ThresholdAuditFunction": "audit_interval",
    "ReleaseScheduledFunction": "release_interval",
}


def schedule_interval(trigger: Any, config: dict[str, Any]) -> float:
    """Seconds between two runs of a scheduled function: its local setting, else the template's rate."""
    from local_stack.consumers import schedule_seconds

    override = config.get(INTERVAL_SETTINGS.get(trigger.function, ""))
    return float(override) if override else schedule_seconds(trigger.expression)


def prepare_environment(endpoint: str) -> None:
    """Fake credentials and the emulated endpoint for every AWS client of this process."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"]
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "layers" / "smsgate"))


def print_banner(
    stack: Any, schedules: list[Any], endpoint: str, base_url: str, state: Path, elapsed: float
) -> None:
    """What runs where, and a first request to try."""
    from local_stack.stack import STACK_NAME

    print(f"smsgate local stack ready in {elapsed:.1f}s", flush=True)
    print(f"  AWS (moto server)   {endpoint}   stack '{STACK_NAME}' from template.yaml", flush=True)
    print(
        f"  HTTP API            {base_url}   ({len(stack.routes)} routes, "
        f"OpenAPI at {base_url}/v1/openapi.json)",
        flush=True,
    )
    for trigger in stack.queues:
        print(
            f"  consumer            {trigger.function} <- {trigger.queue_url.rsplit('/', 1)[-1]}", flush=True
        )
    for schedule in schedules:
        print(
            f"  schedule            {schedule.trigger.function} every {schedule.interval:.0f}s "
            f"({schedule.trigger.expression})"
            + (
                "; run once now with 'make audit'"
                if schedule.trigger.function == "ThresholdAuditFunction"
                else ""
            ),
            flush=True,
        )
    print(
        "  carrier             simulator (numbers ending 3003/3004/3005/3006/3008 are undelivered)",
        flush=True,
    )
    print(
        f"  try:  curl -s -X PUT {base_url}/v1/locations/demo -H 'content-type: application/json' "
        '-d \'{"name": "Demo Dental", "numbers": ["+12025550100"]}\'',
        flush=True,
    )
    print(
        f"  state               {display_path(state)}   (read by 'make audit' and the smsgate CLI)",
        flush=True,
    )
    print("  stop:  Ctrl-C", flush=True)


class Stopped(Exception):
    """A stop signal arrived while the stack was starting."""


def quiet_emulator() -> None:
    """moto warns once per template resource it does not emulate (alarms, the HTTP API, ...,
    about 50 lines) and werkzeug logs every AWS request: noise above the banner and between a
    user's requests. SMSGATE_VERBOSE=1 shows them."""
    import logging
    import warnings

    if os.environ.get("SMSGATE_VERBOSE", "") not in ("", "0"):
        return
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse .* but it's not supported")


def stop_on_signals(stop: threading.Event, starting: threading.Event) -> None:
    """SIGTERM and SIGINT stop the stack, always within STOP_SECONDS (docs/local-stack.md#stopping):
    while it starts, by unwinding the start; once it runs, by ending the main thread's wait; and
    if anything then hangs, by exiting anyway. A second signal exits at once."""

    def exit_now(code: int, why: str) -> None:
        print(why, file=sys.stderr, flush=True)
        os._exit(code)

    def on_signal(signum: int, _: Any) -> None:
        if stop.is_set():
            exit_now(1, f"{signal.Signals(signum).name} again: stopped at once")
        stop.set()
        watchdog = threading.Timer(
            STOP_SECONDS, exit_now, (1, f"not stopped within {STOP_SECONDS:.0f}s: stopped at once")
        )
        watchdog.daemon = True
        watchdog.start()
        if starting.is_set():
            raise Stopped

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def display_path(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main() -> None:
    stop, starting = threading.Event(), threading.Event()
    starting.set()
    stop_on_signals(stop, starting)
    config = _settings_from_env()
    host, api_port, aws_port = config["host"], config["api_port"], config["aws_port"]
    endpoint = f"http://{host}:{aws_port}"
    state = state_file(api_port)
    prepare_environment(endpoint)
    quiet_emulator()

    cleanup: list[Any] = []  # what to stop, last started first
    try:
        run(config, endpoint, state, stop, starting, cleanup)
    except Stopped:
        pass
    finally:
        print("stopping…", flush=True)
        for step in reversed(cleanup):
            step()
        print("stopped", flush=True)
    # Finalising the interpreter (moto's backends, botocore's service models) takes seconds more
    # than the stop itself, and nothing is left to write: leave now.
    sys.stderr.flush()
    os._exit(0)


def run(
    config: dict[str, Any],
    endpoint: str,
    state: Path,
    stop: threading.Event,
    starting: threading.Event,
    cleanup: list[Any],
) -> None:
    """Start the stack, print the banner last, and wait for a stop signal."""
    from local_stack.api_server import make_server
    from local_stack.consumers import QueueConsumer, Schedule
    from local_stack.lambdas import FunctionPool
    from local_stack.moto_server import start_moto_server
    from local_stack.stack import create_stack

    host, api_port, aws_port = config["host"], config["api_port"], config["aws_port"]
    started = time.monotonic()
    moto = start_moto_server(host, aws_port)
    cleanup.append(moto.stop)
    base_url = f"http://{host}:{api_port}"
    # The simulated carrier takes any rate; 1 message a second per number (a real 10DLC long
    # code) would make a demo of a few hundred messages from one number take minutes; class A
    # paces a campaign at 75 a second.
    parameters = {
        "PublicBaseUrl": base_url,
        "Stage": "dev",
        "Carrier": "simulator",
        "NumberMessagesPerSecond": "50",
        "DefaultMessageClass": "A",
    }
    if config["audit_min_sample"]:
        parameters["AuditMinSample"] = config["audit_min_sample"]
    stack = create_stack(endpoint, parameters)
    os.environ.update(stack.environment)
    os.environ.setdefault("TWILIO_AUTH_TOKEN", "local-dev-token")

    functions: dict[str, FunctionPool] = {}
    api_functions = {route.function for route in stack.routes}
    for name, code_dir in stack.code_dirs.items():
        size = config["api_instances"] if name in api_functions else 1
        functions[name] = FunctionPool(name, code_dir, size)

    consumers = [
        QueueConsumer(trigger, functions[trigger.function], endpoint, stop) for trigger in stack.queues
    ]
    schedules = [
        Schedule(trigger, functions[trigger.function], schedule_interval(trigger, config), stop)
        for trigger in stack.schedules
    ]
    server = make_server(host, api_port, stack.routes, functions)
    cleanup.append(server.server_close)
    for thread in [*consumers, *schedules]:
        thread.start()
    cleanup.append(lambda: join_all([*consumers, *schedules], deadline=time.monotonic() + 2))
    api_thread = threading.Thread(target=server.serve_forever, name="http-api", daemon=True)
    api_thread.start()
    cleanup.append(server.shutdown)
    write_state(state, endpoint, base_url, stack)
    cleanup.append(lambda: remove_state(state))

    print_banner(stack, schedules, endpoint, base_url, state, time.monotonic() - started)
    starting.clear()
    if stop.is_set():  # a signal between the last start and the line above
        return
    while not stop.wait(WAIT_SLICE_SECONDS):
        pass


def join_all(threads: list[threading.Thread], deadline: float) -> None:
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))


def write_state(state: Path, endpoint: str, base_url: str, stack: Any) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "endpoint": endpoint,
                "api": base_url,
                "outputs": stack.outputs,
                "environment": stack.environment,
            },
            indent=2,
        )
    )


def remove_state(state: Path) -> None:
    """The state file goes with the stack, unless another stack has written it since."""
    try:
        if json.loads(state.read_text()).get("pid") == os.getpid():
            state.unlink()
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    main()
