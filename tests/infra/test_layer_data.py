"""The layer's build ships the NANP table beside the code that reads it (docs/quiet-hours.md)."""

import subprocess
import sys
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "smsgate"


def test_the_built_layer_carries_the_nanp_table_and_reads_it(tmp_path: Path) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    # The build's own recipe, its dependency install skipped (`true` stands in for pip).
    built = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(LAYER),
            "build-SmsgateLayer",
            f"ARTIFACTS_DIR={tmp_path}",
            "PIP=true",
            f"BYTECODE_PYTHON={sys.executable}",
            f"RUNTIME_PYTHON_VERSION={version}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "python" / "smsgate" / "data" / "nanp.json").is_file()

    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "from smsgate.policy.numbering import place_of_number; print(place_of_number('+13055550123'))",
        ],
        env={"PYTHONPATH": str(tmp_path / "python"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert read.returncode == 0, read.stderr
    assert "America/New_York" in read.stdout and "'FL'" in read.stdout
