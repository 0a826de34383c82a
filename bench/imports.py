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

Bytecode: the deployed layer ships .pyc files (layers/smsgate/Makefile), so the layer, the
handlers and the frames are compiled before the rounds, as `pip` compiled the installed
packages; one more round imports with no bytecode at all, which is what a cold start pays
when the layer ships none (Lambda's file system is read-only; nothing compiled is kept).

Frames (bench/frames/): a handler with no code of its own (settings, observability and the
trigger's powertools utility), timed in the same rounds. A handler's figure less its frame's
is what smsgate's own modules add; the frame's is what the libraries STYLE.md asks for cost.

    python -m bench.imports
"""

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from local_stack.stack import load_template

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
FRAMES = ROOT / "bench" / "frames"
LAYER = ROOT / "layers" / "smsgate"
RUNS = 7
RUNS_WITHOUT_BYTECODE = 2
# The frame each handler is built on (bench/frames/).
FRAME_OF = {
    "send_gate": "http_api",
    "carrier_webhooks": "http_webhooks",
    "dispatcher": "sqs_consumer",
    "inbound_keyword": "sqs_consumer",
    "status_callback": "sqs_consumer",
    "threshold_audit": "sqs_consumer",
    "release_scheduled": "sqs_consumer",
}
# The goal: what a handler's own code adds to its trigger's frame, both measured in the same
# rounds (docs/performance.md#cold-imports). The frame is what the libraries cost; this is what we cost.
OWN_COST_BUDGET_MS = 60.0
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


def import_times(module: str, cwd: Path, *, bytecode: bool = True) -> dict[str, tuple[int, int]]:
    """{module: (self µs, cumulative µs)} of one cold `import module`; without `bytecode`, every
    module is compiled from its source (an empty cache directory, nothing written to it)."""
    # A test session's call recording (docs/guarantees.md#permissions) is no part of a cold start.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_"))
        and key not in ("PYTHONPYCACHEPREFIX", "SMSGATE_RECORD_AWS_CALLS")
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
    with tempfile.TemporaryDirectory(prefix="no-bytecode-") as empty:
        if not bytecode:
            environment["PYTHONPYCACHEPREFIX"] = empty
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


def compile_bytecode() -> None:
    """Bytecode for this Python of the code the rounds import, as the layer's build ships it."""
    for folder in (LAYER / "smsgate", FUNCTIONS, FRAMES):
        compileall.compile_dir(folder, quiet=1)


def _targets() -> dict[str, tuple[str, Path]]:
    functions = {path.name for path in FUNCTIONS.iterdir() if (path / "app.py").is_file()}
    if functions != set(FRAME_OF):
        raise RuntimeError(f"FRAME_OF names {sorted(FRAME_OF)}; functions/ holds {sorted(functions)}")
    return (
        {"boto3": ("boto3", ROOT)}
        | {f"frame {frame}": (frame, FRAMES) for frame in sorted(set(FRAME_OF.values()))}
        | {function: ("app", FUNCTIONS / function) for function in sorted(FRAME_OF)}
    )


def _fastest_ms(samples: list[dict[str, tuple[int, int]]], module: str) -> float:
    return min(times[module][1] for times in samples) / 1000


ImportTimes = dict[str, tuple[int, int]]


def own_modules_ms(samples: list[ImportTimes], frame: list[ImportTimes]) -> list[float]:
    """What a handler's own imports cost over its frame, from the modules alone, per round: the
    self times of the modules it imports that its frame does not (its own, boto3 and what they
    bring), summed (docs/performance.md#each-handlers-own-cost-over-its-frame).

    The same quantity as the handler's import less its frame's, since an import's time is the
    sum of its modules' self times, without the ≈300 ms of modules both import: their round-to-
    round noise, 20-30 ms on this machine, lands in that difference of two fastest rounds and
    not here. A module the frame imports and the handler does not is not credited back."""
    frame_modules = set().union(*frame)
    return [
        sum(self_us for name, (self_us, _) in times.items() if name not in frame_modules) / 1000
        for times in samples
    ]


def goal_rows(measured: dict[str, Any]) -> list[str]:
    """One line per handler: its own cost over its frame against the goal."""
    lines = []
    for name, handler in measured["handlers"].items():
        frame = measured["frames"][handler["frame"]]
        lines.append(
            f"{name:<17} own modules {handler['own_modules_ms']:5.1f} ms "
            f"(median {handler['own_modules_median_ms']:5.1f}) "
            f"(goal ≤ {OWN_COST_BUDGET_MS:.0f} ms: {'met' if handler['within_budget'] else 'NOT met'}); "
            f"fastest import {handler['import_ms']:4.0f} ms − frame {handler['frame']:<13} "
            f"{frame['import_ms']:4.0f} ms = {handler['added_over_frame_ms']:3.0f} ms"
        )
    return lines


def print_goal(measured: dict[str, Any]) -> None:
    print(
        f"Cold import over the trigger's frame (same run, {measured['runs']} rounds; own modules: "
        "the fastest round's self times of what the frame does not import; "
        f"boto3 alone {measured['boto3_ms']:.0f} ms)"
    )
    for line in goal_rows(measured):
        print(line)


def measure(runs: int = RUNS, runs_without_bytecode: int = RUNS_WITHOUT_BYTECODE) -> dict[str, Any]:
    compile_bytecode()
    targets = _targets()
    # Rounds interleave the baseline with every handler and frame, so that a busy spell on the
    # machine slows one round of each rather than whatever was measured after a quiet baseline.
    samples: dict[str, list[dict[str, tuple[int, int]]]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (module, cwd) in targets.items():
            samples[name].append(import_times(module, cwd))
    without_bytecode: dict[str, list[dict[str, tuple[int, int]]]] = {name: [] for name in targets}
    for _ in range(runs_without_bytecode):
        for name, (module, cwd) in targets.items():
            if not name.startswith("frame "):
                without_bytecode[name].append(import_times(module, cwd, bytecode=False))

    boto3_ms = _fastest_ms(samples["boto3"], "boto3")
    baseline = min(samples["boto3"], key=lambda times: times["boto3"][1])
    frames = {
        frame: {"import_ms": _fastest_ms(samples[f"frame {frame}"], frame)}
        for frame in sorted(set(FRAME_OF.values()))
    }
    for frame in frames.values():
        frame["added_over_boto3_ms"] = frame["import_ms"] - boto3_ms
    boto3_without_bytecode_ms = (
        _fastest_ms(without_bytecode["boto3"], "boto3") if runs_without_bytecode else None
    )
    handlers: dict[str, Any] = {}
    for name, frame_name in FRAME_OF.items():
        total_ms = _fastest_ms(samples[name], "app")
        added_ms = total_ms - boto3_ms
        frame = frames[frame_name]
        # The fastest round, as for every other figure here: the one the machine disturbed least.
        own_rounds = own_modules_ms(samples[name], samples[f"frame {frame_name}"])
        own_ms = min(own_rounds)
        handlers[name] = {
            "import_ms": total_ms,
            "added_over_boto3_ms": added_ms,
            "within_budget": own_ms <= OWN_COST_BUDGET_MS,
            "frame": frame_name,
            "added_over_frame_ms": total_ms - frame["import_ms"],
            "own_modules_ms": own_ms,
            "own_modules_median_ms": statistics.median(own_rounds),
            "import_without_bytecode_ms": (
                _fastest_ms(without_bytecode[name], "app") if runs_without_bytecode else None
            ),
            "heaviest": _heaviest(min(samples[name], key=lambda times: times["app"][1]), baseline),
        }
    return {
        "runs": runs,
        "runs_without_bytecode": runs_without_bytecode,
        "own_cost_budget_ms": OWN_COST_BUDGET_MS,
        "boto3_ms": boto3_ms,
        "boto3_without_bytecode_ms": boto3_without_bytecode_ms,
        "frames": frames,
        "handlers": handlers,
    }


if __name__ == "__main__":
    runs = int(os.environ.get("SMSGATE_BENCH_IMPORT_RUNS", str(RUNS)))
    runs_without_bytecode = int(
        os.environ.get("SMSGATE_BENCH_IMPORT_RUNS_WITHOUT_BYTECODE", str(RUNS_WITHOUT_BYTECODE))
    )
    measured = measure(runs, runs_without_bytecode)
    print(json.dumps(measured, indent=2))
    print_goal(measured)
