"""The pushscope viewer: a Textual app over one traffic source (captures, a followed feed,
the embedded proxy, or the demo)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from pushscope.inspector.model import Exchange
from pushscope.inspector.report import Report
from pushscope.tui.screens.conversation import ConversationScreen
from pushscope.tui.screens.detail import ExchangeScreen, FindingScreen
from pushscope.tui.screens.dialogs import ExportScreen, HelpScreen, export_format
from pushscope.tui.screens.main import MainScreen
from pushscope.tui.sources import TrafficSource
from pushscope.tui.store import Connections
from pushscope.tui.traffic import Traffic
from pushscope.tui.widgets.exchange_table import ExchangeTable
from pushscope.tui.widgets.findings import FindingsList

BATCH_INTERVAL = 0.05
"""Seconds between batches: what arrived meanwhile is drawn at once."""
SLICE = 0.006
"""Seconds of capture reading between two chances for keys and frames."""
REST = 0.002
"""Seconds the loop is left to itself after each slice: enough for a key press to go all the
way through its handlers (a turn each) and for a frame."""
SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005)."""


class PushscopeApp(App[None]):
    CSS_PATH = "pushscope.tcss"
    TITLE = "pushscope"
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("e", "export", "Export"),
        Binding("p", "pause", "Pause"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, source: TrafficSource, export_to: Path | None = None) -> None:
        super().__init__()
        self.source = source
        self.traffic = Traffic()
        self.export_to = export_to or Path.cwd() / "pushscope-report.json"
        self.paused = False
        self.main = MainScreen(self.traffic, source.notice)
        self.exchange_screen = ExchangeScreen(self.traffic)
        self._connections = Connections()
        self._switch_interval: float | None = None
        """Python's switch interval before the app changed it (None: unchanged)."""

    def get_default_screen(self) -> Screen[None]:
        return self.main

    def on_mount(self) -> None:
        # A live analyzer runs on another thread (the proxy, a followed feed). With the default
        # 5 ms switch interval, every turn of this loop that waits for the GIL behind it can
        # cost 5 ms, and a key press takes dozens of turns: a short interval keeps keys fast.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.install_screen(self.exchange_screen, "exchange")
        self.sub_title = self.source.title
        steps = self.source.steps()
        if steps is None:
            self.source.start()
        else:
            self.run_worker(self._drive(steps), group="source", exit_on_error=True)
        self.set_interval(BATCH_INTERVAL, self.take_batch)

    def on_unmount(self) -> None:
        # Also runs when the app failed before it mounted (a stylesheet it could not read).
        self.source.stop()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)

    async def _drive(self, steps: Iterator[None]) -> None:
        """Run a source's steps in slices of `SLICE` seconds, keys and frames in between.

        Reading a capture on a thread would make every turn of this loop wait for the GIL
        behind it: a key press takes dozens of turns."""
        deadline = time.perf_counter() + SLICE
        for _ in steps:
            if time.perf_counter() >= deadline:
                await asyncio.sleep(REST)
                deadline = time.perf_counter() + SLICE

    def take_batch(self) -> None:
        """Apply what the source found since the last batch and redraw what it touched."""
        store = self.source.store
        batch = store.take()
        connections = store.connections
        if not batch and connections == self._connections:
            return
        update = self.traffic.apply(batch, connections)
        self._connections = self.traffic.connections
        self.main.refresh_traffic(update, self.paused)

    # -- navigation

    @on(ExchangeTable.Selected)
    def open_exchange(self, event: ExchangeTable.Selected) -> None:
        self.show_exchange(event.exchange)

    def show_exchange(self, exchange: Exchange) -> None:
        self.exchange_screen.show(exchange)
        self.push_screen(self.exchange_screen)

    def show_conversation(self, exchange: Exchange) -> None:
        """A WebSocket's messages or an SSE stream's events as a live, filterable list."""
        if exchange.websocket is None and exchange.sse is None:
            self.notify("No messages or events: a conversation is a WebSocket or an SSE stream.")
            return
        self.push_screen(ConversationScreen(exchange, self.traffic))

    @on(FindingsList.Chosen)
    def open_finding(self, event: FindingsList.Chosen) -> None:
        self.push_screen(FindingScreen(event.finding, self.traffic))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.main.table.following = not self.paused
        self.main.refresh_traffic(self.traffic.apply(self.source.store.take()), self.paused)
        self.notify("Paused: the table stays put." if self.paused else "Following new traffic.")

    # -- export

    def action_export(self) -> None:
        self.push_screen(ExportScreen(self.export_to), self._export_chosen)

    def _export_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.export_to = path
            report = self.source.report()
            report.marked = sorted(self.traffic.marked)
            self.write_report(path, report)

    @work(thread=True, exclusive=True, group="export")
    def write_report(self, path: Path, report: Report) -> None:
        fmt = export_format(path)
        try:
            with open(path, "w", encoding="utf-8") as out:
                if fmt == "markdown":
                    from pushscope.inspector.report.markdown import render_markdown

                    out.write(render_markdown(report))
                else:
                    from pushscope.inspector.report.json_report import write_json

                    write_json(report, out)
        except OSError as e:
            self.notify(f"cannot write {path}: {e.strerror or e}", severity="error", markup=False)
            return
        self.notify(f"wrote the {fmt} report to {path}", markup=False)

    # -- command palette

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Filter", "Filter the exchange table", self.main.action_filter)
        yield SystemCommand("Findings", "Show the findings panel", self.main.action_findings)
        yield SystemCommand(
            "Export report", "Write the report as JSON or Markdown", self.action_export
        )
        yield SystemCommand(
            "Pause / follow", "Pause or resume following new traffic", self.action_pause
        )
        yield SystemCommand("Help", "Keys and the filter language", self.action_help)
