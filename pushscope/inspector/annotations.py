"""Short notes on exchanges as the analysis learns about them: what a proxy's flow list shows
beside each flow (`SSE · 14 events · ids`, `short-polling every 2.0 s -> sse`).

`Annotator` is an analyzer observer. It hands each exchange's note to `emit` whenever the
note's text changes, at most once per `interval` seconds per exchange while a stream flows
(the last change is never lost: it goes out when the interval ends, and at the close).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pushscope.inspector.analysis import Observer
from pushscope.inspector.feed import Schedule
from pushscope.inspector.findings import Finding, Severity
from pushscope.inspector.model import Exchange, Protocol, SseComment, SseEvent, WebSocketMessage

KINDS = ("sse", "websocket", "stream", "findings")
"""What can be annotated: the three kinds of push exchange, and exchanges with findings."""
MARKERS = {
    Protocol.SSE: ":satellite:",
    Protocol.WEBSOCKET: ":electric_plug:",
    Protocol.STREAM: ":ocean:",
}
POLLING_MARKER = ":repeat:"
ADVICE_MARKER = ":warning:"
PERIODIC_MARKER = ":timer_clock:"
"""Periodic traffic that is not polling (a beacon, a heartbeat): told, not warned about."""
"""Markers are mitmproxy's (emoji short codes it knows), so `~marker satellite` finds SSE."""
INTERVAL = 0.5
"""Seconds between two notes on one open stream."""


@dataclass(frozen=True, slots=True)
class Note:
    exchange_id: str
    marker: str
    comment: str
    findings: tuple[str, ...] = ()
    """Ids of the findings that involve the exchange."""


@dataclass(slots=True)
class _Noted:
    """What is known of one annotated exchange."""

    exchange: Exchange | None = None
    """A push exchange: its note's first part is made from it when the note goes out."""
    stream: str = ""
    marker: str = ""
    findings: dict[str, tuple[Severity, str, str, str]] = field(default_factory=dict)
    """By finding kind: severity, marker, text and the finding's id."""
    sent: str = ""
    due: bool = False
    """A change waits for the interval to end."""
    last: float = float("-inf")

    def note(self, exchange_id: str) -> Note:
        parts = [self.stream] if self.stream else []
        ranked = sorted(self.findings.values(), key=lambda f: -f[0])
        parts += [text for _, _, text, _ in ranked]
        marker = ranked[0][1] if ranked else self.marker
        return Note(exchange_id, marker, " | ".join(parts), tuple(f[3] for f in ranked))


class Annotator(Observer):
    """Notes on the push exchanges and on the exchanges findings involve."""

    def __init__(
        self,
        emit: Callable[[Note], None],
        kinds: Iterable[str] = KINDS,
        schedule: Schedule | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self.emit = emit
        self.kinds = frozenset(kinds)
        self.schedule = schedule
        self.clock = clock
        self.interval = interval
        self._noted: dict[str, _Noted] = {}
        """Kept past the close: a finding may name the exchange later, beside its own note."""
        self._finding_progress: dict[str, tuple[tuple[Severity, str | None] | None, str]] = {}
        """By finding id: its severity and recommendation, and the last exchange noted."""

    # -- streams

    def responded(self, exchange: Exchange) -> None:
        self._stream(exchange, final=False)

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        self._stream(exchange, final=False)

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        self._stream(exchange, final=False)

    def closed(self, exchange: Exchange) -> None:
        self._stream(exchange, final=True)

    def _stream(self, exchange: Exchange, final: bool) -> None:
        protocol = exchange.protocol
        if protocol not in MARKERS or protocol.value not in self.kinds:
            return
        noted = self._noted.get(exchange.id)
        if noted is None:
            noted = self._noted[exchange.id] = _Noted(exchange, marker=MARKERS[protocol])
        if not noted.due:  # else the note already waits, and will be made when it goes
            self._changed(exchange.id, noted, at_once=final)
        elif final:
            self._send(exchange.id, noted, self.clock())

    # -- findings

    def finding(self, finding: Finding) -> None:
        if "findings" not in self.kinds or not finding.exchanges:
            return
        text = finding_text(finding)
        advice = (finding.severity, finding.recommendation)
        exchanges = finding.exchanges
        previous, last = self._finding_progress.get(finding.id, (None, ""))
        # A series that grew with the same advice: only the exchanges after the last one noted
        # get a note (the period in the text may have moved a little; rewriting thousands of
        # notes for that would cost more than it tells). Other advice: all are told again. A
        # live finding covers the series' latest requests, so the list may also have slid.
        start = 0
        if previous == advice and last in exchanges:
            start = exchanges.index(last) + 1
        marker = (
            POLLING_MARKER
            if finding.kind.endswith("polling")
            else PERIODIC_MARKER
            if finding.role == "periodic"
            else ADVICE_MARKER
        )
        for exchange_id in exchanges[start:]:
            noted = self._noted.get(exchange_id)
            if noted is None:
                noted = self._noted[exchange_id] = _Noted()
            noted.findings[finding.kind] = (finding.severity, marker, text, finding.id)
            self._changed(exchange_id, noted, at_once=True)
        self._finding_progress[finding.id] = (advice, exchanges[-1])

    # -- emitting

    def _changed(self, exchange_id: str, noted: _Noted, at_once: bool) -> None:
        now = self.clock()
        if at_once or now - noted.last >= self.interval or self.schedule is None:
            self._send(exchange_id, noted, now)
        elif not noted.due:
            noted.due = True
            assert self.schedule is not None
            self.schedule(self.interval - (now - noted.last), lambda: self._due(exchange_id))

    def _due(self, exchange_id: str) -> None:
        noted = self._noted.get(exchange_id)
        if noted is not None and noted.due:
            self._send(exchange_id, noted, self.clock())

    def _send(self, exchange_id: str, noted: _Noted, now: float) -> None:
        noted.due = False
        if noted.exchange is not None:
            noted.stream = stream_text(noted.exchange)
        note = noted.note(exchange_id)
        if note.comment != noted.sent:
            noted.sent = note.comment
            noted.last = now
            self.emit(note)


def stream_text(exchange: Exchange) -> str:
    """`SSE · 14 events · ids`, `WS graphql-ws · 120 msgs`, `stream ndjson · 40 records`."""
    if exchange.sse is not None:
        sse = exchange.sse
        ids = "ids" if sse.ids else "no ids"
        return f"SSE · {sse.count} events · {ids}"
    if exchange.websocket is not None:
        ws = exchange.websocket
        name = exchange.framework or ws.handshake.subprotocol
        label = f"WS {name}" if name else "WS"
        text = f"{label} · {ws.counts.client + ws.counts.server} msgs"
        return text if ws.handshake.ok else f"{text} · handshake failed"
    if exchange.stream is not None:
        return f"stream {exchange.stream.kind} · {exchange.stream.records} records"
    return exchange.protocol.value


def finding_text(finding: Finding) -> str:
    """`short-polling every 2.0 s -> sse`, `websocket-one-way -> sse`."""
    text = finding.kind
    period = finding.stats.get("period_s")
    periodic = finding.kind.endswith("polling") or finding.role == "periodic"
    if periodic and isinstance(period, int | float) and period > 0:
        text += f" every {period:.1f} s" if period >= 1 else f" every {period * 1000:.0f} ms"
    if finding.recommendation:
        text += f" -> {finding.recommendation}"
    return text
