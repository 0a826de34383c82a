"""`make run`: the whole system on this machine with no AWS account and no Docker (SPEC section 12).

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
# Where `make audit` finds the running stack; SMSGATE_STATE_FILE moves it (tests run several stacks).
STATE_FILE = Path(os.environ.get("SMSGATE_STATE_FILE") or ROOT / ".local-stack" / "stack.json")


def _settings_from_env() -> dict[str, Any]:
    return {
        "host": os.environ.get("SMSGATE_HOST", "127.0.0.1"),
        "api_port": int(os.environ.get("SMSGATE_API_PORT", "3000")),
        "aws_port": int(os.environ.get("SMSGATE_AWS_PORT", "5000")),
        "api_instances": int(os.environ.get("SMSGATE_API_INSTANCES", "4")),
        "audit_interval": os.environ.get("SMSGATE_AUDIT_INTERVAL_SECONDS"),
        # The template's AuditMinSample (100); a small one lets a demo or a test reach it quickly.
        "audit_min_sample": os.environ.get("SMSGATE_AUDIT_MIN_SAMPLE"),
    }


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


def print_banner(stack: Any, schedules: list[Any], endpoint: str, base_url: str, elapsed: float) -> None:
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
            f"({schedule.trigger.expression}); run once now with 'make audit'",
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
    print("  stop:  Ctrl-C", flush=True)


def main() -> None:
    config = _settings_from_env()
    host, api_port, aws_port = config["host"], config["api_port"], config["aws_port"]
    endpoint = f"http://{host}:{aws_port}"
    prepare_environment(endpoint)

    import logging
    import warnings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse .* but it's not supported")

    from local_stack.api_server import make_server
    from local_stack.consumers import QueueConsumer, Schedule, schedule_seconds
    from local_stack.lambdas import FunctionPool
    from local_stack.moto_server import start_moto_server
    from local_stack.stack import create_stack

    started = time.monotonic()
    moto = start_moto_server(host, aws_port)
    base_url = f"http://{host}:{api_port}"
    # The simulated carrier takes any rate; 1 message a second per number (a real 10DLC long
    # code) would make a demo of a few hundred messages from one number take minutes.
    parameters = {
        "PublicBaseUrl": base_url,
        "Stage": "dev",
        "Carrier": "simulator",
        "NumberMessagesPerSecond": "50",
    }
    if config["audit_min_sample"]:
        parameters["AuditMinSample"] = config["audit_min_sample"]
    stack = create_stack(endpoint, parameters)
    os.environ.update(stack.environment)
    os.environ.setdefault("TWILIO_AUTH_TOKEN", "local-dev-token")
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(
        json.dumps(
            {
                "endpoint": endpoint,
                "api": base_url,
                "outputs": stack.outputs,
                "environment": stack.environment,
            },
            indent=2,
        )
    )

    functions: dict[str, FunctionPool] = {}
    api_functions = {route.function for route in stack.routes}
    for name, code_dir in stack.code_dirs.items():
        size = config["api_instances"] if name in api_functions else 1
        functions[name] = FunctionPool(name, code_dir, size)

    stop = threading.Event()
    consumers = [
        QueueConsumer(trigger, functions[trigger.function], endpoint, stop) for trigger in stack.queues
    ]
    schedules = [
        Schedule(
            trigger,
            functions[trigger.function],
            float(config["audit_interval"])
            if config["audit_interval"]
            else schedule_seconds(trigger.expression),
            stop,
        )
        for trigger in stack.schedules
    ]
    server = make_server(host, api_port, stack.routes, functions)
    for thread in [*consumers, *schedules]:
        thread.start()
    api_thread = threading.Thread(target=server.serve_forever, name="http-api", daemon=True)
    api_thread.start()

    print_banner(stack, schedules, endpoint, base_url, time.monotonic() - started)

    def shutdown(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    stop.wait()
    print("stopping…", flush=True)
    server.shutdown()
    for thread in consumers:
        thread.join(timeout=5)
    moto.stop()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
