"""Packets to TCP connections to model events: the table of connections in a capture.

Each TCP connection is told apart by its addresses and ports (and a new SYN after it ended);
its client is the side that sent the SYN, or, for a capture that starts mid-connection, the
side that sends a request line (failing that, the higher port). The first bytes decide what
it carries: TLS (listed with its SNI, not decrypted), HTTP/1.1 (parsed), or something else
(skipped).
"""

from __future__ import annotations

import re

from pushscope.inspector.events import ExchangeClosed, ExchangeOpened, ModelEvent
from pushscope.inspector.model import Direction, Exchange, Request
from pushscope.inspector.pcap.capture import (
    ETHERNET,
    ETHERNET_IPV4_TCP,
    FIN,
    RST,
    SYN,
    Segment,
    address,
    tcp_segment,
)
from pushscope.inspector.pcap.http1 import FrameObserver, HttpConnection, Sink
from pushscope.inspector.pcap.tcp import StreamReassembler
from pushscope.inspector.pcap.tls import MAX_HELLO, client_hello_sni, looks_like_tls
from pushscope.inspector.pcap.websocket_frames import MAX_MESSAGE

_unpack_ethernet_ipv4_tcp = ETHERNET_IPV4_TCP.unpack_from
_HTTP_REQUEST = re.compile(rb"[A-Z]{3,10} \S")
_HTTP_RESPONSE = b"HTTP/1."
_ACK = 0x10
_DECIDE_AFTER = 16
"""Bytes seen before deciding what a connection carries."""


class _Tls:
    """A TLS connection: one exchange, `CONNECT sni:port` (as a proxy would see the tunnel),
    with `tls_sni` set; nothing inside is read."""

    def __init__(self, owner: TcpConnection, timestamp: float) -> None:
        self.owner = owner
        self.hello = b""
        self.started = timestamp
        self.exchange: Exchange | None = None

    def data(self, side: Direction, data: bytes, timestamp: float) -> None:
        if self.exchange is not None or side != "client":
            return
        self.hello += data
        sni = client_hello_sni(self.hello)
        if sni is False and len(self.hello) < MAX_HELLO:
            return
        self.open(sni if isinstance(sni, str) else None)

    def open(self, sni: str | None) -> None:
        owner = self.owner
        port = owner.server.rsplit(":", 1)[1]
        authority = f"{sni}:{port}" if sni else owner.server
        self.exchange = Exchange(
            id=f"{owner.source}-{owner.key}-tls",
            source=owner.source,
            request=Request("CONNECT", authority, None, (), self.started),
            client=owner.client,
            server=owner.server,
            tls_sni=sni,
            # Said here: an exchange that is never answered keeps the evidence it came with.
            evidence=[f"TLS to {sni or 'a server (no SNI seen)'}: encrypted, not decrypted"],
        )
        owner.out.append(ExchangeOpened(self.exchange))
        self.hello = b""

    def close(self, timestamp: float, error: str | None) -> None:
        if self.exchange is None:
            self.open(None)
        assert self.exchange is not None
        self.owner.out.append(ExchangeClosed(self.exchange.id, timestamp, error=error))


class TcpConnection:
    """Both directions of one TCP connection, and what reads them."""

    def __init__(
        self,
        table: Connections,
        key: str,
        client: tuple[bytes, int],
        server: tuple[bytes, int],
        midstream: bool,
        number: int,
    ) -> None:
        self.table = table
        self.source = table.source
        self.out = table.out
        self.key = key
        self.client_end = client
        self.keys = (_key(*client, *server), _key(*server, *client))
        self.client = address(*client)
        self.server = address(*server)
        self.midstream = midstream
        self.first_packet = number
        self.streams: dict[Direction, StreamReassembler] = {
            "client": StreamReassembler(),
            "server": StreamReassembler(),
        }
        self.fins: set[Direction] = set()
        self.reader: HttpConnection | _Tls | None = None
        self.decided = False
        self.early: list[tuple[Direction, bytes, float]] = []
        self.early_size = 0
        self.last = 0.0

    def segment(self, segment: Segment, number: int, timestamp: float) -> bool:
        """Take one segment; True when the connection is over."""
        side: Direction = "client" if (segment.src, segment.sport) == self.client_end else "server"
        self.last = timestamp
        flags = segment.flags
        stream = self.streams[side]
        if flags & SYN:
            stream.syn(segment.seq)
        if flags & _ACK:
            other: Direction = "server" if side == "client" else "client"
            peer = self.streams[other]
            if peer.pending:
                for piece, at in peer.acked(segment.ack):
                    self._deliver(other, piece, at, number)
        if segment.payload:
            seq = (segment.seq + 1) & 0xFFFFFFFF if flags & SYN else segment.seq
            for piece, at in stream.segment(seq, segment.payload, timestamp):
                self._deliver(side, piece, at, number)
        if flags & RST:
            self.finish(timestamp, None, number)
            return True
        if flags & FIN and side not in self.fins:
            self.fins.add(side)
            for piece, at in stream.flush():
                self._deliver(side, piece, at, number)
            if not self.decided:
                self._decide_now(number)
            if isinstance(self.reader, HttpConnection):
                self.reader.end(side, timestamp)
            if len(self.fins) == 2:
                self.finish(timestamp, None, number)
                return True
        return False

    def _deliver(self, side: Direction, piece: bytes | int, timestamp: float, number: int) -> None:
        if not self.decided:
            if isinstance(piece, int):
                return
            # A few bytes tell what the connection carries; wait for them (bounded).
            self.early.append((side, piece, timestamp))
            self.early_size += len(piece)
            if self.early_size < _DECIDE_AFTER:
                return
            self._decide_now(number)
            return
        reader = self.reader
        if reader is None:
            return
        if isinstance(piece, int):
            if isinstance(reader, HttpConnection):
                where = f"packet {number}, connection {self.client} -> {self.server}"
                reader.gap(side, piece, timestamp, where)
            return
        reader.data(side, piece, timestamp)

    def _decide_now(self, number: int) -> None:
        """Decide from the bytes held so far, then give them to the chosen reader."""
        early, self.early = self.early, []
        if not early:
            return
        side, _, timestamp = early[0]
        first = b"".join(data for who, data, _ in early if who == side)
        self._decide(side, first, timestamp)
        for who, data, at in early:
            self._deliver(who, data, at, number)

    def _decide(self, side: Direction, first: bytes, timestamp: float) -> None:
        self.decided = True
        if looks_like_tls(first):
            self.reader = _Tls(self, timestamp)
            if side == "server" or first[0] != 22:  # joined after the handshake
                self.reader.open(None)
            return
        request = side == "client" and _HTTP_REQUEST.match(first) is not None
        response = side == "server" and first.startswith(_HTTP_RESPONSE)
        if request or response or self.midstream:
            self.reader = HttpConnection(
                self.source,
                self.key,
                self.client,
                self.server,
                midstream=self.midstream and not request,
                max_message=self.table.max_message,
                frames=self.table.frames,
            )
            self.reader.out = self.out  # one list for the whole capture, in packet order
            self.reader.on_websocket = self._sink

    def _sink(self, side: Direction, sink: Sink) -> None:
        self.streams[side].sink = sink

    def finish(self, timestamp: float, error: str | None, number: int) -> None:
        """The connection ended: deliver what waits behind holes, close its exchanges."""
        sides: tuple[Direction, Direction] = ("client", "server")
        for side in sides:
            for piece, at in self.streams[side].flush():
                self._deliver(side, piece, at, number)
        if not self.decided:
            self._decide_now(number)
        reader = self.reader
        if reader is not None:
            reader.close(timestamp, error)
        self.reader = None
        for stream in self.streams.values():
            stream.sink = None  # it leads back here (through the reader): no cycle left


_Half = tuple[TcpConnection, Direction, StreamReassembler, StreamReassembler]
"""A connection seen from one side: the connection, the side, its stream and the peer's."""


def _key(src: bytes, sport: int, dst: bytes, dport: int) -> bytes:
    """A direction's key: addresses, then ports, as they sit in an IPv4 header and TCP's."""
    return src + dst + sport.to_bytes(2) + dport.to_bytes(2)


class Connections:
    """Every TCP connection of one capture; packets in, model events out (in `out`)."""

    def __init__(
        self, source: int, max_message: int = MAX_MESSAGE, frames: FrameObserver | None = None
    ) -> None:
        self.source = source
        self.max_message = max_message
        self.frames = frames
        self.out: list[ModelEvent] = []
        self._table: dict[bytes, _Half] = {}
        """Both directions of each connection, by `_key` of the sender's and receiver's ends."""
        self._count = 0

    def packet(self, number: int, timestamp: float, linktype: int, frame: bytes) -> None:
        """Take packet `number`, captured at `timestamp`: a frame of link type `linktype`."""
        self.packet_in(number, timestamp, linktype, frame, 0, len(frame))

    def packet_in(
        self, number: int, timestamp: float, linktype: int, buffer: bytes, start: int, end: int
    ) -> None:
        """`packet` of the frame `buffer[start:end]`, read where it lies in the file's buffer
        (`visit_packets` hands packets on so): the usual packet is never copied whole."""
        if linktype == ETHERNET and end - start >= 54:
            # The usual packet, in one unpack and one lookup: Ethernet, IPv4 without options,
            # TCP, no SYN, FIN or RST, the next bytes of a direction with none waiting.
            ethertype, version, total, fragment, protocol, key, seq, _, offset, flags = (
                _unpack_ethernet_ipv4_tcp(buffer, start)
            )
            if (
                ethertype == 0x0800
                and version == 0x45
                and protocol == 6
                and not fragment & 0x3FFF
                and not flags & 0x07  # SYN, FIN, RST
                and offset >= 0x50
                and (half := self._table.get(key)) is not None
            ):
                owner, side, stream, peer = half
                if not (flags & 0x10 and peer.pending):  # an ACK may end a hole in the peer's
                    # (The IP total length, unless 0 (segmentation offload) or past the frame.)
                    stop = start + 14 + total
                    if total < 20 or stop > end:
                        stop = end
                    first = start + 34 + (offset >> 4) * 4
                    if first >= stop:  # no payload
                        owner.last = timestamp
                        return
                    if stream.next_seq == seq and not stream.pending:
                        owner.last = timestamp
                        stream.next_seq = (seq + stop - first) & 0xFFFFFFFF
                        if (sink := stream.sink) is not None:  # read in place
                            sink(buffer, first, stop, timestamp)
                            return
                        payload = buffer[first:stop]
                        if owner.decided:
                            if (reader := owner.reader) is not None:
                                reader.data(side, payload, timestamp)
                        else:
                            owner._deliver(side, payload, timestamp, number)
                        return
        frame = buffer[start:end] if start or end != len(buffer) else buffer
        segment = tcp_segment(linktype, frame)
        if segment is None:
            return
        found = self._table.get(_key(segment.src, segment.sport, segment.dst, segment.dport))
        connection = found[0] if found is not None else None
        flags = segment.flags
        if connection is None or (flags & SYN and not flags & _ACK and connection.decided):
            if connection is not None:  # the same ports used again: the old one is over
                self._end(connection, timestamp, None, number)
            if flags & RST or (not segment.payload and not flags & SYN):
                return  # a stray ACK or reset of a connection we never saw
            connection = self._open(segment, number)
        if connection.segment(segment, number, timestamp):
            self._end(connection, timestamp, None, number)

    def _open(self, segment: Segment, number: int) -> TcpConnection:
        flags = segment.flags
        here, there = (segment.src, segment.sport), (segment.dst, segment.dport)
        if flags & SYN:
            midstream = False
            client, server = (there, here) if flags & _ACK else (here, there)
        else:
            midstream = True
            payload = segment.payload
            if _HTTP_REQUEST.match(payload):
                client, server = here, there
            elif payload.startswith(_HTTP_RESPONSE):
                client, server = there, here
            else:
                client, server = (here, there) if here[1] > there[1] else (there, here)
        self._count += 1
        connection = TcpConnection(self, f"c{self._count}", client, server, midstream, number)
        client_stream, server_stream = connection.streams["client"], connection.streams["server"]
        self._table[connection.keys[0]] = (connection, "client", client_stream, server_stream)
        self._table[connection.keys[1]] = (connection, "server", server_stream, client_stream)
        return connection

    def _end(self, connection: TcpConnection, timestamp: float, error: str | None, n: int) -> None:
        connection.finish(timestamp, error, n)
        for key in connection.keys:
            half = self._table.get(key)
            if half is not None and half[0] is connection:
                del self._table[key]

    def finish(self, timestamp: float | None) -> None:
        """The capture ended: close every connection still open."""
        for connection in {id(h[0]): h[0] for h in self._table.values()}.values():
            connection.finish(
                timestamp if timestamp is not None else connection.last,
                "capture ended before the connection did",
                0,
            )
        self._table.clear()
