"""The exchange table: a virtual list that renders only the lines on screen (line API), so a
capture of a million exchanges scrolls and filters as fast as one of ten."""

from __future__ import annotations

from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from pushscope.inspector.model import Exchange, Protocol
from pushscope.tui.rows import BADGES, Row
from pushscope.tui.traffic import Traffic
from pushscope.tui.widgets.columns import Column, fit, row_strip
from pushscope.tui.widgets.virtual_list import VirtualList

BADGE_STYLES = {
    Protocol.REST: Style(color="black", bgcolor="grey70"),
    Protocol.SSE: Style(color="black", bgcolor="green3", bold=True),
    Protocol.WEBSOCKET: Style(color="white", bgcolor="medium_purple3", bold=True),
    Protocol.STREAM: Style(color="black", bgcolor="gold3", bold=True),
}
FINDING_MARK = "\u25c6"  # a diamond: this exchange belongs to a finding
USER_MARK = "\u25cf"  # a disc: the user marked this exchange (m), over the diamond
ERROR = Style(color="red3", bold=True)
MARKED = Style(color="orange1", bold=True)
OPEN = Style(color="green3", italic=True)


COLUMNS = (
    Column("", 1),
    Column("time", 12),
    Column("client", 15, hide_below=120),
    Column("method", 7),
    Column("host", 22, narrow=16),
    Column("path", 10, flex=True),
    Column("status", 6, right=True),
    Column("proto", 8),
    Column("size", 9, right=True, hide_below=96),
    Column("time", 8, right=True, hide_below=88),
    Column("msgs", 8, right=True),
)


def _values(row: Row) -> list[str]:
    return [
        USER_MARK if row.marked else FINDING_MARK if row.finding else " ",
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

        def accent(column: Column, value: str) -> Style | None:
            if column.title == "proto":
                return BADGE_STYLES[row.protocol]
            if column.title == "status" and (row.failed or value.startswith(("4", "5", "E"))):
                return ERROR
            if column.title == "" and (row.finding or row.marked):
                return MARKED
            if column.title == "time" and column.right and row.open:
                return OPEN
            return None

        return row_strip(fit(COLUMNS, width), _values(row), style, accent)
