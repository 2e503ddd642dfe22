"""pcap and pcapng captures: TCP reassembled, HTTP/1.1 read with h11, WebSocket with wsproto.

The work is done by the sans-IO package `inspector.pcap`; this module only walks the file's
packets through it and hands on the model events, with the file's problems (truncation, a
corrupt length) as `SourceProblem`s naming the packet and offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from pushscope.inspector.events import ModelEvent, SourceProblem
from pushscope.inspector.pcap.capture import visit_packets
from pushscope.inspector.pcap.connections import Connections
from pushscope.inspector.readers.base import CaptureError


def read_pcap(fp: BinaryIO, source: int, name: str) -> Iterator[ModelEvent]:
    """Model events for every HTTP exchange, WebSocket session and TLS connection in a capture.

    Events are handed on every few hundred packets (`TALLY_EVERY`): meanwhile consecutive
    WebSocket messages of a session become one event."""
    connections = Connections(source)
    out = connections.out
    last: float | None = None
    packets = 0
    for item in visit_packets(fp, connections.packet):
        if isinstance(item, str):
            if packets == 0:
                raise CaptureError(f"{name}: {item}")
            out.append(SourceProblem(source, item))
            continue
        packets, last = item
        if out:
            yield from out
            out.clear()
    connections.finish(last)
    yield from out
