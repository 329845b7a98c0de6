"""The built wheel holds every module of the source tree and imports from a non-editable install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("probes", "hooks")
IGNORED = (
    ".git",
    ".venv*",
    ".ci-cache",
    "build",
    "*.egg-info",
    "__pycache__",
    "results",
    ".*_cache",
    "artifacts",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a clean copy of the sources: a checkout's egg-info or build/ could fill the gaps."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*IGNORED))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("alignment_probes-*.whl")
    return path


def source_files() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_wheel_has_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(source_files() - names)
    assert not missing, f"missing from the wheel: {missing}"
    assert "probes/datasets/__init__.py" in names


def test_non_editable_install_imports(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import probes, probes.datasets, hooks; "
        "from probes.datasets import mcq; "
        "print(probes.__file__, probes.datasets.__file__, mcq.__file__, hooks.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    # An editable install of the checkout must not supply what the wheel lacks.
    assert len(out) == 4 and all(path.startswith(str(target)) for path in out), out
