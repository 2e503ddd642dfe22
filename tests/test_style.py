"""The code stays ruff-clean, and the packages mypy --strict clean, as part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _tool(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the project's test extra)")
    return found


def test_ruff_clean() -> None:
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "pushscope",
            "captures",
            "bench",
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_packages_are_mypy_strict_clean() -> None:
    result = subprocess.run(
        [_tool("mypy"), "--strict", "-p", "pushscope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
