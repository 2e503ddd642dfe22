"""Detail screens: one exchange, one finding. Both are read-only views of the model."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from inspector.findings import Finding
from inspector.model import Exchange
from inspector.report.summary import human_bytes
from tui.details import Section, brought_news, exchange_sections, finding_sections
from tui.rows import clock, safe
from tui.traffic import Traffic
from tui.widgets.document import Document

LIVE_REFRESH = 0.5
"""Seconds between redraws of an exchange that is still streaming."""


def _sections(sections: list[Section]) -> ComposeResult:
    for title, body in sections:
        section = Static(body, classes="section")
        section.border_title = title
        yield section


class ExchangeScreen(Screen[None]):
    """Why the exchange was classified so, its headers, and its messages, events or body.

    One instance is installed and shown again for each exchange: composing a screen and
    tearing it down costs more than the content itself."""

    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic
        self.exchange: Exchange | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="title")
        yield Document([], id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(LIVE_REFRESH, self._live)

    def show(self, exchange: Exchange) -> None:
        """Show `exchange` (call before the screen is pushed)."""
        self.exchange = exchange
        if self.is_mounted:
            self._fill()

    def on_screen_resume(self) -> None:
        self._fill()
        document = self.query_one(Document)
        document.scroll_home(animate=False, immediate=True)
        document.focus()

    def _fill(self) -> None:
        if self.exchange is not None:
            request = self.exchange.request
            self.query_one(".title", Static).update(Text(safe(f"{request.method} {request.url}")))
            self.query_one(Document).update(exchange_sections(self.exchange))

    def _live(self) -> None:
        """Still streaming: show the messages and events that arrived since."""
        if self.is_current and self.exchange is not None and self.exchange.id in self.traffic.open:
            self.query_one(Document).update(exchange_sections(self.exchange))


class FindingScreen(Screen[None]):
    """The finding's series on a time axis, its numbers, the advice, and its exchanges."""

    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, finding: Finding, traffic: Traffic) -> None:
        super().__init__()
        self.finding = finding
        self.traffic = traffic
        self.exchanges = [
            traffic.exchanges[traffic.position[i]]
            for i in finding.exchanges
            if i in traffic.position
        ]

    def compose(self) -> ComposeResult:
        yield Static(Text(safe(f"{self.finding.kind}: {self.finding.endpoint}")), classes="title")
        with VerticalScroll(id="detail"):
            yield from _sections(finding_sections(self.finding, self.exchanges))
            table: DataTable[Text] = DataTable(id="involved", cursor_type="row")
            table.border_title = "Exchanges involved (enter opens one)"
            yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#involved", DataTable)
        for title in ("time", "status", "size", "new?", "request"):
            table.add_column(title)
        news = brought_news(self.exchanges)
        for exchange, new in zip(self.exchanges, news, strict=True):
            response = exchange.response
            table.add_row(
                Text(clock(exchange.started)),
                Text(str(response.status) if response else "-"),
                Text(human_bytes(response.body_size) if response else ""),
                Text("new" if new else "same", style="green" if new else "dim"),
                Text(safe(f"{exchange.request.method} {exchange.request.url}")),
                key=exchange.id,
            )
        table.focus(scroll_visible=False)  # the series and the advice come first

    @on(DataTable.RowSelected, "#involved")
    def open_exchange(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.exchanges):
            self.app.show_exchange(self.exchanges[event.cursor_row])
