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

LIVE_REFRESH = 0.5
"""Seconds between redraws of an exchange that is still streaming."""


def _sections(sections: list[Section]) -> ComposeResult:
    for title, body in sections:
        section = Static(body, classes="section")
        section.border_title = title
        yield section


class ExchangeScreen(Screen[None]):
    """Why the exchange was classified so, its headers, and its messages, events or body."""

    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, exchange: Exchange, traffic: Traffic) -> None:
        super().__init__()
        self.exchange = exchange
        self.traffic = traffic

    def compose(self) -> ComposeResult:
        request = self.exchange.request
        yield Static(Text(safe(f"{request.method} {request.url}")), classes="title")
        with VerticalScroll(id="detail"):
            yield from _sections(exchange_sections(self.exchange))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail").focus()
        if self.exchange.id in self.traffic.open:
            self.set_interval(LIVE_REFRESH, self._live)

    async def _live(self) -> None:
        """Still streaming: show the messages and events that arrived since."""
        sections = exchange_sections(self.exchange)
        shown = list(self.query(".section").results(Static))
        if len(shown) != len(sections):
            detail = self.query_one("#detail")
            await detail.remove_children()
            await detail.mount_all(list(_sections(sections)))
        else:
            for widget, (title, body) in zip(shown, sections, strict=True):
                widget.border_title = title
                widget.update(body)


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
            self.app.push_screen(ExchangeScreen(self.exchanges[event.cursor_row], self.traffic))
