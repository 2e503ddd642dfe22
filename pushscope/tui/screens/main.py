"""The main screen: counts, the filter bar, the exchange table and the findings panel."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from pushscope.tui.filters import FilterError, parse_filter
from pushscope.tui.rows import safe
from pushscope.tui.traffic import Traffic, Update
from pushscope.tui.widgets.columns import ColumnTitles
from pushscope.tui.widgets.exchange_table import COLUMNS, ExchangeTable
from pushscope.tui.widgets.findings import FindingsPanel
from pushscope.tui.widgets.summary import TrafficSummary

FILTER_HINT = "filter: proto:ws host:api path:/x status:4xx finding:yes -proto:rest  (? for help)"


class FilterInput(Input):
    """The filter bar. Enter hands the keys back to the table at once, so that keys typed
    right behind it (a fast `enter enter`) reach the table, not the bar again."""

    async def action_submit(self) -> None:
        await super().action_submit()
        self.screen.set_focus(self.screen.query_one(ExchangeTable))


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("f", "findings", "Findings"),
        Binding("c", "conversation", "Conversation", show=False),
        Binding("m", "mark", "Mark", show=False),
        Binding("escape", "leave_filter", "Table", show=False),
    ]

    def __init__(self, traffic: Traffic, notice: list[str]) -> None:
        super().__init__()
        self.traffic = traffic
        self.notice = notice

    def compose(self) -> ComposeResult:
        yield TrafficSummary(id="summary")
        if self.notice:
            yield Static("\n".join(safe(line) for line in self.notice), id="notice", markup=False)
        yield FilterInput(placeholder=FILTER_HINT, id="filter")
        yield ColumnTitles(COLUMNS, classes="table-titles")
        yield ExchangeTable(self.traffic, id="exchanges")
        yield FindingsPanel(id="findings")
        yield Footer()

    @property
    def table(self) -> ExchangeTable:
        return self.query_one(ExchangeTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_traffic(Update(rows=True, findings=True, status=True), paused=False)

    def refresh_traffic(self, update: Update, paused: bool) -> None:
        """A batch was applied to `traffic`: redraw what it touched.

        Nothing to redraw before the screen runs (its `on_mount` draws everything) or once it
        has stopped: the app's batch timer outlives the screen's widgets while the app closes."""
        if not self.is_running:
            return
        if update.rows:
            self.table.rows_changed()
        if update.findings:
            panel = self.query_one(FindingsPanel)
            panel.show(self.traffic.findings_by_severity())
        if update.status:
            self.query_one(TrafficSummary).show(self.traffic, paused)

    # -- filter

    # Focus moves at once (Screen.set_focus), not after the queue as Widget.focus() does: keys
    # typed right behind `/` or enter must reach where the person expects them.

    def action_filter(self) -> None:
        self.set_focus(self.query_one("#filter", Input))

    def action_leave_filter(self) -> None:
        self.set_focus(self.table)

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        box = event.input
        try:
            new = parse_filter(event.value)
        except FilterError as e:
            box.border_subtitle = str(e)
            box.add_class("-bad-filter")
            return
        box.border_subtitle = ""
        box.remove_class("-bad-filter")
        if new.text != self.traffic.filter.text:
            self.traffic.set_filter(new)
            self.table.reset()
            shown = len(self.traffic.visible)
            box.border_title = f"{shown:,} of {len(self.traffic):,} shown" if new.text else ""

    def action_conversation(self) -> None:
        """The selected exchange's messages or events, as the conversation view."""
        if (exchange := self.table.exchange) is not None:
            self.app.show_conversation(exchange)  # type: ignore[attr-defined]

    def action_mark(self) -> None:
        """Mark the selected exchange (or unmark it): `marked:yes` filters the marked ones."""
        if (exchange := self.table.exchange) is not None:
            self.traffic.toggle_mark(exchange.id)
            self.table.rows_changed()

    # -- findings

    def action_findings(self) -> None:
        findings = self.query_one(FindingsPanel).findings_list
        if not self.traffic.findings:
            self.notify("No findings (yet).", timeout=3)
            return
        if findings.has_focus:
            self.table.focus()
        else:
            findings.focus()
