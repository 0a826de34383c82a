"""Cold import time of each function's handler module, against a bare `import boto3`.

Each measurement is a fresh interpreter: `python -X importtime -c "import app"` in
functions/<name>/, with the layer on PYTHONPATH (as Lambda puts /opt/python), the literal
variables of template.yaml's Globals (as deployed) and dummy names for the resources the
template references (nothing is called at import).
`LAMBDA_TASK_ROOT` is set as Lambda sets it, so the Tracer is on and patches what it traces,
as in the deployed functions (`Tracing: Active`); without it powertools switches tracing off,
yet the X-Ray SDK's recorder, built outside Lambda, creates two botocore clients for its
sampling rules (≈100 ms that no deployed function pays). The
figure is the cumulative import time of `app` (of `boto3` for the baseline); each is the
lowest of a few rounds, the least disturbed by the other work on the machine.

    python -m bench.imports
"""

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from local_stack.stack import load_template

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "smsgate"
RUNS = 7
BUDGET_MS = 150.0
TOP_MODULES = 8

_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "LOCATIONS_TABLE": "locations",
    "CONTACTS_TABLE": "contacts",
    "MESSAGES_TABLE": "messages",
    "COUNTERS_TABLE": "counters",
    "IDEMPOTENCY_TABLE": "idempotency",
    "OUTBOUND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/outbound",
    "AUDIT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/audit",
    "CARRIER_EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:carrier-events",
    "INBOUND_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:inbound",
    "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
    "TWILIO_AUTH_TOKEN": "local-dev-token",
}


@cache
def _template_environment() -> dict[str, str]:
    """The variables template.yaml's Globals give every function as literal strings."""
    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def import_times(module: str, cwd: Path) -> dict[str, tuple[int, int]]:
    """{module: (self µs, cumulative µs)} of one cold `import module`."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_"))
    }
    environment |= (
        _template_environment()
        | _ENVIRONMENT
        | {
            "LAMBDA_TASK_ROOT": str(cwd),
            "PYTHONPATH": f"{cwd}{os.pathsep}{LAYER}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import {module} in {cwd.name} failed:\n{done.stderr[-2000:]}")
    times: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        times.setdefault(name.strip(), (int(self_us), int(cumulative_us)))
    return times


def _heaviest(times: dict[str, tuple[int, int]], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Packages by the import time of their own modules that `import boto3` does not load (self
    times summed per top-level package), the heaviest first: what a lazy import could take off."""
    packages: dict[str, int] = {}
    for name, (self_us, _) in times.items():
        if name in baseline:
            continue
        top = name.split(".")[0]
        packages[top] = packages.get(top, 0) + self_us
    return [
        {"package": name, "self_ms": self_us / 1000}
        for name, self_us in sorted(packages.items(), key=lambda item: -item[1])[:TOP_MODULES]
    ]


def measure(runs: int = RUNS) -> dict[str, Any]:
    # Rounds interleave the baseline with every handler, so that a busy spell on the machine
    # slows one round of each rather than the handlers measured after a quiet baseline.
    targets = {"boto3": ("boto3", ROOT)} | {
        folder.name: ("app", folder)
        for folder in sorted(path for path in FUNCTIONS.iterdir() if (path / "app.py").is_file())
    }
    samples: dict[str, list[dict[str, tuple[int, int]]]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (module, cwd) in targets.items():
            samples[name].append(import_times(module, cwd))
    fastest = {
        name: min(samples[name], key=lambda times: times[module][1]) for name, (module, _) in targets.items()
    }
    baseline = fastest.pop("boto3")
    boto3_ms = baseline["boto3"][1] / 1000
    handlers: dict[str, Any] = {}
    for name, times in fastest.items():
        total_ms = times["app"][1] / 1000
        added_ms = total_ms - boto3_ms
        handlers[name] = {
            "import_ms": total_ms,
            "added_over_boto3_ms": added_ms,
            "within_budget": added_ms < BUDGET_MS,
            "heaviest": _heaviest(times, baseline),
        }
    return {"runs": runs, "budget_ms": BUDGET_MS, "boto3_ms": boto3_ms, "handlers": handlers}


if __name__ == "__main__":
    print(json.dumps(measure(int(os.environ.get("SMSGATE_BENCH_IMPORT_RUNS", str(RUNS)))), indent=2))
