"""The layer's build (layers/smsgate/Makefile): bytecode for the runtime's Python, and the lock.

Lambda's file system is read-only: a layer without .pyc files is compiled at every cold start.
The full `build-SmsgateLayer` downloads wheels; these tests run its last step on a copy of the
smsgate package, with this interpreter standing in for the runtime's Python. The lock is read
as a file and the build's and `make venv`'s installs as make would run them (no download).
"""

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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


def test_the_packaged_layer_reads_its_data_files_from_its_own_tree(tmp_path: Path) -> None:
    # The content policy's term tables are text files beside its modules: the layer as built,
    # with nothing else on the path, must find them.
    package = packaged_layer(tmp_path)
    code = (
        "import smsgate.policy.content as content; "
        "assert content.__file__.startswith(sys.argv[1]), content.__file__; "
        "verdict = content.check_content('Online casino bonus, bet now'); "
        "print(verdict.code, verdict.category)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}", str(package)],
        env={"PYTHONPATH": str(package.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["PROHIBITED_CONTENT", "gambling"]


def test_every_data_file_of_the_layer_is_declared_as_package_data() -> None:
    # `cp -r` ships them in the layer; an install from pyproject.toml ships only what it declares.
    declared = tomllib.loads((LAYER.parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"]
    data_files = [
        path
        for path in (LAYER / "smsgate").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]

    assert data_files
    for path in data_files:
        package_dir = next(parent for parent in path.parents if (parent / "__init__.py").exists())
        package = ".".join(package_dir.relative_to(LAYER).parts)
        assert package in declared["packages"], package
        relative = path.relative_to(package_dir)
        patterns = declared["package-data"].get(package, [])
        assert any(relative.match(pattern) for pattern in patterns), f"{path} is not package data"


# The lock (layers/smsgate/requirements.lock): what the layer ships and the tests run.

REPO = LAYER.parents[1]
LOCK = LAYER / "requirements.lock"
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def lock_entries() -> list[tuple[Requirement, list[str]]]:
    """Each requirement of the lock with its hashes (a requirement and its `--hash` options are one
    logical line, continued with backslashes)."""
    entries = []
    for line in LOCK.read_text().replace("\\\n", " ").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            spec, *hashes = requirement.split("--hash=")
            entries.append((Requirement(spec.strip()), [h.strip() for h in hashes]))
    return entries


def locked_versions() -> dict[str, Version]:
    return {
        canonicalize_name(req.name): Version(next(iter(req.specifier)).version) for req, _ in lock_entries()
    }


def requirements_txt() -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in (LAYER / "requirements.txt").read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def test_every_distribution_in_the_lock_is_pinned_and_hashed() -> None:
    entries = lock_entries()

    assert len(entries) > 10
    for req, hashes in entries:
        (pin,) = req.specifier
        assert pin.operator == "==", req
        assert hashes, req
        assert all(SHA256.fullmatch(h) for h in hashes), req


def test_the_lock_holds_each_requirement_at_a_version_it_allows() -> None:
    locked = locked_versions()

    for req in requirements_txt():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} is not locked: make -C layers/smsgate lock"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req}: locked {locked[name]}"


def test_pyproject_declares_the_layers_requirements() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]

    assert sorted(str(Requirement(d)) for d in declared) == sorted(str(r) for r in requirements_txt())


def test_boto3_and_botocore_ship_as_one_pair() -> None:
    locked = locked_versions()

    # A botocore without its boto3 would sit in the layer beside the runtime's boto3
    # (docs/dependencies.md); boto3 X.Y.Z requires a botocore of X.Y, at least Z.
    assert {"boto3", "botocore", "s3transfer"} <= locked.keys()
    boto3, botocore = locked["boto3"], locked["botocore"]
    assert botocore.release[:2] == boto3.release[:2]
    assert botocore >= boto3


def test_the_layer_ships_no_phone_number_geodata() -> None:
    locked = locked_versions()

    assert "phonenumberslite" in locked
    assert "phonenumbers" not in locked


def dry_run(*args: str, cwd: Path) -> str:
    """A make target's recipe as make would run it, continuation lines joined."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return re.sub(r"\\\n\s*", "", done.stdout)


def test_the_layer_build_installs_the_lock_with_its_hashes_for_the_runtime(tmp_path: Path) -> None:
    recipe = dry_run("build-SmsgateLayer", f"ARTIFACTS_DIR={tmp_path}", cwd=LAYER)

    (install,) = [line for line in recipe.splitlines() if " install " in line]
    assert "--require-hashes -r requirements.lock" in install
    assert "--platform manylinux2014_aarch64" in install
    assert "--python-version 3.13" in install
    assert "--only-binary=:all:" in install
    assert "requirements.txt" not in install


def test_make_venv_installs_the_lock_then_the_dev_tools_at_its_versions(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    recipe = dry_run("venv", f"VENV={venv}", cwd=REPO).splitlines()

    installs = [line for line in recipe if " pip install " in line]
    assert "--require-hashes -r layers/smsgate/requirements.lock" in installs[1]
    assert f"-r requirements-dev.txt -c {venv}/layer-constraints.txt" in installs[2]
    # The constraints are the lock less its hashes (pip would ask every dev tool for a hash).
    venv.mkdir()
    (derive,) = [line for line in recipe if f"> {venv}/layer-constraints.txt" in line]
    subprocess.run(derive, shell=True, cwd=REPO, check=True, timeout=60)
    constraints = (venv / "layer-constraints.txt").read_text()
    assert "--hash" not in constraints
    pins = {}
    for line in constraints.splitlines():
        if line and not line.lstrip().startswith("#"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = Version(next(iter(req.specifier)).version)
    assert pins == locked_versions()


def test_the_tests_run_the_versions_the_layer_ships() -> None:
    installed: dict[str, Version | None] = {}
    for name in locked_versions():
        try:
            installed[name] = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            installed[name] = None

    assert installed == locked_versions(), "this environment is not the lock's: make venv"
    assert importlib.util.find_spec("phonenumbers.geodata") is None
