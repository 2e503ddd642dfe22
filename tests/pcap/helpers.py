"""Reading pcap bytes in tests: model events, a comparable summary, the analysed exchanges."""

from __future__ import annotations

import io
from pathlib import Path

from pushscope.inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    WebSocketMessageSeen,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import Direction, Exchange, Limits
from pushscope.inspector.pcap.capture import visit_packets
from pushscope.inspector.pcap.connections import Connections
from pushscope.inspector.pcap.websocket_frames import WireFrame
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers.pcap import read_pcap


def events(data: bytes) -> list[ModelEvent]:
    return list(read_pcap(io.BytesIO(data), 0, "test.pcap"))


def problems(found: list[ModelEvent]) -> list[str]:
    return [e.message for e in found if isinstance(e, SourceProblem)]


def summary(found: list[ModelEvent]) -> list[tuple[object, ...]]:
    """The events with what matters, body pieces joined: equal however the bytes were cut."""
    out: list[tuple[object, ...]] = []
    bodies: dict[str, bytearray] = {}
    for event in found:
        match event:
            case ExchangeOpened():
                request = event.exchange.request
                out.append(("open", event.exchange.id, request.method, request.url))
            case ResponseStarted():
                out.append(("response", event.exchange_id, event.response.status))
            case BodyChunk():
                bodies.setdefault(event.exchange_id, bytearray()).extend(event.data)
            case WebSocketMessageSeen():
                m = event.message
                out.append(("ws", event.exchange_id, m.direction, m.opcode, m.size, event.payload))
            case WebSocketMessagesSeen():
                for i, m in enumerate(event.messages):
                    out.append(
                        ("ws", event.exchange_id, m.direction, m.opcode, m.size, event.payload(i))
                    )
            case ExchangeClosed():
                body = bytes(bodies.pop(event.exchange_id, b""))
                out.append(("closed", event.exchange_id, body, event.error is None))
            case SourceProblem():
                out.append(("problem", event.message.split(":")[-1]))
    return out


def analyzed(tmp_path: Path, data: bytes, name: str = "test.pcap") -> list[Exchange]:
    path = tmp_path / name
    path.write_bytes(data)
    report, fatal = analyze_paths([path], limits=Limits())
    assert fatal == []
    return report.exchanges


Seen = tuple[Direction, WireFrame, float, int]


def frames(path: Path) -> list[Seen]:
    """Every WebSocket frame in a capture: (sender, frame, timestamp, packet number)."""
    seen: list[Seen] = []
    number = 0

    def observe(side: Direction, frame: WireFrame, timestamp: float) -> None:
        seen.append((side, frame, timestamp, number))

    connections = Connections(0, frames=observe)

    def visit(n: int, timestamp: float, linktype: int, buffer: bytes, start: int, end: int) -> None:
        nonlocal number
        number = n
        connections.packet(n, timestamp, linktype, buffer, start, end)

    with open(path, "rb") as fp:
        for _ in visit_packets(fp, visit):
            pass
    connections.finish(None)
    return seen


def packets(data: bytes) -> list[tuple[int, float, int, bytes] | str]:
    """Every packet of a capture, (number, timestamp, link type, frame), and its problems."""
    out: list[tuple[int, float, int, bytes] | str] = []

    def keep(
        number: int, timestamp: float, linktype: int, buffer: bytes, start: int, end: int
    ) -> None:
        out.append((number, timestamp, linktype, buffer[start:end]))

    for item in visit_packets(io.BytesIO(data), keep):
        if isinstance(item, str):
            out.append(item)
    return out
