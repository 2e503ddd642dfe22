"""A tmux pane on a tmux server of its own, for tests in a real terminal."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

TMUX = shutil.which("tmux")


class Pane:
    """A tmux pane on a server of its own (its own socket: a user's tmux is left alone)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *arguments: str, check: bool = True) -> str:
        return subprocess.run(
            [str(TMUX), "-L", self.socket, *arguments],
            capture_output=True,
            text=True,
            check=check,
            timeout=10,
        ).stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", check=False)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", *(["-l"] if literal else []), *keys)

    def wait_for(self, what: str, condition: Callable[[str], bool], timeout: float = 20.0) -> str:
        text = self.poll(condition, timeout)
        if text is None:
            pytest.fail(f"the screen never showed {what}; it showed:\n{self.text()}")
        return text

    def poll(self, condition: Callable[[str], bool], timeout: float) -> str | None:
        """The screen once it meets `condition`, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if condition(text):
                return text
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return bool(self.tmux("list-panes", check=False))
