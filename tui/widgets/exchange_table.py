"""The exchange table: a virtual list that renders only the lines on screen (line API), so a
capture of a million exchanges scrolls and filters as fast as one of ten."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from inspector.model import Exchange, Protocol
from tui.rows import BADGES, Row
from tui.traffic import Traffic

BADGE_STYLES = {
    Protocol.REST: Style(color="black", bgcolor="grey70"),
    Protocol.SSE: Style(color="black", bgcolor="green3", bold=True),
    Protocol.WEBSOCKET: Style(color="white", bgcolor="medium_purple3", bold=True),
    Protocol.STREAM: Style(color="black", bgcolor="gold3", bold=True),
}
FINDING_MARK = "\u25c6"  # a diamond: this exchange belongs to a finding
MUTED = Style(dim=True)
ERROR = Style(color="red3", bold=True)
MARKED = Style(color="orange1", bold=True)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int
    right: bool = False


def layout(width: int) -> list[Column]:
    """The columns for a table `width` cells wide: the path takes what the others leave."""
    fixed = [
        Column("", 1),
        Column("time", 12),
        Column("client", 15),
        Column("method", 7),
        Column("host", 22),
        Column("path", 0),
        Column("status", 6, right=True),
        Column("proto", 8),
        Column("size", 9, right=True),
        Column("time", 8, right=True),
        Column("msgs", 8, right=True),
    ]
    if width < 100:  # narrow terminal: the client and the host make room for the path
        fixed = [c for c in fixed if c.title not in ("client",)]
    used = sum(c.width + 1 for c in fixed)
    return [
        Column(c.title, max(10, width - used), c.right) if c.title == "path" else c for c in fixed
    ]


def _cell(text: str, column: Column) -> str:
    if cell_len(text) > column.width:
        return set_cell_size(text, column.width - 1) + "\u2026" if column.width > 1 else ""
    pad = " " * (column.width - cell_len(text))
    return pad + text if column.right else text + pad


def _values(row: Row) -> list[str]:
    return [
        FINDING_MARK if row.finding else " ",
        row.time,
        row.client,
        row.method,
        row.host,
        row.path,
        row.status,
        BADGES[row.protocol],
        row.size,
        row.duration,
        row.count,
    ]


def header_strip(width: int, style: Style) -> Strip:
    text = " ".join(_cell(c.title, c) for c in layout(width))
    return Strip([Segment(_cell(text, Column("", width)), style)], width)


class ExchangeTable(ScrollView, can_focus=True):
    """Rows of `Traffic.visible`; `enter` posts `Selected`; follows the newest row when the
    cursor is on the last one (unless `following` is turned off)."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Detail"),
    ]
    COMPONENT_CLASSES = {"exchange-table--cursor", "exchange-table--header"}
    DEFAULT_CSS = """
    ExchangeTable { scrollbar-gutter: stable; overflow-x: hidden; }
    ExchangeTable > .exchange-table--cursor { background: $accent 40%; }
    ExchangeTable:focus > .exchange-table--cursor { background: $accent; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Selected(Message):
        def __init__(self, exchange: Exchange) -> None:
            super().__init__()
            self.exchange = exchange

    def __init__(self, traffic: Traffic, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.traffic = traffic
        self.following = True

    # -- data

    def rows_changed(self) -> None:
        """New or changed rows arrived: resize, follow the newest if the cursor was there."""
        count = len(self.traffic.visible)
        at_end = self.cursor >= self.virtual_size.height - 1
        self.virtual_size = Size(0, count)
        if self.following and at_end and count:
            self.cursor = count - 1
        elif self.cursor >= count:
            self.cursor = max(0, count - 1)
        self.refresh()

    def reset(self) -> None:
        """The filter changed: start again at the top."""
        self.virtual_size = Size(0, len(self.traffic.visible))
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self.refresh()

    @property
    def exchange(self) -> Exchange | None:
        return self.traffic.exchange_at(self.cursor)

    def show(self, exchange_id: str) -> bool:
        """Put the cursor on an exchange if the filter shows it."""
        index = self.traffic.index_of(exchange_id)
        if index is None:
            return False
        self.cursor = index
        return True

    # -- cursor

    def watch_cursor(self, cursor: int) -> None:
        # After the refresh: the virtual size may have just grown, and scrolling is clamped to
        # the size the last layout saw.
        self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Smaller (the findings panel appeared): keep the cursor row in view."""
        self.virtual_size = Size(0, len(self.traffic.visible))
        self.call_after_refresh(self._scroll_to_cursor)

    def _scroll_to_cursor(self) -> None:
        # From `container_size`, which a resize updates at once (the content region may lag).
        height, top = self.container_size.height, int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, force=True)

    def action_cursor(self, step: int) -> None:
        self._move(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self._move(where if where >= 0 else len(self.traffic.visible) - 1)

    def _move(self, index: int) -> None:
        self.cursor = max(0, min(index, len(self.traffic.visible) - 1))

    def action_select(self) -> None:
        if (exchange := self.exchange) is not None:
            self.post_message(self.Selected(exchange))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.traffic.visible):
            if event.chain >= 2 and index == self.cursor:
                self.action_select()
            self.cursor = index

    # -- rendering

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        base = self.rich_style
        if index >= len(self.traffic.visible):
            return Strip.blank(width, base)
        row = self.traffic.row(index)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("exchange-table--cursor")
        segments: list[Segment] = []
        for column, value in zip(layout(width), _values(row), strict=True):
            text = _cell(value, column)
            cell_style = style
            if column.title == "proto":
                cell_style = style + BADGE_STYLES[row.protocol]
            elif column.title == "status" and (row.failed or value.startswith(("4", "5", "E"))):
                cell_style = style + ERROR
            elif column.title == "" and row.finding:
                cell_style = style + MARKED
            elif column.title == "time" and column.right and row.open:
                cell_style = style + Style(color="green3", italic=True)
            segments.append(Segment(text, cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).crop_extend(0, width, style)


class ColumnHeader(Widget):
    """The exchange table's column titles, aligned with its columns."""

    DEFAULT_CSS = """
    ColumnHeader { height: 1; background: $panel; color: $text-muted; text-style: bold; }
    """

    def render_line(self, y: int) -> Strip:
        # The table keeps a scrollbar gutter: leave the same room on the right.
        return header_strip(max(0, self.size.width - 2), self.rich_style).crop_extend(
            0, self.size.width, self.rich_style
        )
