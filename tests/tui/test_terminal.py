"""The viewer in a real terminal: tmux runs `pushscope view`, keys are sent, the pane is read."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CAPTURES
from tests.tmux import TMUX, Pane

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
PUSHSCOPE = Path(sys.executable).with_name("pushscope")


@pytest.fixture
def pane() -> Iterator[Pane]:
    pane = Pane(f"pushscope-test-{uuid.uuid4().hex[:8]}")
    command = (
        f"TZ=UTC {PUSHSCOPE} view {CAPTURES / 'poll-short.mitm'} {CAPTURES / 'ws-one-way.mitm'}"
    )
    # 80x24: the size a terminal opens at when nobody chose one.
    pane.tmux("new-session", "-d", "-x", "80", "-y", "24", command)
    try:
        yield pane
    finally:
        pane.tmux("kill-server", check=False)


def test_view_in_a_real_terminal(pane: Pane) -> None:
    pane.wait_for("the capture read", lambda s: "read 17 exchanges" in s)
    pane.wait_for("the newest row followed into view", lambda s: "/ticker" in s)
    pane.wait_for("the findings panel", lambda s: "short-polling" in s and "-> sse" in s)
    time.sleep(1.0)  # a person looks at the screen before typing
    pane.keys("/")
    pane.keys("proto:ws", literal=True)
    pane.wait_for("the filter applied", lambda s: "1 of 17 shown" in s)
    pane.keys("Enter", "Enter")  # typed fast: the second one already reaches the table
    screen = pane.wait_for("the exchange detail", lambda s: "Why websocket" in s)
    assert "valid RFC 6455 handshake" in screen
    pane.keys("Escape")  # alone: an escape and a key right behind it read as alt+key
    pane.wait_for("the table again", lambda s: "1 of 17 shown" in s)
    pane.keys("q")
    deadline = time.monotonic() + 10
    while pane.alive:
        assert time.monotonic() < deadline, "q did not quit"
        time.sleep(0.1)
