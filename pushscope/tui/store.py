"""Hands what the analyzer learns, on whatever thread it runs, to the UI in batches (no Textual).

The analyzer calls the `Observer` methods on its own thread (a capture reader, the embedded
proxy): each only notes what changed, under a lock. The UI takes everything noted since its
last look with `take()`, about every 50 ms, so a flood of messages costs one redraw per batch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pushscope.inspector.analysis import Observer
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, Protocol, SseComment, SseEvent, WebSocketMessage


@dataclass(slots=True)
class Batch:
    """What happened since the last batch."""

    new: list[Exchange] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    """Ids of exchanges that changed (new ones may be among them)."""
    findings: dict[str, Finding] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    messages: int = 0
    events: int = 0
    status: str | None = None
    """A new status line from the source (progress, problems, done)."""
    finished: bool = False
    """The source is complete (a capture fully read): every exchange may have changed."""

    def __bool__(self) -> bool:
        return bool(
            self.new or self.changed or self.findings or self.status is not None or self.finished
        )


@dataclass(slots=True)
class Connections:
    """Open WebSocket and SSE connections now, and the most seen open at once."""

    websocket: int = 0
    sse: int = 0
    peak_websocket: int = 0
    peak_sse: int = 0


class TrafficStore(Observer):
    """Collects analyzer callbacks from any thread; `take()` hands them over in one batch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batch = Batch()
        self._streaming: dict[str, Protocol] = {}
        self.connections = Connections()

    def take(self) -> Batch:
        with self._lock:
            batch, self._batch = self._batch, Batch()
        return batch

    def status(self, text: str) -> None:
        with self._lock:
            self._batch.status = text

    def finished(self, findings: list[Finding]) -> None:
        """The source is done; `findings` are the final ones (the analyzer's `finish()`)."""
        with self._lock:
            for finding in findings:
                self._batch.findings[finding.id] = finding
            self._batch.finished = True

    # -- Observer, on the analyzer's thread

    def opened(self, exchange: Exchange) -> None:
        with self._lock:
            self._batch.new.append(exchange)

    def responded(self, exchange: Exchange) -> None:
        with self._lock:
            self._batch.changed.add(exchange.id)
            protocol = exchange.protocol
            if protocol is Protocol.SSE or (
                protocol is Protocol.WEBSOCKET
                and exchange.response is not None
                and exchange.response.status == 101
            ):
                self._streaming[exchange.id] = protocol
                self._count(protocol, +1)

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        with self._lock:
            self._batch.changed.add(exchange.id)
            self._batch.events += 1

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        with self._lock:
            self._batch.changed.add(exchange.id)
            self._batch.messages += 1

    def closed(self, exchange: Exchange) -> None:
        with self._lock:
            self._batch.changed.add(exchange.id)
            self._batch.closed.add(exchange.id)
            protocol = self._streaming.pop(exchange.id, None)
            if protocol is not None:
                self._count(protocol, -1)

    def finding(self, finding: Finding) -> None:
        with self._lock:
            self._batch.findings[finding.id] = finding

    def _count(self, protocol: Protocol, step: int) -> None:
        now = self.connections
        if protocol is Protocol.SSE:
            now.sse += step
            now.peak_sse = max(now.peak_sse, now.sse)
        else:
            now.websocket += step
            now.peak_websocket = max(now.peak_websocket, now.websocket)
