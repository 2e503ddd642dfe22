"""The layers of DESIGN.md hold on the import graph: the contracts in pyproject.toml."""

from __future__ import annotations

import subprocess

from tests.conftest import ROOT
from tests.test_style import _tool


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
