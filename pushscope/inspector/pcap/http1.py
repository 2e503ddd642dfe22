"""One TCP connection's HTTP/1.1 traffic, both directions, into model events (sans-IO).

Two h11 connections, each in the role of the receiver (`h11_reader.Receiver`): the client's
bytes go to a SERVER one, the server's to a CLIENT one. Each side's events are mirrored into
the other connection (a request is "sent" on the client-role one, a response on
the server-role one) so both state machines agree: keep-alive, pipelining (a request waits,
paused, until the response before it ends), HEAD, 100-continue and the protocol switch. After
a 101 to WebSocket, `FrameReader`s take over each direction; a 101 to anything else, or a
CONNECT, is left as an opaque tunnel.

A gap in the capture, or bytes that are not HTTP, end the exchanges in flight with an error;
the parser then looks for the next request (and response) line and resumes there.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import h11

from pushscope.inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import (
    Direction,
    Exchange,
    Headers,
    Request,
    Response,
    TlsInfo,
    WebSocketMessage,
    header,
)
from pushscope.inspector.operations import (
    RPC_BODY_CAP,
    Operation,
    rpc_body_wanted,
    rpc_operation,
)
from pushscope.inspector.pcap.h11_reader import (
    Body,
    Receiver,
    mirror,
    needs_bytes,
    next_event,
    unparsed,
)
from pushscope.inspector.pcap.tcp import StreamReassembler, ignore
from pushscope.inspector.pcap.websocket_frames import (
    FrameError,
    FrameEvent,
    FrameNote,
    FrameReader,
    WireFrame,
    unmask,
)
from pushscope.inspector.readers.base import StringPool
from pushscope.inspector.websocket import negotiated_extensions, upgrade_target

if TYPE_CHECKING:
    from pushscope.inspector.pcap.http2 import Http2Connection

_pooled = StringPool()
"""Header names, methods, reasons and versions come from untrusted captures: pooled, bounded."""

_REQUEST_LINE = re.compile(
    rb"(?:^|\n)((?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE|PROPFIND)"
    rb" \S+ HTTP/1\.[01]\r?\n)"
)
_STATUS_LINE = re.compile(rb"(?:^|\n)(HTTP/1\.[01] [1-5]\d\d[ \r\n])")
_SCAN_KEEP = 64
"""Bytes kept from a scanned piece: a start line may straddle two packets."""
_MAX_UNMATCHED = 1 << 20
"""Server bytes held before any request was seen to answer; past this they are dropped."""
_MAX_WAITING = 8 << 20
"""Unparsed bytes one direction may hold (pipelined behind an unanswered request)."""

FrameObserver = Callable[[Direction, WireFrame, float], None]


def _headers(event: h11.Request | h11.Response | h11.InformationalResponse) -> Headers:
    return tuple(
        (_pooled(name.decode("latin-1")), value.decode("latin-1"))
        for name, value in event.headers.raw_items()
    )


_END = h11.EndOfMessage()


class HttpConnection:
    """Feed it the connection's ordered bytes per direction; take model events from `out`.

    The bytes come through the sinks of `streams`, one per direction: the connection sets them,
    to its HTTP parser first, then, once a WebSocket session begins, to that side's frame
    reader, which reads each packet where it lies; a tunnel's bytes are ignored."""

    def __init__(
        self,
        source: int,
        key: str,
        client: str,
        server: str,
        midstream: bool,
        max_message: int,
        frames: FrameObserver | None = None,
        streams: dict[Direction, StreamReassembler] | None = None,
        tls: TlsInfo | None = None,
    ) -> None:
        self.source = source
        self.tls = tls
        """The TLS connection the bytes were decrypted from, if any: its URLs are https."""
        self.key = key
        self.client = client
        self.server = server
        self.max_message = max_message
        self.frames = frames
        self.out: list[ModelEvent] = []
        self._count = 0
        self._requests = Receiver(h11.SERVER)  # reads what the client sends
        self._responses = Receiver(h11.CLIENT)  # reads what the server sends
        self._reading_request: Pending | None = None
        self._waiting: deque[Pending] = deque()
        """Requests whose response has not ended, oldest first (pipelining)."""
        self._mode = "http"  # http | websocket | h2 | tunnel | broken
        self._upgraded: Pending | None = None
        self._readers: dict[Direction, SessionFrames] = {}
        self._session: SessionOwner | None = None
        self.h2: Http2Connection | None = None
        """After an `h2c` upgrade: the HTTP/2 reader the rest of the connection goes to."""
        self._upgrade_request_headers: Headers = ()
        self._scan: dict[Direction, bytes | None] = {
            "client": b"" if midstream else None,
            "server": b"" if midstream else None,
        }
        self._unmatched = 0
        self._ended: set[Direction] = set()
        self.streams: dict[Direction, StreamReassembler] = streams if streams is not None else {
            "client": StreamReassembler(),
            "server": StreamReassembler(),
        }  # fmt: skip
        self.streams["client"].sink = self._client_bytes
        self.streams["server"].sink = self._server_bytes

    # --- input -------------------------------------------------------------------------------

    def data(self, side: Direction, data: bytes, timestamp: float) -> None:
        """In-order bytes `side` sent, in a packet captured at `timestamp`: given to the sink
        of its stream, as the packets of a capture are."""
        self.streams[side].sink(data, 0, len(data), timestamp)

    def _client_bytes(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self._http("client", buffer[start:end], timestamp)

    def _server_bytes(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self._http("server", buffer[start:end], timestamp)

    def _http(self, side: Direction, data: bytes, timestamp: float) -> None:
        if not data or side in self._ended:
            return  # (b"" would mean end of stream to h11)
        scan = self._scan[side]
        if scan is not None:
            found = self._resync(side, scan + data)
            if found is None:
                return
            data = found
        if side == "client":
            self._requests.receive_data(data)
        else:
            if self._responses.our_state is h11.IDLE:
                self._unmatched += len(data)
                if self._unmatched > _MAX_UNMATCHED:
                    self._lost(
                        "server", "the server sent more than 1 MiB with no request to answer"
                    )
                    return
            self._responses.receive_data(data)
        self._pump(timestamp, side)
        conn = self._requests if side == "client" else self._responses
        # Bytes h11 holds unparsed (pipelined requests waiting for the answers before them):
        # bounded, so a side that never gets its turn cannot exhaust memory.
        if self._mode == "http" and unparsed(conn) > _MAX_WAITING:
            self._lost(side, f"more than {_MAX_WAITING >> 20} MiB waiting to be parsed")

    def gap(self, side: Direction, size: int, timestamp: float, where: str) -> None:
        """`size` bytes `side` sent are missing from the capture."""
        if self.h2 is not None:
            self.h2.gap(side, size, timestamp, where)
            return
        self.out.append(
            SourceProblem(
                self.source,
                f"{where}: {size} bytes the {side} sent are missing from the capture (TCP gap); "
                "reading resumes after them",
            )
        )
        if self._mode == "websocket":
            reader = self._readers.get(side)
            if reader is not None and reader.broken is None:
                reader.broken = FrameError("frames lost in a gap", 0)
            return
        if self._mode == "http":
            self._lost(side, f"{size} bytes missing from the capture")

    def end(self, side: Direction, timestamp: float) -> None:
        """`side` closed its half of the connection (FIN)."""
        if self.h2 is not None:
            self.h2.end(side, timestamp)
            return
        if self._mode != "http" or self._scan[side] is not None or side in self._ended:
            return
        self._ended.add(side)
        if side == "client":
            self._requests.receive_data(b"")
        else:
            self._responses.receive_data(b"")
        self._pump(timestamp, side)

    def close(self, timestamp: float, error: str | None) -> None:
        """The connection is over (both FINs, a reset, or the capture ended)."""
        if self.h2 is not None:
            self.h2.close(timestamp, error)
            self.h2 = None
        if self._upgraded is not None:
            close_seen = self._session is not None and self._session.close_seen
            if error is None and not close_seen and self._mode == "websocket":
                error = "connection closed without a WebSocket close frame"
            self.out.append(self._upgraded.closed(timestamp, error))
            self._upgraded = None
        reason = error or "connection closed before the response ended"
        if self._reading_request is not None and self._reading_request not in self._waiting:
            self._waiting.append(self._reading_request)
        while self._waiting:
            self.out.append(self._waiting.popleft().closed(timestamp, reason))
        self._reading_request = None
        self._mode = "broken"
        for stream in self.streams.values():
            stream.sink = ignore
        self._readers = {}  # they point back here: no cycle left for a paused collector
        self._session = None

    # --- HTTP --------------------------------------------------------------------------------

    def _pump(self, timestamp: float, side: Direction) -> None:
        """Parse what `side`'s bytes allow; whatever that mirrors into the other parser may
        let it go on too (a request lets its response be read, a response end the next
        pipelined request), so the other side is drained then, and so on."""
        try:
            waiting: list[Direction] = [side]
            while waiting and self._mode == "http":
                if waiting.pop() == "client":
                    progressed = self._drain_requests(timestamp)
                    if progressed:
                        waiting.append("server")
                else:
                    progressed = self._responses.our_state is not h11.IDLE and (
                        self._drain_responses(timestamp)
                    )
                    if progressed:
                        waiting.append("client")
                # Only an event read can end a cycle (states change nowhere else), and a
                # body's data changes none.
                if progressed and self._next_cycle():
                    waiting = ["server", "client"]
        except h11.ProtocolError as e:
            side = "client" if self._requests.their_state is h11.ERROR else "server"
            self._lost("client" if side == "client" else "server", f"not valid HTTP/1.1: {e}")

    def _next_cycle(self) -> bool:
        requests, responses = self._requests, self._responses
        if (
            requests.their_state is h11.DONE
            and requests.our_state is h11.DONE
            and responses.our_state is h11.DONE
            and responses.their_state is h11.DONE
        ):
            requests.start_next_cycle()
            responses.start_next_cycle()
            return True
        return False

    def _drain_requests(self, timestamp: float) -> bool:
        """Read the client's events; True if one could let the server's go on."""
        progressed = False
        conn = self._requests
        while True:
            if needs_bytes(conn):
                return progressed
            event = next_event(conn)
            if event is h11.NEED_DATA or event is h11.PAUSED or type(event) is h11.ConnectionClosed:
                return progressed
            if type(event) is h11.Data:  # (mirrored nowhere: the server's side is as it was)
                reading = self._reading_request
                if reading is not None:
                    body: Body = event
                    reading.request_bytes += len(body.data)
                    if reading.rpc is not None:
                        reading.rpc.take(body.data)
                continue
            progressed = True
            if isinstance(event, h11.Request):
                self._request(event, timestamp)
            elif isinstance(event, h11.EndOfMessage):
                reading = self._reading_request
                if reading is not None and reading.rpc is not None:
                    reading.operation = reading.rpc.operation()
                    reading.rpc = None
                self._reading_request = None
                mirror(self._responses, _END)

    def _request(self, event: h11.Request, timestamp: float) -> None:
        self._count += 1
        headers = _headers(event)
        host = next((v for k, v in headers if k.lower() == "host"), None) or self.server
        target = event.target.decode("latin-1")
        method = _pooled(event.method.decode("latin-1"))
        if method == "CONNECT" or target.startswith(("http://", "https://")):
            url = target
        else:
            url = f"{'https' if self.tls else 'http'}://{host}{target}"
        request = Request(
            method=method,
            url=url,
            http_version=_pooled("HTTP/" + event.http_version.decode("ascii")),
            headers=headers,
            timestamp_start=timestamp,
            operation=rpc_operation(method, url, None, None) if method == "GET" else None,
        )
        exchange = Exchange(
            id=f"{self.source}-{self.key}-{self._count}",
            source=self.source,
            request=request,
            client=self.client,
            server=self.server,
        )
        if self.tls is not None:
            exchange.tls, exchange.tls_sni = self.tls, self.tls.sni
        pending = Pending(exchange.id)
        self._upgrade_request_headers = headers
        if method == "POST":
            content_type = header(headers, "content-type")
            if rpc_body_wanted(method, url, content_type):
                pending.rpc = RpcBody(url, content_type, header(headers, "content-encoding"))
        self._reading_request = pending
        self._waiting.append(pending)
        self.out.append(ExchangeOpened(exchange))
        mirror(self._responses, event)

    def _drain_responses(self, timestamp: float) -> bool:
        """Read the server's events; True if one could let the client's go on (a body's data,
        most of an SSE stream, cannot: it is mirrored nowhere and changes no state)."""
        progressed = False
        conn = self._responses
        while self._mode == "http":
            if needs_bytes(conn):
                break
            event = next_event(conn)
            if event is h11.NEED_DATA or event is h11.PAUSED or type(event) is h11.ConnectionClosed:
                break
            if type(event) is h11.Data:
                pending = self._waiting[0]
                body: Body = event
                pending.response_bytes += len(body.data)
                self.out.append(BodyChunk(pending.id, bytes(body.data), timestamp))
                continue
            progressed = True
            if isinstance(event, h11.Response):
                self._response(event, timestamp)
            elif isinstance(event, h11.InformationalResponse):
                self._informational(event, timestamp)
            elif isinstance(event, h11.EndOfMessage):
                pending = self._waiting.popleft()
                self.out.append(pending.closed(timestamp, ended=True))
                mirror(self._requests, _END)
        if conn.their_state is h11.SWITCHED_PROTOCOL or conn.our_state is h11.SWITCHED_PROTOCOL:
            self._switched(timestamp)
        return progressed

    def _response(self, event: h11.Response, timestamp: float) -> None:
        pending = self._waiting[0]
        self._unmatched = 0
        response = Response(
            status=event.status_code,
            reason=_pooled(event.reason.decode("latin-1")),
            http_version=_pooled("HTTP/" + event.http_version.decode("ascii")),
            headers=_headers(event),
            timestamp_start=timestamp,
        )
        self.out.append(ResponseStarted(pending.id, response))
        pending.response = response
        mirror(self._requests, event)

    def _informational(self, event: h11.InformationalResponse, timestamp: float) -> None:
        self._unmatched = 0
        if event.status_code == 101:
            pending = self._waiting[0]
            response = Response(
                status=101,
                reason=_pooled(event.reason.decode("latin-1")),
                http_version=_pooled("HTTP/" + event.http_version.decode("ascii")),
                headers=_headers(event),
                timestamp_start=timestamp,
            )
            pending.response = response
            if upgrade_target(response.headers) != "h2c":  # (else its answer comes on stream 1)
                self.out.append(ResponseStarted(pending.id, response))
        mirror(self._requests, event)

    def _switched(self, timestamp: float) -> None:
        """The connection changed protocol: WebSocket frames, or a tunnel left unread."""
        pending = self._waiting.popleft()
        self._waiting.clear()
        self._reading_request = None
        self._upgraded = pending
        response = pending.response
        client_rest = self._requests.trailing_data[0]
        server_rest = self._responses.trailing_data[0]
        target = upgrade_target(response.headers) if response is not None else None
        if response is not None and response.status == 101 and target == "websocket":
            deflate = any(
                ext.split(";", 1)[0].strip().lower() == "permessage-deflate"
                for ext in negotiated_extensions(response.headers)
            )
            self._mode = "websocket"
            sides: tuple[Direction, Direction] = ("client", "server")
            wire = self.frames is not None
            session = self._session = SessionOwner(self, pending.id)
            self._readers = {
                side: SessionFrames(session, pending.id, side, deflate, wire) for side in sides
            }
            for side, rest in zip(sides, (client_rest, server_rest), strict=True):
                reader = self._readers[side]
                if rest:
                    reader.take(rest, 0, len(rest), timestamp)
                self.streams[side].sink = reader.take
        elif response is not None and response.status == 101 and target == "h2c":
            self._h2c(pending, timestamp, client_rest, server_rest)
        else:
            self._mode = "tunnel"
            for stream in self.streams.values():
                stream.sink = ignore

    def _h2c(self, pending: Pending, timestamp: float, client: bytes, server: bytes) -> None:
        """An `Upgrade: h2c` was accepted: the rest of the connection is HTTP/2, its stream 1
        the upgraded request, whose answer comes there."""
        from pushscope.inspector.pcap.http2 import Http2Connection  # (it builds on this module)

        self._upgraded = None
        self._mode = "h2"
        h2 = self.h2 = Http2Connection(
            self.source,
            self.key,
            self.client,
            self.server,
            midstream=False,
            max_message=self.max_message,
            frames=self.frames,
            streams=self.streams,
        )
        h2.out = self.out
        settings = header(self._upgrade_request_headers, "http2-settings")
        h2.upgraded(pending, settings)
        h2.take_over("client", client, timestamp)
        h2.take_over("server", server, timestamp)

    # --- recovery ----------------------------------------------------------------------------

    def _lost(self, side: Direction, why: str) -> None:
        """The HTTP stream lost its place: end what is in flight, look for the next message."""
        self.out.append(
            SourceProblem(
                self.source,
                f"connection {self.client} -> {self.server}: {side} stream: {why}; "
                "skipping to the next request",
            )
        )
        if self._reading_request is not None and self._reading_request not in self._waiting:
            self._waiting.append(self._reading_request)
        self._reading_request = None
        while self._waiting:
            self.out.append(self._waiting.popleft().closed(None, why))
        self._requests = Receiver(h11.SERVER)
        self._responses = Receiver(h11.CLIENT)
        self._scan = {"client": b"", "server": b""}
        self._unmatched = 0

    def _resync(self, side: Direction, data: bytes) -> bytes | None:
        """The bytes from the next start line on, or None (and keep a tail) if none yet."""
        if side == "server" and self._responses.our_state is h11.IDLE:
            self._scan[side] = b""  # nothing asked yet: whatever this answers is lost
            return None
        found = (_REQUEST_LINE if side == "client" else _STATUS_LINE).search(data)
        if found is None:
            self._scan[side] = data[-_SCAN_KEEP:]
            return None
        self._scan[side] = None
        return data[found.start(1) :]


@dataclass(slots=True)
class Pending:
    """An exchange of this connection not yet ended, and what its end will tell: how much of
    each body passed (the events already given out are not changed after)."""

    id: str
    response: Response | None = None
    request_bytes: int = 0
    response_bytes: int = 0
    rpc: RpcBody | None = None
    """While the body of a request that may be RPC passes: its first bytes."""
    operation: Operation | None = None

    def closed(
        self, timestamp: float | None, error: str | None = None, ended: bool = False
    ) -> ExchangeClosed:
        """Its end; `ended`: the response, if any, ended then."""
        return ExchangeClosed(
            self.id,
            timestamp,
            error=error,
            request_body_size=self.request_bytes or None,
            request_operation=self.operation,
            response_body_size=self.response_bytes if self.response is not None else None,
            response_ended=timestamp if ended and self.response is not None else None,
        )


class RpcBody:
    """The first `RPC_BODY_CAP` bytes of a POST body that may name an RPC operation."""

    __slots__ = ("content_encoding", "content_type", "data", "url")

    def __init__(self, url: str, content_type: str | None, content_encoding: str | None) -> None:
        self.url = url
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.data = bytearray()

    def take(self, data: bytes | bytearray) -> None:
        room = RPC_BODY_CAP - len(self.data)
        if room > 0:
            self.data += data[:room]

    def operation(self) -> Operation | None:
        data = bytes(self.data)
        return rpc_operation("POST", self.url, self.content_type, data, self.content_encoding)


class SessionOwner:
    """Where one WebSocket session's frame readers put what they read: the connection's
    model events, the batch of messages the next one joins, whether a close was seen."""

    __slots__ = (
        "batch",
        "client",
        "close_seen",
        "exchange_id",
        "frames",
        "key",
        "max_message",
        "out",
        "payloads",
        "server",
        "source",
    )

    def __init__(self, connection: HttpConnection | Http2Connection, exchange_id: str) -> None:
        self.source = connection.source
        self.key = connection.key
        self.client = connection.client
        self.server = connection.server
        self.out = connection.out
        self.max_message = connection.max_message
        self.frames = connection.frames
        self.exchange_id = exchange_id
        self.batch: WebSocketMessagesSeen | None = None
        """The last messages event given out, which the next message joins if it is still the
        last event in `out`."""
        self.payloads = _Payloads()
        self.close_seen = False

    def frame_events(self, side: Direction, events: list[FrameEvent], timestamp: float) -> None:
        """What a direction's frames gave besides messages: wire frames, notes, an error."""
        frames = self.frames
        for event in events:
            if isinstance(event, WireFrame):
                if frames is not None:
                    frames(side, event, timestamp)
            elif isinstance(event, FrameNote | FrameError):
                then = (
                    "RFC 6455 forbids it; read anyway"
                    if isinstance(event, FrameNote)
                    else f"the rest of the {side}'s frames were not read"
                )
                self.out.append(
                    SourceProblem(
                        self.source,
                        f"connection {self.client} -> {self.server}, exchange {self.exchange_id}: "
                        f"{side} WebSocket stream at byte {event.offset}: {event.message}; " + then,
                    )
                )
        events.clear()


class SessionFrames(FrameReader):
    """One direction of a WebSocket session: its messages straight into the model events of
    the connection, the other frame events handed to it in order.

    Messages that follow each other in the event list (nothing else came between them) go into
    one `WebSocketMessagesSeen`, both directions' alike: the same stream of events, fewer of
    them."""

    def __init__(
        self, owner: SessionOwner, exchange_id: str, side: Direction, deflate: bool, wire: bool
    ) -> None:
        super().__init__(side, deflate, owner.max_message, wire=wire)
        self.owner = owner
        self.exchange_id = exchange_id
        self.model = owner.out

    def _events(self, out: list[FrameEvent]) -> None:
        self.owner.frame_events(self.sender, out, self.timestamp)

    def _emit(
        self,
        out: list[FrameEvent],
        opcode: int,
        size: int,
        payload: bytes,
        compressed: bool,
        frames: int,
    ) -> None:
        owner = self.owner
        if out:  # wire frames or a note came first: keep the order
            owner.frame_events(self.sender, out, self.timestamp)
        if opcode == 8:
            owner.close_seen = True
        message = WebSocketMessage(self.sender, opcode, size, self.timestamp, compressed)
        model = self.model
        batch = owner.batch
        if model and model[-1] is batch:
            batch.messages.append(message)
            owner.payloads.raw.append(payload)
        else:
            payloads = owner.payloads = _Payloads(payload)
            owner.batch = WebSocketMessagesSeen(self.exchange_id, [message], payloads.get)
            model.append(owner.batch)

    def _emit_masked(self, out: list[FrameEvent], opcode: int, raw: bytes, mask: bytes) -> None:
        # The same as `_emit`, the payload unmasked only if someone asks for it.
        owner = self.owner
        if out:
            owner.frame_events(self.sender, out, self.timestamp)
        message = WebSocketMessage(self.sender, opcode, len(raw), self.timestamp)
        model = self.model
        batch = owner.batch
        if model and model[-1] is batch:
            batch.messages.append(message)
            payloads = owner.payloads
        else:
            payloads = owner.payloads = _Payloads()
            owner.batch = WebSocketMessagesSeen(self.exchange_id, [message], payloads.get)
            model.append(owner.batch)
        payloads.masks[len(payloads.raw)] = mask
        payloads.raw.append(raw)


class _Payloads:
    """The payloads of a batch of messages, in order; the masked ones are unmasked when asked
    for (most never are: the analyzer reads a few, the first client text and the close)."""

    __slots__ = ("masks", "raw")

    def __init__(self, *raw: bytes) -> None:
        self.raw = list(raw)
        self.masks: dict[int, bytes] = {}

    def get(self, index: int) -> bytes:
        """The payload of message `index`, unmasked."""
        mask = self.masks.get(index)
        return self.raw[index] if mask is None else unmask(self.raw[index], mask)
