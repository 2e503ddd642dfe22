"""The build backend: setuptools', with mypy and pushscope's own dependencies added to what a
wheel build needs when the core is to be compiled (PUSHSCOPE_MYPYC=1, see setup.py): mypyc
compiles against the types of the libraries the core imports."""

from __future__ import annotations

import os
import tomllib

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403  # every hook PEP 517 and 660 name

FLAG = "PUSHSCOPE_MYPYC"
MYPYC = "mypy==2.4.1"
"""The compiler the core is tested compiled with."""


def get_requires_for_build_wheel(config_settings: dict[str, object] | None = None) -> list[str]:
    if os.environ.get(FLAG) != "1":
        return build_meta.get_requires_for_build_wheel(config_settings)
    # setuptools runs setup.py to answer, and a compiling setup.py needs the mypyc that this
    # answer is to bring: it is asked as for a pure build.
    os.environ[FLAG] = "0"
    try:
        needed = build_meta.get_requires_for_build_wheel(config_settings)
    finally:
        os.environ[FLAG] = "1"
    with open("pyproject.toml", "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    return [*needed, MYPYC, *dependencies]
