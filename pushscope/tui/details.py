"""What the detail screens show, as Rich renderables (no Textual): an exchange with its
evidence, headers, handshake, messages, events or body; a finding's series on a time axis.

Everything from the network goes through `Text(...)` (never markup) and `safe()`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from pushscope.inspector import decoders
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Headers, Opcode, Protocol
from pushscope.inspector.report.summary import finding_facts, human_bytes, seconds
from pushscope.tui.conversation import KINDS
from pushscope.tui.rows import BADGES, clock, safe

PRETTY_LIMIT = 64 << 10
"""Bodies and payloads longer than this are shown as they are, not pretty-printed."""
HEX_BYTES = 96
DETAIL_MESSAGES = 50
"""Messages or events the exchange detail lists in full; the conversation view (`c`) has all."""
ARROWS = {"client": "\u2192", "server": "\u2190"}  # client -> server, server -> client

Section = tuple[str, RenderableType]


def pretty(data: bytes, content_type: str = "") -> Text:
    """A payload for people: JSON indented, text as text, anything else as hex."""
    if not data:
        return Text("(empty)", style="dim")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return hexdump(data)
    stripped = text.lstrip()
    if len(data) <= PRETTY_LIMIT and (stripped[:1] in ("{", "[") or "json" in content_type):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return Text(safe(text, newlines=True))


def hexdump(data: bytes) -> Text:
    return Text(decoders.hexdump(data, HEX_BYTES), style="cyan")


def _facts(pairs: Iterable[tuple[str, Any]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in pairs:
        if value not in (None, "", [], {}):
            table.add_row(name, value if isinstance(value, Text) else Text(safe(str(value))))
    return table


def _headers(headers: Headers) -> RenderableType:
    if not headers:
        return Text("(not recorded)", style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for name, value in headers:
        table.add_row(Text(safe(name) + ":"), Text(safe(value)))
    return table


def exchange_sections(exchange: Exchange) -> list[Section]:
    """The exchange detail, section by section."""
    request, response = exchange.request, exchange.response
    badge = Text(f" {BADGES[exchange.protocol]} ", style="bold reverse")
    duration = (
        seconds(max(0.0, exchange.ended - exchange.started))
        if exchange.ended and exchange.started
        else "still open"
    )
    # A WebSocket's bytes are its messages' payloads, each way; the handshake has no body.
    sent: int = request.body_size
    received: int | None = response.body_size if response else None
    if exchange.websocket is not None:
        sent += exchange.websocket.bytes.client
        received = (received or 0) + exchange.websocket.bytes.server
    overview = _facts(
        [
            ("request", Text(safe(f"{request.method} {request.url}"))),
            ("status", f"{response.status} {response.reason}" if response else "no response"),
            ("protocol", badge + Text(f"  {exchange.framework or ''}")),
            ("client", exchange.client),
            ("server", exchange.server),
            ("TLS server name", exchange.tls_sni),
            ("HTTP", request.http_version),
            ("started", clock(exchange.started)),
            ("duration", duration),
            ("sent", human_bytes(sent)),
            ("received", human_bytes(received) if received is not None else None),
            ("part of", exchange.role),
            ("error", Text(safe(exchange.error), style="red") if exchange.error else None),
        ]
    )
    evidence = Text("\n".join(f"\u2022 {safe(line)}" for line in exchange.evidence) or "(none)")
    sections: list[Section] = [
        ("Exchange", overview),
        (f"Why {exchange.protocol.value}", evidence),
    ]
    if exchange.websocket is not None:
        sections += _websocket(exchange)
    if exchange.sse is not None:
        sections.append(_sse(exchange))
    if exchange.stream is not None:
        stream = exchange.stream
        sections.append(
            (
                "Stream",
                _facts(
                    [("kind", stream.kind), ("records", stream.records), ("bytes", stream.bytes)]
                ),
            )
        )
    sections.append(("Request headers", _headers(request.headers)))
    if request.body:
        sections.append(("Request body", pretty(request.body)))
    if response is not None:
        sections.append(("Response headers", _headers(response.headers)))
        if exchange.protocol is Protocol.REST or exchange.protocol is Protocol.STREAM:
            content_type = next((v for k, v in response.headers if k.lower() == "content-type"), "")
            body = pretty(response.body, content_type) if response.body else None
            if body is None and response.body_size:
                body = Text(f"({human_bytes(response.body_size)}, not kept)", style="dim")
            sections.append(("Response body", body or Text("(empty)", style="dim")))
    return sections


def _websocket(exchange: Exchange) -> list[Section]:
    session = exchange.websocket
    assert session is not None
    shake = session.handshake
    if shake.ok:
        verdict = Text("\u2713 valid RFC 6455 handshake", style="bold green")
    else:
        verdict = Text(f"\u2717 failed: {safe(shake.reason or 'unknown')}", style="bold red")
    accept = (
        "Sec-WebSocket-Accept matches Sec-WebSocket-Key (RFC 6455 section 4.2.2)"
        if shake.accept_checked
        else "not checked (no Sec-WebSocket-Accept or key)"
    )
    extensions = ", ".join(shake.extensions)
    if any(e.startswith("permessage-deflate") for e in shake.extensions):
        extensions += "  (messages are compressed on the wire; sizes are as sent)"
    handshake = _facts(
        [
            ("handshake", verdict),
            ("accept", accept),
            ("subprotocol", shake.subprotocol),
            ("extensions", extensions),
            ("client sent", f"{session.counts.client} msgs, {human_bytes(session.bytes.client)}"),
            ("server sent", f"{session.counts.server} msgs, {human_bytes(session.bytes.server)}"),
            ("control frames", session.control_frames),
            (
                "closed",
                f"{session.close_code or ''} {session.close_reason or ''} by {session.closed_by}"
                if session.closed_by
                else None,
            ),
        ]
    )
    total = session.counts.client + session.counts.server + session.control_frames
    title = f"Messages ({len(session.messages)} of {total} shown)"
    if not session.messages:
        return [("WebSocket", handshake), (title, Text("(none kept)", style="dim"))]
    timeline = Text(no_wrap=True, overflow="ellipsis")
    legend = "\u2192 client to server   \u2190 server to client"
    if any(message.compressed for message in session.messages):
        legend += "   * compressed on the wire (permessage-deflate)"
    timeline.append(legend + "\n", style="dim")
    shown = zip(session.messages[:DETAIL_MESSAGES], session.previews, strict=False)
    for message, preview in shown:
        kind = KINDS.get(message.opcode, str(message.opcode))
        if message.compressed:
            kind += "*"
        style = "cyan" if message.direction == "client" else "magenta"
        timeline.append(f"{ARROWS.get(message.direction, '?')} ", style=f"bold {style}")
        timeline.append(
            f"{_offset(message.timestamp, exchange.started):>9} {kind:<7}"
            f"{human_bytes(message.size):>9}  "
        )
        decoded = decoders.decode_message(
            preview, message.opcode, exchange.framework, shake.subprotocol
        )
        if decoded.framework:  # a framework's packet: what it is, then its fields and data
            timeline.append(decoded.summary + "\n", style="dim" if decoded.heartbeat else "")
            timeline.append(" " * PAYLOAD_INDENT)
            _indented(timeline, Text(decoded.body))
        elif message.opcode == Opcode.TEXT:
            _indented(timeline, pretty(preview))
        elif preview:
            _indented(timeline, hexdump(preview))
        else:
            timeline.append("\n")
    if len(session.messages) > DETAIL_MESSAGES:
        more = len(session.messages) - DETAIL_MESSAGES
        timeline.append(f"... {more} more kept: c opens the conversation view\n", style="dim")
    return [("WebSocket", handshake), (title, timeline)]


def _offset(timestamp: float | None, start: float) -> str:
    return f"+{timestamp - start:.3f}s" if timestamp and start else ""


PAYLOAD_INDENT = 30
"""Where a message's payload starts: after its arrow, time, type and size."""


def _indented(out: Text, payload: Text, indent: int = PAYLOAD_INDENT) -> None:
    """Append `payload` to `out`, its continuation lines under its first."""
    for n, line in enumerate(payload.split("\n", allow_blank=True)):
        if n:
            out.append(" " * indent)
        out.append_text(line)
        out.append("\n")


def _sse(exchange: Exchange) -> Section:
    stream = exchange.sse
    assert stream is not None
    facts = _facts(
        [
            ("events", stream.count),
            ("with id", stream.ids),
            ("comments (heartbeats)", stream.comments),
            ("retry", f"{stream.retry_ms} ms" if stream.retry_ms is not None else None),
            (
                "errors",
                Text(safe("; ".join(stream.errors)), style="red") if stream.errors else None,
            ),
        ]
    )
    events = Text(no_wrap=True, overflow="ellipsis")
    for event in stream.events[:DETAIL_MESSAGES]:
        events.append(f"{_offset(event.timestamp, exchange.started):>9} ")
        events.append(f"{safe(event.id) if event.had_id else '':<8.8} ", style="cyan")
        events.append(f"{safe(event.type):<10.10} ", style="bold")
        _indented(events, pretty(event.data.encode("utf-8", "replace")), indent=30)
    if len(stream.events) > DETAIL_MESSAGES:
        more = len(stream.events) - DETAIL_MESSAGES
        events.append(f"... {more} more kept: c opens the conversation view\n", style="dim")
    title = f"SSE events ({len(stream.events)} of {stream.count} shown)"
    return (title, Group(facts, Text(""), events))


# -- findings


def brought_news(exchanges: list[Exchange]) -> list[bool]:
    """For each request of a polling series: did its answer bring anything new?"""
    news: list[bool] = []
    last: str | None = None
    for exchange in exchanges:
        response = exchange.response
        if response is None or response.status in (204, 304) or response.body_size == 0:
            news.append(False)
            continue
        digest = response.body_digest
        news.append(digest is None or digest != last)
        last = digest
    return news


POLLING = frozenset({"short-polling", "long-polling"})


def series_news(finding: Finding, exchanges: list[Exchange]) -> list[bool] | None:
    """`brought_news` for a polling finding; None for others (no answers to compare)."""
    return brought_news(exchanges) if finding.kind in POLLING else None


class SeriesAxis:
    """The exchanges of a finding on a time axis, drawn to the width it is given. For polling,
    a filled mark brought something new and a hollow one did not."""

    def __init__(self, exchanges: list[Exchange], news: list[bool] | None) -> None:
        self.news = news is not None
        marks = news if news is not None else [True] * len(exchanges)
        self.points = [(e.started, new) for e, new in zip(exchanges, marks, strict=True)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(20, options.max_width - 2)
        if not self.points:
            yield Text("(no exchanges kept)", style="dim")
            return
        start = min(t for t, _ in self.points)
        span = max(t for t, _ in self.points) - start or 1.0
        cells: list[str | None] = [None] * width
        for at, new in self.points:
            x = min(width - 1, int((at - start) / span * (width - 1)))
            if cells[x] != "new":  # one new answer in a cell is what matters
                cells[x] = "new" if new else "same"
        line = Text()
        for cell in cells:
            if cell == "new":
                line.append("\u25cf", style="bold green" if self.news else "bold cyan")
            elif cell == "same":
                line.append("\u25cb", style="grey62")
            else:
                line.append("\u2500", style="grey35")
        yield line
        left, right = clock(start), f"+{seconds(span)}"
        yield Text(left + " " * max(1, width - len(left) - len(right)) + right, style="dim")
        if self.news:
            yield Text("\u25cf brought something new   \u25cb nothing new (same body, 304, 204)")
        else:
            yield Text("\u25cf an exchange", style="dim")


def finding_sections(finding: Finding, exchanges: list[Exchange]) -> list[Section]:
    impact = finding.impact or {}
    flat_impact = [
        (name.replace("_", " "), value)
        for name, value in impact.items()
        if not isinstance(value, dict)
    ]
    after = impact.get("after_push") or {}
    sections: list[Section] = [
        (
            "Finding",
            _facts(
                [
                    ("kind", finding.kind),
                    ("severity", finding.severity.label),
                    ("endpoint", finding.endpoint),
                    ("client", finding.client),
                    ("in short", finding_facts(finding)),
                ]
            ),
        ),
        (
            f"Series ({len(exchanges)} exchanges kept)",
            SeriesAxis(exchanges, series_news(finding, exchanges)),
        ),
        (
            "Recommendation",
            Group(
                Text(
                    f"switch to {finding.recommendation}"
                    if finding.recommendation
                    else "no switch recommended",
                    style="bold",
                ),
                Text(safe(finding.rationale, newlines=True)),
            ),
        ),
        ("Statistics", _facts(finding.stats.items())),
    ]
    if flat_impact:
        pairs = flat_impact + [(f"after push: {k.replace('_', ' ')}", v) for k, v in after.items()]
        sections.append(("Impact per hour", _facts(pairs)))
    if finding.evidence:
        sections.append(
            ("Evidence", Text("\n".join(f"\u2022 {safe(line)}" for line in finding.evidence)))
        )
    return sections
