"""Record the browser captures: real client libraries in a real headless Chromium, through a
real mitmdump, against real servers on 127.0.0.1.

For each scenario: start the page server (servers.py: python-socketio, strawberry-graphql and
Starlette under uvicorn) on an ephemeral 127.0.0.1 port, start ``mitmdump`` on another with a
throwaway confdir, launch /usr/bin/chromium through Playwright with ``--proxy-server`` and
``--proxy-bypass-list=<-loopback>`` (without it Chromium bypasses the proxy for loopback), open
the scenario's page, let it run for the scenario's time, call the page's ``scenario.stop()``
so its sockets close cleanly, close the browser, stop mitmdump (SIGINT: it writes the HAR) and
the server, check the page did what the scenario is about, and move ``<name>.mitm`` and
``<name>.har`` into captures/browser/. Every capture is read back and summarised afterwards.

    .venv/bin/python captures/browser/record_browser.py                   # every scenario
    .venv/bin/python captures/browser/record_browser.py refetch-interval  # only some
    .venv/bin/python captures/browser/record_browser.py --show            # only summarise

Without Chromium, Playwright's Python package or the servers' packages it says what is missing
and records nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
for path in (ROOT, HERE.parent):  # run as a script: pushscope and captures/record.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 15_000
STOP_GRACE_MS = 1_500
"""After the page's stop(): time for its closes to reach the proxy and the server."""
SAVE_ONLY = "save_stream_filter=~d 127.0.0.1"
"""The page's traffic only: Chromium also asks its update service (there is no network)."""
SETTLE = 0.3
"""After the browser closed: time for mitmdump to run its hooks for the last close."""


class Scenario(NamedTuple):
    """One recording: the page to open, for how long, and what the page must have seen."""

    page: str
    seconds: float
    check: Callable[[dict[str, Any]], list[str]]
    """Problems with the page's `window.scenario` at the end (empty: it went as meant)."""


def _socketio(transports: list[str]) -> Callable[[dict[str, Any]], list[str]]:
    def check(state: dict[str, Any]) -> list[str]:
        problems = []
        if state["transports"] != transports:
            problems.append(f"transports {state['transports']}, expected {transports}")
        if state["news"] < 5 or state["acks"] < 4:
            problems.append(f"only {state['news']} news and {state['acks']} chat acks")
        return problems + [f"error: {e}" for e in state["errors"]]

    return check


def _graphql(state: dict[str, Any]) -> list[str]:
    problems = [f"error: {e}" for e in state["errors"]]
    if state["polls"] < 10 or state["messages"] < 3:
        problems.append(f"only {state['polls']} polls and {state['messages']} messages")
    return problems


def _refetch(state: dict[str, Any]) -> list[str]:
    problems = [f"error: {e}" for e in state["errors"]]
    if state["results"] < 10:
        problems.append(f"only {state['results']} query results")
    return problems


def _sse(state: dict[str, Any]) -> list[str]:
    problems = [f"stream failed: {e}" for e in state["errors"]]
    if sorted(state["ended"]) != sorted(set(state["ended"])) or len(state["ended"]) != 8:
        problems.append(f"streams ended: {state['ended']}, expected all eight once")
    return problems


SCENARIOS: dict[str, Scenario] = {
    "socketio-upgrade": Scenario(
        "/socketio.html?transports=polling,websocket", 28, _socketio(["polling", "websocket"])
    ),
    "socketio-polling-only": Scenario(
        "/socketio.html?transports=polling", 28, _socketio(["polling"])
    ),
    "graphql-urql-poll": Scenario("/graphql.html", 32, _graphql),
    "graphql-legacy-ws": Scenario("/graphql.html?ws=legacy", 32, _graphql),
    "refetch-interval": Scenario("/refetch.html", 40, _refetch),
    "sse-eight-streams": Scenario("/sse.html", 28, _sse),
}


def missing() -> list[str]:
    """What recording needs and this machine lacks."""
    lacking = []
    if not CHROMIUM.is_file():
        lacking.append(f"Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        lacking.append("Playwright's Python package (pip install playwright)")
    for module, package in (("socketio", "python-socketio"), ("strawberry", "strawberry-graphql")):
        if importlib.util.find_spec(module) is None:
            lacking.append(f"{package} (pip install -e '.[test]')")
    return lacking


def drive(url: str, proxy: str, scenario: Scenario) -> dict[str, Any]:
    """Open `url` in headless Chromium through `proxy` for the scenario's time; the page's
    `window.scenario` at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                f"--proxy-server={proxy}",
                "--proxy-bypass-list=<-loopback>",
                "--disable-component-update",  # or it asks Google for updates through the proxy
            ],
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            console: list[str] = []
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.goto(url, wait_until="load")
            try:
                page.wait_for_function("window.scenario && window.scenario.ready")
            except Exception as exc:
                raise RuntimeError(f"{url} did not get ready: {console}") from exc
            page.wait_for_timeout(scenario.seconds * 1000)
            page.evaluate("async () => { await window.scenario.stop(); }")
            page.wait_for_timeout(STOP_GRACE_MS)
            state: dict[str, Any] = page.evaluate("JSON.parse(JSON.stringify(window.scenario))")
            state["console"] = console
        finally:
            browser.close()
    return state


def record(name: str, scenario: Scenario, out: Path) -> dict[str, Any]:
    """Record one capture into ``out/<name>.mitm`` and ``out/<name>.har``."""
    from servers import run_server

    from pushscope.demo.proxy import Mitmdump

    with tempfile.TemporaryDirectory(prefix=f"pushscope-{name}-") as tmp:
        flows, har = Path(tmp) / f"{name}.mitm", Path(tmp) / f"{name}.har"
        options = ["-w", str(flows), "--set", f"hardump={har}", "--set", SAVE_ONLY]
        with run_server() as base, Mitmdump(options, Path(tmp) / "confdir") as proxy:
            state = drive(base + scenario.page, proxy, scenario)
            time.sleep(SETTLE)
        problems = scenario.check(state)
        if problems:
            raise RuntimeError(f"{name}: the page did not do what the scenario needs: {problems}")
        for path in (flows, har):
            if not path.is_file() or path.stat().st_size == 0:
                raise RuntimeError(f"{name}: mitmdump wrote no {path.suffix} file")
            shutil.move(path, out / path.name)
    return state


def findings(path: Path) -> list[str]:
    """What pushscope finds in a capture, one line a finding."""
    from pushscope.inspector.pipeline import analyze_paths

    report, fatal = analyze_paths([path])
    lines = [f"  problem: {problem}" for problem in fatal]
    for finding in report.findings:
        stats = finding.stats
        period = stats.get("period_s")
        lines.append(
            f"  finding {finding.kind} {finding.endpoint} period={period} "
            f"cadence={stats.get('cadence')} -> {finding.recommendation}"
        )
    frameworks = sorted({e.framework for e in report.exchanges if e.framework})
    lines.append(f"  frameworks: {', '.join(frameworks) or '-'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"captures to record (default: all): {', '.join(SCENARIOS)}",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    parser.add_argument("--show", action="store_true", help="only summarise existing captures")
    args = parser.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        choose = ", ".join(SCENARIOS)
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {choose}")
    names = args.scenarios or list(SCENARIOS)
    if not args.show and (lacking := missing()):
        print("browser captures skipped: recording needs " + "; ".join(lacking))
        return 0
    # SIGTERM as SystemExit: the finally blocks still stop Chromium, mitmdump and the server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args.out.mkdir(parents=True, exist_ok=True)
    from record import describe  # captures/record.py

    status = 0
    for name in names:
        if not args.show:
            started = time.monotonic()
            state = record(name, SCENARIOS[name], args.out)
            print(f"{name}: recorded in {time.monotonic() - started:.1f}s, page saw {state}")
        flows_path = args.out / f"{name}.mitm"
        if not flows_path.is_file():
            print(f"{name}: no capture at {flows_path}")
            status = 1
            continue
        print(f"{flows_path.name}: {flows_path.stat().st_size} B")
        print("\n".join(describe(flows_path) + findings(flows_path)))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)  # the interrupted scenario's captures are discarded, not half-written
