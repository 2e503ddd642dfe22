"""The exchange table: a virtual list that renders only the lines on screen (line API), so a
capture of a million exchanges scrolls and filters as fast as one of ten."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from inspector.model import Exchange, Protocol
from tui.rows import BADGES, Row
from tui.traffic import Traffic
from tui.widgets.virtual_list import VirtualList

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
OPEN = Style(color="green3", italic=True)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int
    right: bool = False
    flex: bool = False
    """Takes the width the other columns leave."""
    hide_below: int = 0
    """Left out of tables narrower than this."""


COLUMNS = (
    Column("", 1),
    Column("time", 12),
    Column("client", 15, hide_below=120),
    Column("method", 7),
    Column("host", 22),
    Column("path", 10, flex=True),
    Column("status", 6, right=True),
    Column("proto", 8),
    Column("size", 9, right=True, hide_below=96),
    Column("time", 8, right=True, hide_below=88),
    Column("msgs", 8, right=True),
)


def layout(width: int) -> list[Column]:
    """The columns for a table `width` cells wide, one per value of a row (a left-out column
    has width 0): the flexible one takes what the others leave."""
    columns = [
        Column(c.title, 0)
        if width < c.hide_below
        else Column("host", 16)
        if c.title == "host" and width < 100
        else c
        for c in COLUMNS
    ]
    used = sum(c.width + 1 for c in columns if c.width and not c.flex)
    return [
        Column(c.title, max(c.width, width - used - 1), c.right) if c.flex else c for c in columns
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
    text = " ".join(_cell(c.title, c) for c in layout(width) if c.width)
    return Strip([Segment(_cell(text, Column("", width)), style)], width)


class ExchangeTable(VirtualList):
    """Rows of `Traffic.visible`; `enter` posts `Selected`; follows the newest row when the
    cursor is on the last one (unless `following` is turned off)."""

    class Selected(Message):
        def __init__(self, exchange: Exchange) -> None:
            super().__init__()
            self.exchange = exchange

    def __init__(self, traffic: Traffic, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.traffic = traffic
        self.following = True

    def row_count(self) -> int:
        return len(self.traffic.visible)

    @property
    def exchange(self) -> Exchange | None:
        return self.traffic.exchange_at(self.cursor)

    def select(self, index: int) -> None:
        if (exchange := self.traffic.exchange_at(index)) is not None:
            self.post_message(self.Selected(exchange))

    def render_row(self, index: int, width: int, style: Style) -> Strip:
        row = self.traffic.row(index)
        segments: list[Segment] = []
        for column, value in zip(layout(width), _values(row), strict=True):
            if not column.width:
                continue
            cell_style = style
            if column.title == "proto":
                cell_style = style + BADGE_STYLES[row.protocol]
            elif column.title == "status" and (row.failed or value.startswith(("4", "5", "E"))):
                cell_style = style + ERROR
            elif column.title == "" and row.finding:
                cell_style = style + MARKED
            elif column.title == "time" and column.right and row.open:
                cell_style = style + OPEN
            segments.append(Segment(_cell(value, column), cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments)


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
