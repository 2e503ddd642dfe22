"""Packets to TCP connections to model events: the table of connections in a capture.

Each TCP connection is told apart by its addresses and ports (and a new SYN after it ended);
its client is the side that sent the SYN, or, for a capture that starts mid-connection, the
side that sends a request line (failing that, the higher port). The first bytes decide what
it carries: TLS (decrypted when its keys are logged, else listed with its SNI), HTTP/2
with prior knowledge (the client's connection preface), HTTP/1.1 (parsed, and handed to
HTTP/2 after an `h2c` upgrade), or something else (skipped).
"""

from __future__ import annotations

import re

from pushscope.inspector.events import ExchangeClosed, ExchangeOpened, ModelEvent, SourceProblem
from pushscope.inspector.model import Direction, Exchange, Request, TlsInfo
from pushscope.inspector.pcap.capture import ACK, FIN, RST, SYN, address, ends, tcp_segment
from pushscope.inspector.pcap.http1 import FrameObserver, HttpConnection
from pushscope.inspector.pcap.http2 import PREFACE, Http2Connection
from pushscope.inspector.pcap.keylog import KeyLog
from pushscope.inspector.pcap.tcp import StreamReassembler, ignore, ignore_gap
from pushscope.inspector.pcap.tls import (
    KEYLOG_HINT,
    MAX_HELLO,
    InnerReader,
    looks_like_tls,
    reader_for,
)
from pushscope.inspector.pcap.tls_session import TlsSession
from pushscope.inspector.pcap.websocket_frames import MAX_MESSAGE

_HTTP_REQUEST = re.compile(rb"[A-Z]{3,10} \S")
_HTTP_RESPONSE = b"HTTP/1."
_DECIDE_AFTER = 16
"""Bytes seen before deciding what a connection carries."""


class _Tls:
    """A TLS connection. With its keys logged, its records are decrypted (`TlsSession`) and the
    plaintext read by the reader its ALPN names (`reader_for`); otherwise it is one exchange,
    `CONNECT sni:port` (as a proxy would see the tunnel), with `tls_sni` set."""

    def __init__(self, owner: TcpConnection, timestamp: float, keylog: KeyLog | None) -> None:
        self.owner = owner
        self.started = timestamp
        self.session = TlsSession(keylog)
        self.exchange: Exchange | None = None
        self.inner: InnerReader | None = None
        self.opaque = False
        """The plaintext is not read (no keys, no reader for its ALPN, or it failed)."""

    def where(self) -> str:
        owner = self.owner
        return f"packet {owner.table.number}, TLS connection {owner.client} -> {owner.server}"

    def client_data(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self.feed("client", buffer[start:end], timestamp)

    def server_data(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self.feed("server", buffer[start:end], timestamp)

    def feed(self, side: Direction, data: bytes, timestamp: float) -> None:
        session = self.session
        mark = len(self.owner.out)
        session.data(side, data, timestamp)  # (its plaintext may go straight to the reader)
        if session.problems:
            self._problems(mark)
        if self.inner is not None or self.opaque:
            if session.out:
                self._plaintext()
            return
        if session.decided:
            if not session.decrypting:
                self.open(None)
            elif session.out:
                self._plaintext()
        elif side == "client" and not session.hello_seen and len(data) >= MAX_HELLO:
            self.open(None)

    def _problems(self, mark: int | None = None) -> None:
        """Say the session's problems; at `mark` in the events, when given: before what the
        plaintext of the bytes that raised them gave."""
        where = self.where()
        owner = self.owner
        said = [SourceProblem(owner.source, f"{where}: {p}") for p in self.session.problems]
        if mark is None:
            owner.out += said
        else:
            owner.out[mark:mark] = said
        self.session.problems.clear()

    def info(self) -> TlsInfo:
        session = self.session
        return TlsInfo(
            version=session.version,
            cipher=session.suite.name if session.suite else None,
            alpn=session.alpn,
            sni=session.sni,
            decrypted=session.decrypting and not self.opaque,
        )

    def _plaintext(self) -> None:
        session = self.session
        inner = self.inner
        if inner is None and not self.opaque:
            owner = self.owner
            inner = reader_for(
                session.alpn, owner.source, owner.key, owner.client, owner.server, self.info()
            )
            if inner is None:
                self.open(f"{session.alpn} inside: not read")
            else:
                inner.out = owner.out
                self.inner = inner
                session.sink = inner.data  # from the next record on
        if inner is not None:
            for side, data, at in session.out:
                inner.data(side, data, at)
        session.out.clear()

    def open(self, note: str | None) -> None:
        """Give out the one exchange that stands for the connection."""
        if self.exchange is not None:
            return
        self.opaque = True
        owner = self.owner
        session = self.session
        sni = session.sni
        port = owner.server.rsplit(":", 1)[1]
        authority = f"{sni}:{port}" if sni else owner.server
        alpn = session.alpn or ",".join(session.alpn_offered) or None
        if note is not None:
            evidence = [f"TLS to {sni or 'a server (no SNI seen)'}: decrypted; {note}"]
        else:
            said = "keys not in the key log" if session.keylog else "encrypted, not decrypted"
            evidence = [
                f"TLS to {sni or 'a server (no SNI seen)'}"
                + (f" (ALPN {alpn})" if alpn else "")
                + f": {said}",
                KEYLOG_HINT,
            ]
        if session.keylog and session.missing_keys:
            owner.out.append(
                SourceProblem(owner.source, f"{self.where()}: no keys logged for this connection")
            )
        info = self.info()
        self.exchange = Exchange(
            id=f"{owner.source}-{owner.key}-tls",
            source=owner.source,
            request=Request("CONNECT", authority, None, (), self.started),
            client=owner.client,
            server=owner.server,
            tls_sni=sni,
            tls=TlsInfo(info.version, info.cipher, alpn, sni, note is not None),
            # Said here: an exchange that is never answered keeps the evidence it came with.
            evidence=evidence,
        )
        owner.out.append(ExchangeOpened(self.exchange))

    def gap(self, side: Direction, size: int, timestamp: float) -> None:
        """Bytes of `side` lost: its records cannot be followed any further."""
        self.session.stop(
            side,
            f"{size} bytes the {side} sent are missing (TCP gap); "
            "its records are not read after them",
        )
        self._problems()

    def end(self, side: Direction, timestamp: float) -> None:
        if self.inner is not None:
            self.inner.end(side, timestamp)

    def close(self, timestamp: float, error: str | None) -> None:
        session = self.session
        session.end()
        if session.keylog and not session.hello_seen and self.exchange is None:
            session.problems.append("no ClientHello seen (capture starts mid-connection?)")
        self.owner.table.tls_records[self.owner.key] = session.records
        if self.session.problems:
            self._problems()
        if self.inner is not None:
            self.inner.close(timestamp, error)
            inner = self.inner
            if not isinstance(inner, HttpConnection) or inner._count:  # noqa: SLF001
                return  # the requests read stand for the connection
            self.open("no HTTP/1.1 request inside")
        if self.exchange is None:
            decrypted = self.session.decrypting and not self.opaque
            self.open("no application data" if decrypted else None)
        assert self.exchange is not None
        self.owner.out.append(ExchangeClosed(self.exchange.id, timestamp, error=error))


class TcpConnection:
    """Both directions of one TCP connection, and what reads them.

    Until the first bytes say what the connection carries, each stream's sink holds them
    (`_early`); then the reader chosen takes its place as the sink of both streams."""

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
        self.keys = (_key(*client, *server), _key(*server, *client))
        self.client = address(*client)
        self.server = address(*server)
        self.midstream = midstream
        self.first_packet = number
        self.streams: dict[Direction, StreamReassembler] = {
            "client": StreamReassembler(self._early_client, self._gap_client),
            "server": StreamReassembler(self._early_server, self._gap_server),
        }
        self.fins: set[Direction] = set()
        self.reader: HttpConnection | Http2Connection | _Tls | None = None
        self.decided = False
        self.early: list[tuple[Direction, bytes, float]] = []
        self.early_size = 0
        self.last = 0.0

    def control(
        self,
        side: Direction,
        seq: int,
        flags: int,
        buffer: bytes,
        start: int,
        end: int,
        timestamp: float,
    ) -> bool:
        """A segment `side` sent with SYN, FIN or RST, its payload `buffer[start:end]` taken
        after the SYN and before the FIN or RST; True when the connection is over."""
        stream = self.streams[side]
        if flags & SYN:
            stream.syn(seq)
            seq = (seq + 1) & 0xFFFFFFFF
        stream.segment(seq, buffer, start, end, timestamp)
        if flags & RST:
            self.finish(timestamp, None)
            return True
        if flags & FIN and side not in self.fins:
            self.fins.add(side)
            stream.flush()
            if not self.decided:
                self._decide_now()
            if self.reader is not None:
                self.reader.end(side, timestamp)
            if len(self.fins) == 2:
                self.finish(timestamp, None)
                return True
        return False

    def _early_client(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self._early("client", buffer[start:end], timestamp)

    def _early_server(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self._early("server", buffer[start:end], timestamp)

    def _early(self, side: Direction, data: bytes, timestamp: float) -> None:
        # A few bytes tell what the connection carries; wait for them (bounded).
        self.early.append((side, data, timestamp))
        self.early_size += len(data)
        if self.early_size >= _DECIDE_AFTER:
            self._decide_now()

    def _gap_client(self, size: int, timestamp: float) -> None:
        self._gap("client", size, timestamp)

    def _gap_server(self, size: int, timestamp: float) -> None:
        self._gap("server", size, timestamp)

    def _gap(self, side: Direction, size: int, timestamp: float) -> None:
        if isinstance(self.reader, HttpConnection | Http2Connection):
            where = f"packet {self.table.number}, connection {self.client} -> {self.server}"
            self.reader.gap(side, size, timestamp, where)

    def _decide_now(self) -> None:
        """Decide from the bytes held so far, then give them to the chosen reader."""
        early, self.early = self.early, []
        if not early:
            return
        side, _, timestamp = early[0]
        first = b"".join(data for who, data, _ in early if who == side)
        said = b"".join(data for who, data, _ in early if who == "client")
        self._decide(side, first, timestamp, said)
        streams = self.streams
        for who, data, at in early:
            streams[who].sink(data, 0, len(data), at)  # (a sink may hand on to the next)

    def _decide(self, side: Direction, first: bytes, timestamp: float, said: bytes) -> None:
        """`first`: the first bytes, sent by `side`; `said`: the client's so far."""
        self.decided = True
        streams = self.streams
        for stream in streams.values():
            stream.sink, stream.lost = ignore, ignore_gap  # unless a reader takes them
        if looks_like_tls(first):
            tls = self.reader = _Tls(self, timestamp, self.table.keylog)
            streams["client"].sink, streams["server"].sink = tls.client_data, tls.server_data
            streams["client"].lost = lambda size, at: tls.gap("client", size, at)
            streams["server"].lost = lambda size, at: tls.gap("server", size, at)
            if side == "server" or first[0] != 22:  # joined after the handshake
                self.out.append(
                    SourceProblem(
                        self.source,
                        f"packet {self.table.number}, TLS connection {self.client} -> "
                        f"{self.server}: the capture starts after its handshake; not decrypted",
                    )
                )
                tls.open(None)
                streams["client"].sink = streams["server"].sink = ignore
            return
        # An HTTP/2 server may speak first (its SETTINGS), before the client's preface arrives;
        # a capture that starts mid-connection shows frames, and no preface.
        preface = bool(said) and said.startswith(PREFACE[: len(said)])
        if preface or _h2_settings(side, first) or (self.midstream and _h2_frames(first)):
            self.reader = Http2Connection(
                self.source,
                self.key,
                self.client,
                self.server,
                midstream=self.midstream and not preface,
                max_message=self.table.max_message,
                frames=self.table.frames,
                streams=streams,
            )
            self.reader.out = self.out
            streams["client"].lost, streams["server"].lost = self._gap_client, self._gap_server
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
                streams=streams,
            )
            self.reader.out = self.out  # one list for the whole capture, in packet order
            streams["client"].lost, streams["server"].lost = self._gap_client, self._gap_server

    def finish(self, timestamp: float, error: str | None) -> None:
        """The connection ended: deliver what waits behind holes, close its exchanges."""
        for stream in self.streams.values():
            stream.flush()
        if not self.decided:
            self._decide_now()
        reader = self.reader
        if reader is not None:
            reader.close(timestamp, error)
        self.reader = None
        for stream in self.streams.values():  # they lead back here: no cycle left
            stream.sink, stream.lost = ignore, ignore_gap


_Half = tuple[TcpConnection, Direction, StreamReassembler, StreamReassembler]
"""A connection seen from one side: the connection, the side, its stream and the other's."""


def _h2_settings(side: Direction, first: bytes) -> bool:
    """`first` opens with an HTTP/2 SETTINGS frame sent by the server (not an ACK)."""
    return (
        side == "server"
        and len(first) >= 9
        and first[3] == 4
        and first[4] == 0
        and first[5:9] == b"\0\0\0\0"
        and int.from_bytes(first[:3]) % 6 == 0
    )


_STREAM_ZERO = {4, 6, 7}
"""Frame types only sent on stream 0 (SETTINGS, PING, GOAWAY); WINDOW_UPDATE goes on either."""


def _h2_frames(first: bytes) -> bool:
    """`first` is HTTP/2 frames as far as it goes: known types on streams they may use, lengths
    within the default maximum (text, and most binary protocols, fail at the first header)."""
    at = seen = 0
    while len(first) - at >= 9:
        length = int.from_bytes(first[at : at + 3])
        kind = first[at + 3]
        stream = int.from_bytes(first[at + 5 : at + 9])
        if kind > 9 or length > 1 << 14 or stream >> 31:
            return False
        if kind != 8 and (stream == 0) != (kind in _STREAM_ZERO):
            return False
        seen += 1
        at += 9 + length
    return seen > 0


def _key(src: bytes, sport: int, dst: bytes, dport: int) -> bytes:
    """A direction's key, as `tcp_segment` gives it: addresses, then ports."""
    return src + dst + sport.to_bytes(2) + dport.to_bytes(2)


class Connections:
    """Every TCP connection of one capture; packets in, model events out (in `out`)."""

    def __init__(
        self,
        source: int,
        max_message: int = MAX_MESSAGE,
        frames: FrameObserver | None = None,
        keylog: KeyLog | None = None,
    ) -> None:
        self.source = source
        self.keylog = keylog
        """Secrets to decrypt TLS connections with (a pcapng file's own are added as read)."""
        self.max_message = max_message
        self.frames = frames
        self.out: list[ModelEvent] = []
        self._table: dict[bytes, _Half] = {}
        """Both directions of each connection, by the key of the sender's and receiver's ends."""
        self._count = 0
        self.number = 0
        """The number of the packet being read."""
        self.tls_records: dict[str, int] = {}
        """Records decrypted, by connection key, for each TLS connection that ended."""

    def packet(
        self, number: int, timestamp: float, linktype: int, buffer: bytes, start: int, end: int
    ) -> None:
        """Take packet `number`, captured at `timestamp`: the frame of link type `linktype` in
        `buffer[start:end]`, read where it lies (`visit_packets` hands packets on so)."""
        segment = tcp_segment(linktype, buffer, start, end)
        if segment is None:
            return
        key, seq, ack, flags, first, stop = segment
        self.number = number
        half = self._table.get(key)
        if half is None or (flags & SYN and not flags & ACK and half[0].decided):
            if half is not None:  # the same ports used again: the old one is over
                self._end(half[0], timestamp, None)
            if flags & RST or (first == stop and not flags & SYN):
                return  # a stray ACK or reset of a connection we never saw
            half = self._open(key, flags, buffer[first:stop], number)
        connection, side, stream, peer = half
        connection.last = timestamp
        if flags & ACK and peer.pending:  # the ACK may end a hole in the other side's bytes
            peer.acked(ack)
        if flags & (SYN | FIN | RST):
            if connection.control(side, seq, flags, buffer, first, stop, timestamp):
                self._end(connection, timestamp, None)
        else:  # most segments
            stream.segment(seq, buffer, first, stop, timestamp)

    def _open(self, key: bytes, flags: int, payload: bytes, number: int) -> _Half:
        here, there = ends(key)
        if flags & SYN:
            midstream = False
            client, server = (there, here) if flags & ACK else (here, there)
        else:
            midstream = True
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
        return self._table[key]

    def _end(self, connection: TcpConnection, timestamp: float, error: str | None) -> None:
        connection.finish(timestamp, error)
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
            )
        self._table.clear()
