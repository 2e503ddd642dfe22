"""The smoke suite on the installed wheel: what a user runs first, on every Python found."""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from pushscope.demo.common import http_client, sse_blocks
from pushscope.demo.proxy import Mitmdump
from pushscope.demo.servers import run_servers
from tests.conftest import CAPTURES, ROOT
from tests.wheel.conftest import Installed, clean_env, skip_unless_compiled, wheel_names

pytestmark = pytest.mark.timeout(300, func_only=True)
"""The bound of each test; setting up its environment (building and installing a wheel,
several minutes when the core is compiled) is bounded by the timeouts in conftest.py."""

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def test_the_wheel_holds_one_package_with_its_data(wheel: Path) -> None:
    names = wheel_names(wheel)
    assert {name.split("/")[0] for name in names} == {"pushscope", "pushscope-0.1.0.dist-info"}
    assert wheel.name.endswith("-py3-none-any.whl")
    assert not [name for name in names if name.endswith(".so")]  # pure Python
    for needed in (
        "pushscope/__main__.py",
        "pushscope/py.typed",
        "pushscope/tui/pushscope.tcss",
        "pushscope/addons/pushscope.py",
        "pushscope-0.1.0.dist-info/licenses/LICENSE",
    ):
        assert needed in names


def test_the_compiled_wheel_holds_one_package_with_its_core_compiled(installed: Installed) -> None:
    skip_unless_compiled(installed)
    names = wheel_names(installed.wheel)
    assert {name.split("/")[0] for name in names} == {"pushscope", "pushscope-0.1.0.dist-info"}
    tag = "cp" + installed.version.replace(".", "")
    assert f"-{tag}-{tag}-" in installed.wheel.name
    compiled = {name.split(".")[0] for name in names if name.endswith(".so")}
    assert {"pushscope/inspector/analysis", "pushscope/inspector/pcap/http2"} <= compiled
    assert "pushscope/tui/app" not in compiled  # the viewer, the addon, the demo stay Python
    result = installed.run(
        "python", "-c", "import pushscope.inspector.analysis as m; print(m.__file__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(".so")


def test_it_imports_from_the_environment_not_the_checkout(installed: Installed) -> None:
    result = installed.run(
        "python", "-c", "import pushscope.inspector, pushscope.tui.app; print(pushscope.__file__)"
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.bin.parent)
    version = installed.run("python", "-m", "pushscope", "--version")
    assert version.stdout.strip() == "pushscope 0.1.0"


def test_analyze_a_capture(installed: Installed) -> None:
    result = installed.run(
        "pushscope", "analyze", str(CAPTURES / "demo-mix.pcap"), "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["exchanges"] == 9
    assert report["summary"]["protocols"]["websocket"] >= 1


def _screen_text(master: int, until: re.Pattern[str], timeout: float) -> str:
    """What the terminal showed, as plain text, once `until` is on it (or time is up)."""
    shown = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            shown += chunk
            if until.search(ANSI.sub("", shown.decode("utf-8", "replace"))):
                break
    return ANSI.sub("", shown.decode("utf-8", "replace"))


def test_view_shows_rows_in_a_terminal_and_quits_on_q(installed: Installed) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = clean_env() | {"TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
    process = subprocess.Popen(
        [str(installed.bin / "pushscope"), "view", str(CAPTURES / "rest.mitm")],
        cwd=installed.home,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    try:
        shown = _screen_text(master, re.compile(r"/api/items/\d"), timeout=60)
        assert re.search(r"/api/items/\d", shown), shown[-2000:]
        assert "REST" in shown.upper()
        os.write(master, b"q")
        assert process.wait(30) == 0
        assert "Traceback" not in _screen_text(master, re.compile("$^"), timeout=1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        os.close(master)


def _children(pid: int) -> list[str]:
    """The command lines of the processes whose parent is `pid`."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
            if int(fields["PPid"]) == pid:
                found.append((status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, KeyError, ValueError):
            continue
    return found


def test_addon_passes_sse_with_its_analysis_process_beside_a_decoy_package(
    installed: Installed,
) -> None:
    """mitmdump run from a folder holding packages named `addons` and `pushscope` of its own
    (as mitmproxy's examples are laid out): the installed addon and its analysis process
    still load pushscope's own."""
    folder = installed.home / "decoy"
    for name in ("addons", "pushscope"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "__init__.py").write_text("raise ImportError('decoy package loaded')\n")
    script = installed.run("pushscope", "addon-path").stdout.strip()
    assert Path(script).is_relative_to(installed.bin.parent)
    report = folder / "report.json"
    mitmdump = Mitmdump(
        ["-s", script, "--set", f"pushscope_report={report}"],
        installed.home / "confdir",
        executable=installed.bin / "mitmdump",
        cwd=folder,
    )

    async def read_events(base: str, proxy: str) -> list[float]:
        arrivals = []
        async with (
            http_client(proxy) as client,
            client.stream("GET", f"{base}/events", headers={"Accept": "text/event-stream"}) as r,
        ):
            async for block in sse_blocks(r):
                if "data" in block:
                    arrivals.append(time.monotonic())
        return arrivals

    with run_servers() as urls, mitmdump as proxy:
        arrivals = asyncio.run(asyncio.wait_for(read_events(urls.http, proxy), 60))
        assert mitmdump.pid is not None
        workers = [c for c in _children(mitmdump.pid) if "pushscope.addons.worker" in c]
    assert workers, "no analysis process: " + "\n".join(mitmdump.log)
    assert len(arrivals) == 8
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert sum(1 for gap in gaps if gap > 0.02) >= 5  # event by event, not all at the end
    log = "\n".join(mitmdump.log)
    assert "decoy" not in log and "Traceback" not in log and "instead" not in log, log
    (stream,) = [e for e in json.loads(report.read_text())["exchanges"] if e["protocol"] == "sse"]
    assert stream["sse"]["events"] == 8


def test_headless_demo(installed: Installed) -> None:
    result = installed.run(
        "pushscope", "demo", "--headless", "--duration", "6", "--format", "json", timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    protocols = report["summary"]["protocols"]
    assert protocols["sse"] >= 1 and protocols["websocket"] >= 1 and protocols["rest"] >= 1
    assert report["findings"]


IGNORED = ["--ignore=tests/tui", "--ignore=tests/wheel", "--ignore=tests/test_style.py"]
"""The viewer's tests, these, and ruff and mypy over the sources (the same with a compiled
core or without)."""


@pytest.mark.timeout(1200, func_only=True)
def test_the_core_tests_pass_on_the_compiled_core(installed: Installed, tmp_path: Path) -> None:
    """The tests (but `IGNORED`) run on the compiled core: compiled code checks its annotations
    at run time, so one that does not hold fails here and not in pure Python. Tests marked
    `pure_python` (they replace a core function, which compiled callers do not see) are left
    out."""
    skip_unless_compiled(installed)
    running = "{}.{}".format(*sys.version_info[:2])
    if installed.version != running:
        pytest.skip(f"runs with this environment's test dependencies, on Python {running}")
    checkout = tmp_path / "checkout"  # a checkout without the package: the installed one runs
    shutil.copytree(
        ROOT / "tests", checkout / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("captures", "bench", "pyproject.toml"):
        (checkout / name).symlink_to(ROOT / name)
    if (ROOT.parent / "shared").is_dir():  # the third-party fixtures, beside the checkout
        (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    path = tmp_path / "path"
    path.mkdir()
    (path / "pushscope").symlink_to(installed.package)
    env = clean_env() | {"PYTHONPATH": str(path)}
    where = subprocess.run(
        [sys.executable, "-c", "import pushscope.inspector.analysis as m; print(m.__file__)"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.strip().endswith(".so"), where.stdout + where.stderr
    pytest_args = ["-q", "-p", "no:cacheprovider", "-m", "not pure_python", "tests", *IGNORED]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
