"""pushscope as a user installs it: wheels built from the sdist, installed (not editable) into
a fresh virtual environment for every Python >= 3.12 on this machine, and run from a folder
outside the checkout.

Two wheels are built. The pure-Python one (`wheel`), what `pip install .` makes. And, for each
Python, one with the core compiled by mypyc (`PUSHSCOPE_MYPYC=1`, see setup.py), the one the
smoke suite runs on (`installed`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

MIN_VERSION = (3, 12)
BUILD_TIMEOUT = 300
COMPILE_TIMEOUT = 1200
"""Seconds mypyc and the C compiler get for the core (about 4 minutes on one core)."""
INSTALL_TIMEOUT = 600


def _version(python: str) -> tuple[int, int] | None:
    """The version of `python`, when it can make virtual environments."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys, venv, ensurepip; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    major, minor = result.stdout.split()
    return int(major), int(minor)


def interpreters() -> dict[str, str]:
    """One interpreter of each Python >= 3.12 found on PATH or in pyenv, by version."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(12, 20)]
    candidates += [shutil.which("python3"), sys._base_executable]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p / "bin" / "python3") for p in sorted(pyenv.glob("3.*"))]
    found: dict[str, str] = {}
    for candidate in filter(None, candidates):
        version = _version(candidate)
        if version is not None and version >= MIN_VERSION:
            found.setdefault(".".join(map(str, version)), candidate)
    return dict(sorted(found.items()))


def clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout or another environment
    on sys.path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `python -m build` makes: the sdist, then the pure-Python wheel from the sdist alone
    (in an isolated environment with the declared build requirements)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    """The pure-Python wheel."""
    (found,) = dist.glob("pushscope-*.whl")
    return found


@pytest.fixture(scope="session")
def sdist(dist: Path) -> Path:
    (found,) = dist.glob("pushscope-*.tar.gz")
    return found


@dataclass(frozen=True)
class Installed:
    """A virtual environment with pushscope installed from the wheel."""

    version: str
    bin: Path
    home: Path
    """An empty folder outside the checkout to run commands in."""
    wheel: Path
    """The wheel it was installed from: compiled, or pure without a C compiler."""

    @property
    def package(self) -> Path:
        """The installed `pushscope` package folder."""
        (found,) = self.bin.parent.glob("lib/python*/site-packages/pushscope")
        return found

    def run(
        self, *args: str, timeout: float = 60, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=cwd or self.home,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


INTERPRETERS = interpreters()


COMPILER = shutil.which((os.environ.get("CC") or "cc").split()[0])
"""The C compiler mypyc's build uses; without one, the smoke suite runs on the pure wheel."""


@pytest.fixture(scope="session", params=list(INTERPRETERS) or [None])
def installed(
    request: pytest.FixtureRequest,
    sdist: Path,
    wheel: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Installed:
    """A fresh environment of one Python with the wheel compiled for it from the sdist (by its
    own pip, in an isolated build environment) installed; the pure wheel when there is no C
    compiler."""
    version = request.param
    if version is None:
        pytest.skip("no Python >= 3.12 that can make virtual environments was found")
    root = tmp_path_factory.mktemp(f"py{version}")
    venv = root / "venv"
    subprocess.run(
        [INTERPRETERS[version], "-m", "venv", str(venv)], check=True, timeout=INSTALL_TIMEOUT
    )
    python = str(venv / "bin" / "python")
    if COMPILER is None:
        chosen = wheel
    else:
        built = root / "wheel"
        result = subprocess.run(
            [python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(built), str(sdist)],
            env=clean_env() | {"PUSHSCOPE_MYPYC": "1"},
            capture_output=True,
            text=True,
            timeout=COMPILE_TIMEOUT,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        (chosen,) = built.glob("pushscope-*.whl")
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(chosen)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    home = root / "home"
    home.mkdir()
    return Installed(version, venv / "bin", home, chosen)


def skip_unless_compiled(installed: Installed) -> None:
    """Skip unless `installed` has the compiled core."""
    if installed.wheel.name.endswith("-py3-none-any.whl"):
        pytest.skip("no C compiler (cc) to compile the core with: the pure wheel is installed")


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()
