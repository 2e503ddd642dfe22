"""The core (`pushscope.inspector`) compiled with mypyc when PUSHSCOPE_MYPYC=1, as the wheels
CI tests are built; pure Python otherwise. Everything else about the package is in
pyproject.toml, and `build_support/backend.py` adds mypy and the dependencies to the build
requirements of a compiled build."""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup

CORE = Path("pushscope/inspector")
PURE = {
    # They subclass built-in types (an exception, io.RawIOBase), which mypyc does not compile.
    CORE / "pcap/h11_reader.py",
    CORE / "readers/base.py",
}


def compiled() -> list[str]:
    """The core's modules that mypyc compiles. Packages' `__init__` modules stay Python too:
    mypyc derives a compiled package's `__path__` from where the shared library lies, which
    inside the package (`group_name`) is wrong, so it could not import a Python submodule."""
    return sorted(
        str(path) for path in CORE.rglob("*.py") if path not in PURE and path.name != "__init__.py"
    )


if os.environ.get("PUSHSCOPE_MYPYC") == "1":
    from mypyc.build import mypycify

    setup(ext_modules=mypycify(compiled(), opt_level="3", group_name="pushscope.inspector"))
else:
    setup()
