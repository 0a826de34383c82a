"""The layer's build ships bytecode for the runtime's Python (layers/smsgate/Makefile, `bytecode`).

Lambda's file system is read-only: a layer without .pyc files is compiled at every cold start.
The full `build-SmsgateLayer` downloads wheels; these tests run its last step on a copy of the
smsgate package, with this interpreter standing in for the runtime's Python.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "smsgate"
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


def run_bytecode_step(artifacts: Path, bytecode_python: str) -> subprocess.CompletedProcess[str]:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER),
            "bytecode",
            f"ARTIFACTS_DIR={artifacts}",
            f"BYTECODE_PYTHON={bytecode_python}",
            f"RUNTIME_PYTHON_VERSION={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def packaged_layer(tmp_path: Path) -> Path:
    """The smsgate package as `build-SmsgateLayer` lays it out, with bytecode of another Python."""
    package = tmp_path / "python" / "smsgate"
    shutil.copytree(LAYER / "smsgate", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "reasons.cpython-39.pyc").write_bytes(b"stale")
    return package


def test_every_module_of_the_layer_gets_bytecode_used_without_checking_its_source(tmp_path: Path) -> None:
    package = packaged_layer(tmp_path)

    done = run_bytecode_step(tmp_path, sys.executable)

    assert done.returncode == 0, done.stderr
    sources = sorted(package.rglob("*.py"))
    assert len(sources) > 40
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        header = compiled.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, source
    assert not (package / "__pycache__" / "reasons.cpython-39.pyc").exists()


def test_without_the_runtimes_python_the_build_warns_and_ships_no_stale_bytecode(tmp_path: Path) -> None:
    package = packaged_layer(tmp_path)

    done = run_bytecode_step(tmp_path, str(tmp_path / "no-such-python"))

    assert done.returncode == 0
    assert "ships without bytecode" in done.stderr
    assert not list(package.rglob("*.pyc"))
