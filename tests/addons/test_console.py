"""The addon in the real mitmproxy console, in a tmux pane: the flow list shows pushscope's
markers, and its commands run from the console's command prompt."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest

from pushscope.addons import SCRIPT
from pushscope.demo.proxy import MITMDUMP
from tests.addons.test_mitmweb import HOST, _free_port, _server
from tests.tmux import TMUX, Pane

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.timeout(120),
]


def _listening(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_markers_and_commands_in_the_console(tmp_path: Path) -> None:
    port = _free_port()
    console = MITMDUMP.with_name("mitmproxy")
    pane = Pane(f"pushscope-console-{uuid.uuid4().hex[:8]}")
    command = (
        f"{console} --listen-host {HOST} --listen-port {port} "
        f"--set confdir={tmp_path / 'confdir'} -s {SCRIPT}"
    )
    pane.tmux("new-session", "-d", "-x", "150", "-y", "40", command)
    try:
        _listening(port)
        with _server() as origin, httpx.Client(proxy=f"http://{HOST}:{port}") as client:
            for _ in range(8):
                client.get(f"{origin}/status").raise_for_status()
                time.sleep(0.25)
        screen = pane.wait_for(
            "eight polls marked",
            lambda s: s.count("\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}") == 8,
        )
        assert screen.count("/status") == 8
        pane.keys(":")
        pane.keys("pushscope.findings", literal=True)
        pane.keys("Enter")
        screen = pane.wait_for("the findings", lambda s: "short-polling -> websocket" in s)
        assert "(8 exchanges)" in screen
        pane.keys("q")
        pane.keys(":")
        pane.keys("pushscope.series @focus", literal=True)
        pane.keys("Enter")
        pane.wait_for("the series marked", lambda s: s.count("\N{WHITE MEDIUM STAR}") == 8)
    finally:
        pane.tmux("kill-server", check=False)
