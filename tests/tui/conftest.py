"""Viewer tests: a fixed time zone (the table shows local times) and screen-text helpers."""

from __future__ import annotations

import html
import os
import re
import time

import pytest
from textual.app import App

os.environ["TZ"] = "UTC"
time.tzset()

_TEXT = re.compile(r"<text [^>]*>(.*?)</text>")


def screen_text(app: App[object]) -> str:
    """What the screen shows, as plain text (from the SVG screenshot, tags stripped)."""
    svg = app.export_screenshot()
    return "".join(html.unescape(m.group(1)) for m in _TEXT.finditer(svg)).replace("\xa0", " ")


async def wait_until(pilot: object, condition: object, timeout: float = 20.0) -> None:
    """Pause the pilot until `condition()` holds (bounded)."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot) and callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {condition}")
        await pilot.pause(0.05)
    await pilot.pause()
