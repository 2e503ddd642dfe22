"""Detail screens: one exchange, one finding. Both are read-only views of the model."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static

from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Protocol
from pushscope.inspector.report.summary import human_bytes
from pushscope.tui.curl import curl_command
from pushscope.tui.details import Section, exchange_sections, finding_sections, series_news
from pushscope.tui.rows import clock, safe
from pushscope.tui.traffic import Traffic
from pushscope.tui.widgets.document import Document
from pushscope.tui.widgets.keybar import KeyBar
from pushscope.tui.widgets.virtual_list import VirtualList

NEW = Style(color="green3", bold=True)
SAME = Style(dim=True)
NEWS = {True: "new ", False: "same", None: "    "}
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

    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back"),
        Binding("c", "conversation", "Conversation"),
        Binding("y", "curl", "curl"),
    ]

    def __init__(self, traffic: Traffic) -> None:
        super().__init__()
        self.traffic = traffic
        self.exchange: Exchange | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="title")
        yield Document([], id="detail")
        yield KeyBar()

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

    def action_conversation(self) -> None:
        """A WebSocket's messages or an SSE stream's events as a live, filterable list."""
        if self.exchange is not None:
            self.app.show_conversation(self.exchange)  # type: ignore[attr-defined]

    def action_curl(self) -> None:
        """The request as a `curl` line: to the clipboard (OSC 52, where the terminal allows)
        and to a file beside the report."""
        exchange = self.exchange
        if exchange is None or exchange.protocol is Protocol.WEBSOCKET:
            self.notify("curl repeats REST and SSE requests, not a WebSocket")
            return
        line = curl_command(exchange)
        self.app.copy_to_clipboard(line)
        path = self.app.export_to.with_name(f"pushscope-curl-{exchange.id}.sh")  # type: ignore[attr-defined]
        path = path.with_name(safe(path.name).replace("/", "_").replace(" ", "_"))
        try:
            path.write_text(line + "\n", encoding="utf-8")
        except OSError as error:
            self.notify(
                f"cannot write {path}: {error.strerror or error}", severity="error", markup=False
            )
            return
        self.notify(f"curl command copied and written to {path}", markup=False)

    def _live(self) -> None:
        """Still streaming: show the messages and events that arrived since."""
        if self.is_current and self.exchange is not None and self.exchange.id in self.traffic.open:
            self.query_one(Document).update(exchange_sections(self.exchange))


class InvolvedList(VirtualList):
    """The exchanges of a finding: time, status, size, whether the answer was new."""

    class Chosen(Message):
        def __init__(self, exchange: Exchange) -> None:
            super().__init__()
            self.exchange = exchange

    def __init__(self, exchanges: list[Exchange], news: list[bool] | None) -> None:
        super().__init__(id="involved")
        self.exchanges = exchanges
        self.news = news

    def row_count(self) -> int:
        return len(self.exchanges)

    def select(self, index: int) -> None:
        self.post_message(self.Chosen(self.exchanges[index]))

    def render_row(self, index: int, width: int, style: Style) -> Strip:
        exchange = self.exchanges[index]
        new = self.news[index] if self.news is not None else None
        response = exchange.response
        status = str(response.status) if response else "-"
        size = human_bytes(response.body_size) if response else ""
        request = safe(f"{exchange.request.method} {exchange.request.url}")
        return Strip(
            [
                Segment(f"{clock(exchange.started):<13}{status:>6} {size:>9}  ", style),
                Segment(
                    {True: "new ", False: "same", None: ""}[new], style + (NEW if new else SAME)
                ),
                Segment(f"  {request}", style),
            ]
        )


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
            involved = InvolvedList(self.exchanges, series_news(self.finding, self.exchanges))
            involved.border_title = "Exchanges involved (enter opens one)"
            yield involved
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(InvolvedList).focus(scroll_visible=False)  # the series and advice first

    @on(InvolvedList.Chosen)
    def open_exchange(self, event: InvolvedList.Chosen) -> None:
        self.app.show_exchange(event.exchange)  # type: ignore[attr-defined]
