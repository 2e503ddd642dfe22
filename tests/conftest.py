"""Shared test helpers: where the project's captures and the third-party fixtures live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "captures"
FIXTURES = ROOT.parent / "shared" / "fixtures"


def fixture_path(*parts: str) -> Path:
    """A file under ../shared/fixtures, or a skip saying why it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"third-party fixtures not present at {path} (they live beside the repo in ../shared)"
        )
    return path
