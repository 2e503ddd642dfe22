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
from pushscope.inspector.pcap.keylog import KeyLog
from pushscope.inspector.readers.base import CaptureError


def read_pcap(
    fp: BinaryIO, source: int, name: str, keylog: KeyLog | None = None
) -> Iterator[ModelEvent]:
    """Model events for every HTTP exchange, WebSocket session and TLS connection in a capture;
    TLS connections are decrypted with the secrets of `keylog` and of the capture's own
    Decryption Secrets Blocks.

    Events are handed on every few hundred packets (`TALLY_EVERY`): meanwhile consecutive
    WebSocket messages of a session become one event."""
    secrets = keylog.copy() if keylog is not None else KeyLog()
    connections = Connections(source, keylog=secrets)
    out = connections.out

    def block(text: str) -> None:
        for problem in secrets.add_text(text, f"{name}: decryption secrets block", strict=False):
            out.append(SourceProblem(source, problem))

    last: float | None = None
    packets = 0
    for item in visit_packets(fp, connections.packet, block):
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
