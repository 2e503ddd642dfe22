"""The conversation view: one WebSocket connection's messages or an SSE stream's events, a line
each, filtered, following the connection while it streams; `enter` opens one message whole."""

from __future__ import annotations

import time
from pathlib import Path

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

from pushscope.inspector.model import Exchange
from pushscope.inspector.report.summary import human_bytes
from pushscope.tui.conversation import (
    Conversation,
    FilterError,
    Item,
    MessageFilter,
    frame_facts,
    gap_text,
    jsonl_lines,
    offset,
    parse_message_filter,
    rate_strip,
)
from pushscope.tui.details import ARROWS, Section, hexdump, pretty
from pushscope.tui.rows import clock, safe
from pushscope.tui.traffic import Traffic
from pushscope.tui.widgets.document import Document
from pushscope.tui.widgets.exchange_table import USER_MARK
from pushscope.tui.widgets.keybar import KeyBar
from pushscope.tui.widgets.virtual_list import VirtualList

LIVE_REFRESH = 0.25
"""Seconds between looks for new messages on an open connection."""
SLICE = 0.015
"""Seconds work over every message runs before it lets a frame be drawn and keys be answered."""
SLICE_STEP = 64
"""Messages filtered between two looks at the clock."""
SLICE_PAUSE = 0.002
"""Seconds between two slices: the loop takes keys and draws frames there."""
IDLE = 0.5
"""Seconds without a cursor move before decoding ahead goes on."""
STATUS_EVERY = 0.25
"""Seconds between two updates of how far a filter got."""
CLIENT = Style(color="cyan", bold=True)
SERVER = Style(color="magenta", bold=True)
DIM = Style(dim=True)
MATCH = Style(bgcolor="yellow", color="black")


class MessageList(VirtualList):
    """The shown messages of a conversation; follows the newest while the cursor is on it.

    Work that reads every message runs in slices of `SLICE` seconds between frames, so keys are
    answered meanwhile: a filter (its matches shown as they are found, the status saying how
    far it got), and once it is done, decoding the messages not decoded yet (once each), so
    that the first filter that needs decoding finds most of it done."""

    def __init__(self, conversation: Conversation) -> None:
        super().__init__(id="messages")
        self.conversation = conversation
        self.shown: list[Item] = []
        self.message_filter = MessageFilter()
        self.following = True
        self.absolute = False
        """Times as the clock showed them, not as offsets from the connection's start."""
        self.filtered = 0
        """Messages of the conversation the filter has looked at so far."""
        self._slices: Timer | None = None
        self._told = 0.0
        self._moved = time.perf_counter()
        """When the cursor last moved (or the view opened): decoding ahead waits `IDLE`."""

    def row_count(self) -> int:
        return len(self.shown)

    @property
    def filtering(self) -> bool:
        return self.filtered < len(self.conversation.items)

    def apply(self, message_filter: MessageFilter) -> None:
        self.message_filter = message_filter
        self.shown = []
        self.filtered = 0
        self.reset()
        if message_filter.everything:
            self.shown = list(self.conversation.items)
            self.filtered = len(self.shown)
            self.rows_changed()
        self._work()

    def grow(self, new: int) -> None:
        self._work()  # the new messages, through the filter

    def _work(self) -> None:
        """One slice of filtering, or of decoding ahead once the filter is done."""
        if self._slices is not None:
            self._slices.stop()
        conversation, message_filter = self.conversation, self.message_filter
        items, shown, matches = conversation.items, self.shown, message_filter.matches
        deadline = time.perf_counter() + SLICE
        was_filtering, before = self.filtering, len(shown)
        done = self.filtered
        while done < len(items) and time.perf_counter() < deadline:
            end = min(len(items), done + SLICE_STEP)
            shown += [item for item in items[done:end] if matches(conversation, item)]
            done = end
        self.filtered = done
        now = time.perf_counter()
        if was_filtering:
            # Drawn when the matches found reach the screen, and at most every STATUS_EVERY
            # seconds otherwise: a frame costs more than a slice.
            bottom = int(self.scroll_offset.y) + self.container_size.height
            if not self.filtering or before < bottom or now - self._told > STATUS_EVERY:
                self._told = now
                self.rows_changed()
                if isinstance(self.screen, ConversationScreen):
                    self.screen.show_status()
        idle = now - self._moved > IDLE
        decoding = not self.filtering and (not idle or conversation.decode_ahead(deadline))
        pause = SLICE_PAUSE if self.filtering or idle else IDLE
        self._slices = self.set_timer(pause, self._work) if self.filtering or decoding else None

    def on_unmount(self) -> None:
        if self._slices is not None:
            self._slices.stop()

    @property
    def is_following(self) -> bool:
        """New messages will move the cursor: following is on and the cursor is on the last."""
        return self.following and self.cursor >= len(self.shown) - 1

    def on_mouse_scroll_up(self) -> None:
        self.following = False  # the user looks back: new messages must not pull the view

    def _move(self, index: int) -> None:
        self._moved = time.perf_counter()
        super()._move(index)

    def watch_cursor(self, cursor: int) -> None:
        super().watch_cursor(cursor)
        if isinstance(self.screen, ConversationScreen):
            self.screen.call_later(self.screen.show_status)

    def select(self, index: int) -> None:
        self.screen.open_message(self.shown[index])  # type: ignore[attr-defined]

    def render_row(self, index: int, width: int, style: Style) -> Strip:
        conversation = self.conversation
        item = self.shown[index]
        decoded = conversation.decode(item)
        mark = USER_MARK if item.marked else " "
        when = clock(item.timestamp) if self.absolute else offset(conversation, item)
        head = f"{mark}{when:>12} {gap_text(conversation.gap(item.index)):>7} "
        kind = item.kind + ("*" if item.compressed else "")
        segments = [
            Segment(head, style),
            Segment(
                ARROWS.get(item.direction, "?") + " ",
                style + (CLIENT if item.direction == "client" else SERVER),
            ),
            Segment(f"{safe(kind)[:8]:<8} {human_bytes(item.size):>8}  ", style),
        ]
        summary = Text(safe(decoded.summary)[: max(0, width)], style=style)
        if decoded.heartbeat:
            summary.stylize(DIM)
        for pattern in self.message_filter.highlights():
            summary.highlight_regex(pattern, MATCH)
        segments += list(summary.render(self.app.console))
        return Strip(segments)


class MessageScreen(Screen[None]):
    """One message whole: its frame fields, then pretty JSON, text, or hex with ASCII."""

    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, conversation: Conversation, item: Item) -> None:
        super().__init__()
        self.conversation, self.item = conversation, item

    def compose(self) -> ComposeResult:
        conversation, item = self.conversation, self.item
        decoded = conversation.decode(item)
        facts = Text()
        frame = frame_facts(conversation, item)
        known = {name for name, _ in frame}
        for name, value in [*frame, *((n, v) for n, v in decoded.fields if n not in known)]:
            facts.append(f"{safe(name):<16}", style="bold")
            facts.append(safe(value) + "\n")
        sections: list[Section] = [
            ("Frame", facts),
            (f"Decoded as {decoded.kind}", Text(safe(decoded.body, newlines=True))),
        ]
        if item.kind == "text" or item.sse is not None:  # the payload itself, JSON indented
            sections.append(("Payload", pretty(item.payload)))
        elif item.kind == "binary" and decoded.kind != "binary":  # a framework's binary packet
            sections.append(("Payload", hexdump(item.payload)))
        title = f"message {item.index + 1}: {decoded.summary}"
        yield Static(Text(safe(title)), classes="title")
        yield Document(sections, id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Document).focus()


class ConversationScreen(Screen[None]):
    """A connection's messages as a live list with a rate strip and a filter bar."""

    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("h", "heartbeats", "Heartbeats"),
        Binding("f", "follow", "Follow"),
        Binding("t", "time", "Time"),
        Binding("m", "mark", "Mark"),
        Binding("x", "export", "Export JSONL"),
    ]

    def __init__(
        self, exchange: Exchange, traffic: Traffic, export_dir: Path | None = None
    ) -> None:
        super().__init__()
        self.exchange = exchange
        self.traffic = traffic
        self.conversation = Conversation(exchange)
        self.hide_heartbeats = False
        self.filter_text = ""
        self.export_dir = export_dir or Path.cwd()
        self._rated = (-1, -1)
        """(messages, width) the rate strip was drawn for."""

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    def compose(self) -> ComposeResult:
        request = self.exchange.request
        yield Static(Text(safe(f"{request.method} {request.url}")), classes="title")
        yield Static(id="rates")
        yield Input(
            placeholder="dir:client type:text size:>1k $.type=msg /regex/ text", id="message-filter"
        )
        yield MessageList(self.conversation)
        yield Static(id="conversation-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#message-filter", Input).display = False
        self.messages.apply(MessageFilter())
        self.messages.focus()
        self.show_status()
        self.set_interval(LIVE_REFRESH, self._live)

    def on_resize(self) -> None:
        self.show_status()

    def show_status(self) -> None:
        """The status line, and the rate strip when there are new messages or a new width (it
        reads every message: not redrawn for a cursor move)."""
        width = max(8, (self.size.width - 30) // 2)
        if self._rated != (len(self.conversation.items), width):
            self._rated = (len(self.conversation.items), width)
            client, server, peak = rate_strip(self.conversation, width)
            rates = Text(no_wrap=True, overflow="ellipsis")
            rates.append("\u2192 ", style=CLIENT)
            rates.append(client)
            rates.append("  \u2190 ", style=SERVER)
            rates.append(server)
            rates.append(f"  peak {peak:.1f}/s", style=DIM)
            self.query_one("#rates", Static).update(rates)
        messages = self.messages
        shown, total = len(messages.shown), len(self.conversation.items)
        state = "following" if messages.is_following else "not following (f follows)"
        hidden = "  heartbeats hidden" if self.hide_heartbeats else ""
        live = "open" if self.exchange.id in self.traffic.open else "closed"
        times = "time: clock (t: offset)" if messages.absolute else "time: offset (t: clock)"
        line = f"{shown:,} of {total:,} messages  {live}  {state}{hidden}  {times}"
        if messages.filtering:
            line += f"  filtering: {messages.filtered * 100 // max(1, total)}%"
        status = Text(line, style="dim")
        if not_kept := self.conversation.not_kept():
            status.append(f"\n{not_kept}", style="bold yellow")
        self.query_one("#conversation-status", Static).update(status)

    def _live(self) -> None:
        new = self.conversation.refresh()
        if new:
            self.messages.grow(new)
            self.show_status()

    def open_message(self, item: Item) -> None:
        self.app.push_screen(MessageScreen(self.conversation, item))

    # -- following: on while the cursor is on the last line

    def action_follow(self) -> None:
        self.messages.following = True
        self.messages.action_jump(-1)
        self.show_status()

    def action_time(self) -> None:
        """Times as the clock showed them, or as offsets from the connection's start."""
        self.messages.absolute = not self.messages.absolute
        self.messages.refresh()
        self.show_status()

    def action_mark(self) -> None:
        """Mark the message under the cursor (or unmark it): `marked:yes` filters them."""
        messages = self.messages
        if 0 <= messages.cursor < len(messages.shown):
            item = messages.shown[messages.cursor]
            item.marked = not item.marked
            messages.refresh()

    def action_heartbeats(self) -> None:
        self.hide_heartbeats = not self.hide_heartbeats
        self._refilter()

    def action_filter(self) -> None:
        box = self.query_one("#message-filter", Input)
        box.display = True
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#message-filter", Input)
        if box.has_focus:
            box.display = False
            self.messages.focus()
        else:
            self.app.pop_screen()

    @on(Input.Changed, "#message-filter")
    def _typed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refilter()

    @on(Input.Submitted, "#message-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        self.messages.focus()

    def _refilter(self) -> None:
        try:
            message_filter = parse_message_filter(self.filter_text, self.hide_heartbeats)
        except FilterError as error:
            self.query_one("#conversation-status", Static).update(Text(str(error), style="red"))
            return
        self.messages.apply(message_filter)
        self.show_status()

    def action_export(self) -> None:
        path = self.export_dir / f"pushscope-messages-{self.exchange.id}.jsonl"
        path = path.with_name(safe(path.name).replace("/", "_").replace(" ", "_"))
        try:
            with open(path, "w", encoding="utf-8") as out:
                for line in jsonl_lines(self.conversation, self.messages.shown):
                    out.write(line + "\n")
        except OSError as error:
            self.notify(
                f"cannot write {path}: {error.strerror or error}", severity="error", markup=False
            )
            return
        self.notify(f"wrote {len(self.messages.shown)} messages to {path}", markup=False)
