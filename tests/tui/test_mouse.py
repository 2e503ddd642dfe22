"""The mouse in every list: a click selects the row under it, the wheel scrolls the list (the
exchange table, the findings, the conversation view), as a terminal's mouse reports reach them."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot

from pushscope.tui.app import PushscopeApp
from pushscope.tui.screens.conversation import ConversationScreen, MessageList
from pushscope.tui.sources import CaptureSource
from pushscope.tui.widgets.exchange_table import ExchangeTable
from pushscope.tui.widgets.findings import FindingsList
from pushscope.tui.widgets.virtual_list import VirtualList
from tests.conftest import CAPTURES
from tests.tui.conftest import wait_until


def viewer(*names: str) -> PushscopeApp:
    return PushscopeApp(CaptureSource([CAPTURES / name for name in names]))


async def wheel(pilot: Pilot[object], widget: VirtualList, down: bool, times: int = 1) -> None:
    """Turn the wheel over `widget`, as the driver posts it: to the app, at a screen position."""
    region = widget.content_region
    kind = events.MouseScrollDown if down else events.MouseScrollUp
    for _ in range(times):
        x, y = region.x + 2, region.y + 1
        pilot.app.post_message(kind(None, x, y, 0, 1 if down else -1, 0, False, False, False, x, y))
        await pilot.pause()


async def click_selects_and_wheel_scrolls(pilot: Pilot[object], widget: VirtualList) -> None:
    assert widget.row_count() > widget.content_region.height  # room to scroll
    widget.scroll_to(y=0, animate=False, force=True)
    await pilot.pause()
    await pilot.click(widget, offset=(3, 2))
    assert widget.cursor == 2 and widget.has_focus
    await wheel(pilot, widget, down=True, times=2)
    top = int(widget.scroll_offset.y)
    assert top > 0 and widget.cursor == 2  # the wheel moves the view, not the cursor
    await pilot.click(widget, offset=(3, 1))
    assert widget.cursor == top + 1  # the row shown there, not the row 1 of the list
    await wheel(pilot, widget, down=False, times=10)
    assert widget.scroll_offset.y == 0


async def test_the_exchange_table_and_the_findings() -> None:
    app = viewer(*(path.name for path in sorted(CAPTURES.glob("*.mitm"))))  # 11 findings
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished and len(app.traffic.findings) > 6)
        table = app.screen.query_one(ExchangeTable)
        await click_selects_and_wheel_scrolls(pilot, table)
        assert table.exchange is app.traffic.exchange_at(table.cursor)
        await click_selects_and_wheel_scrolls(pilot, app.screen.query_one(FindingsList))


async def test_the_conversation_view() -> None:
    app = viewer("websocket-chat.mitm")
    async with app.run_test(size=(100, 10)) as pilot:
        await wait_until(pilot, lambda: app.traffic.finished)
        await pilot.press("home", "c")
        assert isinstance(app.screen, ConversationScreen)
        messages = app.screen.query_one(MessageList)
        await click_selects_and_wheel_scrolls(pilot, messages)
        assert not messages.is_following
        await pilot.click(messages, offset=(3, 1), times=2)  # a double click opens it
        assert type(app.screen).__name__ == "MessageScreen"
