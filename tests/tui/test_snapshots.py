"""Snapshots of the main screens on the project's captures, at a fixed terminal size.

Regenerate after an intended change: `pytest tests/tui/test_snapshots.py --snapshot-update`,
then look at the report of what changed before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from pushscope.tui.app import PushscopeApp
from pushscope.tui.sources import CaptureSource
from tests.conftest import CAPTURES
from tests.tui.conftest import wait_until

SIZE = (140, 40)
SnapCompare = Callable[..., bool]


def viewer(*names: str) -> PushscopeApp:
    return PushscopeApp(CaptureSource([CAPTURES / name for name in names]))


def loaded_then(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, PushscopeApp)
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


def test_main_screen(snap_compare: SnapCompare) -> None:
    app = viewer("demo-mix.mitm", "poll-short.mitm")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then("home"))


def test_websocket_detail(snap_compare: SnapCompare) -> None:
    app = viewer("websocket-chat.mitm")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then("enter"))


def test_finding_detail(snap_compare: SnapCompare) -> None:
    app = viewer("poll-short.mitm")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then("f", "enter"))


def test_filtered(snap_compare: SnapCompare) -> None:
    app = viewer("demo-mix.mitm")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then("slash", *"-proto:rest"))


def test_conversation_view(snap_compare: SnapCompare) -> None:
    app = viewer("websocket-chat.mitm")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then("home", "enter", "c"))


def test_conversation_view_filtered(snap_compare: SnapCompare) -> None:
    app = viewer("websocket-chat.mitm")
    keys = ("home", "enter", "c", "slash", *"lobby", "enter")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then(*keys))


def test_message_whole(snap_compare: SnapCompare) -> None:
    app = viewer("websocket-chat.mitm")
    keys = ("home", "enter", "c", "home", "down", "enter")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then(*keys))


def test_sse_conversation_with_comments_and_clock_times(snap_compare: SnapCompare) -> None:
    app = viewer("sse-eventsource.mitm")
    keys = ("home", "c", "t")
    assert snap_compare(app, terminal_size=SIZE, run_before=loaded_then(*keys))
