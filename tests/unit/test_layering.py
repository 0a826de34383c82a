"""Which package of the layer may import which, and who may read the clock (STYLE rules 2 and 15).

Read the two tables below; the tests only enforce them, parsing each module with `ast`.
"""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "smsgate" / "smsgate"
SHARED = {"errors", "observability", "reasons", "settings", "sources", "twilio_signature"}

# package: (the smsgate packages it may import, besides itself; what it may import from outside)
# "stdlib" is the standard library; "any" is any installed distribution.
LAYERS: dict[str, tuple[set[str], set[str]]] = {
    # Pure decisions: data in, decision out. No AWS, no network, no clock (see CLOCK_READERS).
    "policy": ({"models", "reasons"}, {"stdlib", "rapidfuzz"}),
    # DynamoDB, SQS and SNS, and nothing that decides.
    "dal": ({"models", "errors", "reasons", "settings"}, {"any"}),
    # Carrier adapters: their own SDK clients, never the DAL's.
    "carriers": ({"models", "policy"} | SHARED, {"any"}),
    # Read, decide with policy, write through the DAL: AWS only through the DAL.
    "services": ({"dal", "carriers", "models", "policy"} | SHARED, {"any but AWS"}),
    # HTTP in and out through the services: AWS only through the DAL (its errors become a 503).
    "api": ({"services", "models", "policy"} | SHARED, {"any but AWS", "botocore.exceptions"}),
}
AWS_SDK = ("boto3", "botocore")
WALL_CLOCK = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time", "time.time_ns"}
NETWORK = ("socket", "ssl", "http", "urllib.request", "subprocess")

# Where the wall clock is read: everything else takes `now` (or a clock) from its caller.
CLOCK_READERS: dict[str, str] = {
    "functions/*/app.py": "the handlers: `now` once per record, passed down",
    "layers/smsgate/smsgate/dal/*.py": "the DAL's own timestamps (expiry, backoff)",
    "layers/smsgate/smsgate/services/pacing.py": "the pacer waits for its booked slot in real time",
}


def modules(folder: Path) -> Iterator[tuple[Path, ast.Module]]:
    for module in sorted(folder.rglob("*.py")):
        yield module, ast.parse(module.read_text(), filename=str(module))


def imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, module) of every import, `from smsgate import x` read as `smsgate.x`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "smsgate":
            yield from ((node.lineno, f"smsgate.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def refusal(package: str, name: str) -> str | None:
    """Why `package` may not import `name`, or None."""
    inside, outside = LAYERS[package]
    parts = name.split(".")
    if parts[0] == "smsgate":
        target = parts[1] if len(parts) > 1 else "smsgate"
        return None if target in inside | {package} else f"imports {name}"
    if "botocore.exceptions" in outside and name == "botocore.exceptions":
        return None
    if "any but AWS" in outside and parts[0] in AWS_SDK:
        return f"imports {name} (AWS only through the DAL)"
    if "stdlib" in outside and parts[0] in sys.stdlib_module_names:
        return f"imports {name} (I/O)" if name.startswith(NETWORK) else None
    if outside & {"any", "any but AWS"} or parts[0] in outside:
        return None
    return f"imports {name} (outside its table row)"


def reads_the_clock(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    owner = node.func.value
    owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    call = f"{owner_name}.{node.func.attr}"
    return call if call in WALL_CLOCK else None


def violations() -> Iterator[tuple[str, str]]:
    """(file:line, what it does) of each import and clock read the tables do not allow."""
    for package in LAYERS:
        for module, tree in modules(LAYER / package):
            for line, name in imports(tree):
                why = refusal(package, name)
                if why is not None:
                    yield f"{module.relative_to(ROOT)}:{line}", why
    for module, tree in [*modules(LAYER), *modules(ROOT / "functions")]:
        path = module.relative_to(ROOT)
        if not any(path.match(pattern) for pattern in CLOCK_READERS):
            for node in ast.walk(tree):
                call = reads_the_clock(node)
                if call is not None:
                    yield f"{path}:{node.lineno}", f"reads the clock ({call})"


def test_each_package_imports_only_what_its_row_allows_and_only_entry_points_read_the_clock() -> None:
    assert [f"{where}: {why}" for where, why in sorted(violations())] == []


def test_importing_the_policy_package_loads_no_aws_sdk() -> None:
    code = (
        "import sys, pkgutil, importlib; import smsgate.policy as p; "
        "[importlib.import_module('smsgate.policy.' + m.name) for m in pkgutil.iter_modules(p.__path__)]; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')]; print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    env = {"PYTHONPATH": str(LAYER.parent), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
