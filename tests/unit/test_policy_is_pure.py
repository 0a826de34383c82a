"""`smsgate.policy` is pure: importable with no AWS credentials and without boto3 (STYLE rule 2)."""

import ast
import subprocess
import sys
from pathlib import Path

POLICY = Path(__file__).resolve().parents[2] / "layers" / "smsgate" / "smsgate" / "policy"
FORBIDDEN_MODULES = (
    "boto3",
    "botocore",
    "smsgate.dal",
    "smsgate.services",
    "smsgate.carriers",
    "urllib.request",
    "socket",
    "requests",
)


def test_importing_the_policy_package_loads_no_aws_sdk() -> None:
    code = (
        "import sys; import smsgate.policy as p; "
        "from smsgate.policy import daily_limit, counter_day, count_segments, classify_reply, dnd_for_error; "
        "import pkgutil, importlib; [importlib.import_module('smsgate.policy.' + m.name) "
        "for m in pkgutil.iter_modules(p.__path__)]; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')]; print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    env = {"PYTHONPATH": str(POLICY.parent.parent), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_policy_modules_neither_import_io_nor_read_the_clock() -> None:
    for module in POLICY.rglob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith(FORBIDDEN_MODULES), f"{module.name} imports {name}"
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today", "time"):
                owner = node.value
                owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                assert owner_name not in ("datetime", "date", "time"), f"{module.name} reads the clock"
