"""pushscope's content view for mitmproxy (mitmweb, the console): an SSE body as its events,
a WebSocket message decoded by its framework, and where a flow sits in a polling series.

The parsing and decoding live in the core (`inspector.sse`, `inspector.decoders`, which the
viewer's detail screen uses too); this module only finds what mitmproxy hands a view and lays
it out as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mitmproxy import contentviews, http
from mitmproxy.contentviews import Contentview, Metadata
from mitmproxy.websocket import WebSocketMessage

from pushscope.inspector.decoders import Decoded, decode_message, decode_sse
from pushscope.inspector.model import Opcode, SseEvent
from pushscope.inspector.report.summary import seconds
from pushscope.inspector.sse import SseParser

if TYPE_CHECKING:
    from pushscope.addons.live import Pushscope

NAME = "pushscope"
MAX_EVENTS = 5000
"""SSE events shown; the rest are counted."""
CHUNKS_KEY = "pushscope_chunks"
"""`flow.metadata` key: [offset, time] where each piece of a streamed SSE body began."""


class PushscopeView(Contentview):
    def __init__(self, addon: Pushscope) -> None:
        self.addon = addon

    @property
    def name(self) -> str:
        return NAME

    def render_priority(self, data: bytes, metadata: Metadata) -> float:
        message = metadata.websocket_message
        if message is not None:
            return 1.5 if _decoded(message, metadata).framework else 0.1
        if _is_event_stream(metadata):
            return 2.0
        return 1.5 if self._series(metadata.flow) else 0.0

    def prettify(self, data: bytes, metadata: Metadata) -> str:
        message = metadata.websocket_message
        if message is not None:
            side = "client -> server" if message.from_client else "server -> client"
            decoded = _decoded(message, metadata)
            return f"{side} · {len(message.content)} B · {decoded.summary}\n\n{decoded.body}"
        parts = [self._series_text(metadata.flow)] if self._series(metadata.flow) else []
        if _is_event_stream(metadata):
            parts.append(sse_text(data, _chunks(metadata.flow)))
        elif data:
            parts.append(_body(data))
        return "\n\n".join(parts)

    def _series(self, flow: Any) -> list[tuple[dict[str, Any], int, int]]:
        """(finding summary, position, size) of each series `flow` is part of."""
        if flow is None:
            return []
        found = []
        for finding_id, members in self.addon.series.items():
            if flow.id in members and finding_id in self.addon.findings:
                position = list(members).index(flow.id) + 1
                found.append((self.addon.findings[finding_id], position, len(members)))
        return found

    def _series_text(self, flow: Any) -> str:
        lines = []
        for summary, position, size in self._series(flow):
            stats = summary.get("stats") or {}
            advice = f" -> {summary['recommendation']}" if summary.get("recommendation") else ""
            lines.append(f"pushscope: {summary['severity']} {summary['kind']}{advice}")
            facts = [f"request {position} of {size} in this series"]
            if isinstance(stats.get("period_s"), int | float):
                facts.append(f"every {seconds(stats['period_s'])}")
            if isinstance(stats.get("unchanged_ratio"), int | float):
                facts.append(f"{stats['unchanged_ratio']:.0%} of answers brought nothing new")
            lines.append(", ".join(facts))
            lines.append(str(summary.get("rationale", "")))
        return "\n".join(lines)


def sse_text(body: bytes, chunks: list[tuple[int, float]]) -> str:
    """The events of an SSE body, each with its time from the first chunk when known."""
    parser = SseParser()
    items = []
    start = chunks[0][1] if chunks else None
    bounds = [*chunks[1:], (len(body), 0.0)] if chunks else [(len(body), 0.0)]
    offset = 0
    at = start
    for end, next_at in bounds:
        items += parser.feed(body[offset:end], at)
        offset, at = end, next_at
    items += parser.close()
    events = [item for item in items if isinstance(item, SseEvent)]
    lines = [f"{len(events)} events"]
    for event in events[:MAX_EVENTS]:
        when = f"+{event.timestamp - start:.3f} s  " if start and event.timestamp else ""
        decoded = decode_sse(event)
        lines.append(f"{when}{decoded.summary}")
        rendering = decoded.body.partition("\n\n")[2]  # after the event's own field lines
        if "\n" in rendering:  # more than the summary shows: pretty JSON
            lines.append("  " + rendering.replace("\n", "\n  "))
    if len(events) > MAX_EVENTS:
        lines.append(f"and {len(events) - MAX_EVENTS} more events")
    return "\n".join(lines)


def _body(data: bytes) -> str:
    """A response body as the decoders render a message: JSON pretty, text, or hex."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_message(data, Opcode.BINARY).body
    return decode_message(data, Opcode.TEXT).body


def _decoded(message: WebSocketMessage, metadata: Metadata) -> Decoded:
    subprotocol = None
    flow = metadata.flow
    if isinstance(flow, http.HTTPFlow) and flow.response is not None:
        subprotocol = flow.response.headers.get("sec-websocket-protocol")
    return decode_message(message.content, int(message.type), None, subprotocol)


def _chunks(flow: Any) -> list[tuple[int, float]]:
    raw = flow.metadata.get(CHUNKS_KEY) if flow is not None else None
    if not isinstance(raw, list):
        return []
    return [(int(o), float(t)) for o, t in raw if isinstance(o, int) and isinstance(t, float)]


def _is_event_stream(metadata: Metadata) -> bool:
    content_type = (metadata.content_type or "").split(";")[0].strip().lower()
    return content_type == "text/event-stream"


def register(view: PushscopeView) -> None:
    contentviews.add(view)


def unregister() -> None:
    """mitmproxy 12 has no call to remove a view; its registry is a mapping by name."""
    views = getattr(contentviews.registry, "_by_name", None)
    if isinstance(views, dict):
        views.pop(NAME, None)
