"""One TCP connection's HTTP/2 traffic, both directions, into model events (sans-IO).

Passive: each direction is cut into frames and its header blocks decoded by an HPACK decoder
of its own, whose table size the other side's SETTINGS bound. A DATA frame on a stream, not
padded and not inside a header block (most frames), is read from its header here; every other
frame is parsed by `hyperframe`. Flow control,
PING and priorities are ignored. Each stream is one exchange, fed through the same events as
an HTTP/1.1 one; a gRPC stream's messages are counted per direction and its status read from
the trailers; an extended CONNECT to `websocket` (RFC 8441) answered 200 reads the stream's
DATA as WebSocket frames.

A direction that stops making sense (not frames, a header block HPACK cannot decode, as when
the capture starts mid-connection) is said once, as one problem of the connection; the other
direction and the streams already known go on.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass, field

from hpack import Decoder
from hpack.exceptions import HPACKError
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
)

from pushscope.inspector.events import (
    BodyChunk,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
)
from pushscope.inspector.grpc import GrpcMessageCounter
from pushscope.inspector.model import (
    Direction,
    Exchange,
    GrpcCall,
    Headers,
    Request,
    Response,
    TlsInfo,
)
from pushscope.inspector.operations import rpc_body_wanted, rpc_operation
from pushscope.inspector.pcap.http1 import (
    FrameObserver,
    Pending,
    RpcBody,
    SessionFrames,
    SessionOwner,
)
from pushscope.inspector.pcap.tcp import StreamReassembler, ignore
from pushscope.inspector.readers.base import StringPool
from pushscope.inspector.websocket import negotiated_extensions

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP2 = "HTTP/2.0"
MAX_HEADER_BLOCK = 256 << 10
"""Bytes one header block (HEADERS + CONTINUATION) may hold; past this the direction's HPACK
state is lost and its later headers unread."""
_MAX_FRAME = (1 << 24) - 1
_DEFAULT_FRAME = 1 << 14
"""SETTINGS_MAX_FRAME_SIZE until a receiver's SETTINGS raise it (RFC 9113 6.5.2)."""
_COMPACT = 1 << 16
"""Consumed bytes kept at the front of a direction's buffer before they are dropped."""
_HEADER = struct.Struct("!BHBBL")
"""A frame header: length (24 bits, as 8 + 16), type, flags, R bit and stream id."""
_DATA, _END_STREAM, _PADDED = 0, 0x1, 0x8
_ERRORS = {
    0: "NO_ERROR",
    1: "PROTOCOL_ERROR",
    2: "INTERNAL_ERROR",
    3: "FLOW_CONTROL_ERROR",
    4: "SETTINGS_TIMEOUT",
    5: "STREAM_CLOSED",
    6: "FRAME_SIZE_ERROR",
    7: "REFUSED_STREAM",
    8: "CANCEL",
    9: "COMPRESSION_ERROR",
    10: "CONNECT_ERROR",
    11: "ENHANCE_YOUR_CALM",
    12: "INADEQUATE_SECURITY",
    13: "HTTP_1_1_REQUIRED",
}

_pooled = StringPool()


def error_name(code: int) -> str:
    """An HTTP/2 error code as RFC 9113 names it."""
    return _ERRORS.get(code, f"error 0x{code:x}")


@dataclass(slots=True)
class _Stream:
    """One stream of the connection: its exchange while it is open."""

    pending: Pending
    grpc: tuple[GrpcMessageCounter, GrpcMessageCounter] | None = None
    grpc_status: int | None = None
    grpc_message: str | None = None
    websocket: bool = False
    """Extended CONNECT to websocket (RFC 8441): the DATA is a WebSocket byte stream."""
    readers: dict[Direction, SessionFrames] = field(default_factory=dict)
    owner: SessionOwner | None = None


class Http2Connection:
    """Feed it the connection's ordered bytes per direction; take model events from `out`.

    The same interface as `HttpConnection`: the bytes come through the sinks of `streams`,
    or through `data()` from a layer beneath (decrypted TLS)."""

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
        """The TLS connection the bytes were decrypted from, if any."""
        self.key = key
        self.client = client
        self.server = server
        self.max_message = max_message
        self.frames = frames
        self.out: list[ModelEvent] = []
        self._buffers: dict[Direction, bytearray] = {"client": bytearray(), "server": bytearray()}
        self._offsets: dict[Direction, int] = {"client": 0, "server": 0}
        self._times: dict[Direction, float] = {"client": 0.0, "server": 0.0}
        self._preface = not midstream
        """The client's bytes begin with the connection preface (unless joined midway)."""
        self._decoders: dict[Direction, Decoder] = {"client": Decoder(), "server": Decoder()}
        for decoder in self._decoders.values():
            decoder.max_header_list_size = MAX_HEADER_BLOCK
        self._max_frame: dict[Direction, int] = {
            side: _MAX_FRAME if midstream else _DEFAULT_FRAME for side in ("client", "server")
        }
        """The largest frame each side may send: what the other side's SETTINGS allow (not
        known when the capture starts midway)."""
        self._oversize: set[Direction] = set()
        self._hpack_lost: set[Direction] = set()
        self._broken: set[Direction] = set()
        self._block: dict[Direction, tuple[Frame, bytearray] | None] = {
            "client": None,
            "server": None,
        }
        self._streams: dict[int, _Stream] = {}
        self._unknown = 0
        self._highest = [0, 0]
        """The highest stream id opened, server-pushed (even) and client-opened (odd)."""
        self._closed = False
        self.streams: dict[Direction, StreamReassembler] = streams if streams is not None else {
            "client": StreamReassembler(),
            "server": StreamReassembler(),
        }  # fmt: skip
        self.streams["client"].sink = self._client_bytes
        self.streams["server"].sink = self._server_bytes

    # --- input -------------------------------------------------------------------------------

    def _client_bytes(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self.data("client", buffer, timestamp, start, end)

    def _server_bytes(self, buffer: bytes, start: int, end: int, timestamp: float) -> None:
        self.data("server", buffer, timestamp, start, end)

    def take_over(self, side: Direction, data: bytes, timestamp: float) -> None:
        """Bytes that followed an `h2c` upgrade on `side`, read before the sinks were set."""
        if data:
            self.data(side, data, timestamp)

    def upgraded(self, pending: Pending, settings: str | None) -> None:
        """The connection was upgraded from HTTP/1.1 (`h2c`): `pending`, the request that asked,
        is stream 1; `settings`, its `HTTP2-Settings` header (the client's SETTINGS)."""
        pending.response = None
        self._streams[1] = _Stream(pending)
        self._highest[1] = 1
        if settings:
            frame = SettingsFrame(0)
            try:
                frame.parse_body(memoryview(base64.urlsafe_b64decode(settings + "==")))
            except (HyperframeError, ValueError) as e:
                self._problem(f"HTTP2-Settings of the upgrade request does not parse: {e}")
                return
            self._frame("client", frame, 0.0)

    def gap(self, side: Direction, size: int, timestamp: float, where: str) -> None:
        """`size` bytes `side` sent are missing: its frames (and HPACK state) are lost."""
        self._problem(f"{where}: {size} bytes the {side} sent are missing (TCP gap)")
        self._break(side, "bytes missing from the capture")

    def end(self, side: Direction, timestamp: float) -> None:
        """`side` closed its half of the connection (FIN)."""

    def close(self, timestamp: float, error: str | None) -> None:
        """The connection is over: a frame cut short is said, open streams end."""
        if self._closed:
            return
        self._closed = True
        for side in ("client", "server"):
            left = len(self._buffers[side]) - self._offsets[side]
            if left and side not in self._broken:
                self._problem(f"{side} stream: the last {left} bytes are a frame cut short")
            block = self._block[side]
            if block is not None:
                self._problem(f"{side} stream {block[0].stream_id}: a header block never ended")
        reason = error or "connection closed before the stream ended"
        for number in list(self._streams):
            self._end_stream(number, timestamp, reason)
        for stream in self.streams.values():
            stream.sink = ignore
        self._buffers = {"client": bytearray(), "server": bytearray()}

    # --- frames ------------------------------------------------------------------------------

    def data(
        self, side: Direction, buffer: bytes, at: float, start: int = 0, end: int | None = None
    ) -> None:
        """In-order bytes `side` sent, `buffer[start:end]`, in a packet captured at `at` (what
        the sink of `streams[side]` is given, while the connection is open)."""
        if side in self._broken or self._closed:
            return
        if end is None:
            end = len(buffer)
        self._times[side] = at
        data = self._buffers[side]
        offset = self._offsets[side]
        if data or (self._preface and side == "client"):
            data += memoryview(buffer)[start:end]
            source: bytes | bytearray = data
            base, stop = 0, len(data)
        else:  # nothing held: the frames are read where they lie, what is left kept after
            source = buffer
            base = offset = start
            stop = end
        if side == "client" and self._preface and source is data:
            if len(data) - offset < len(PREFACE):
                if not PREFACE.startswith(bytes(data[offset:])):
                    self._break(side, "not the HTTP/2 connection preface")
                return
            if data[offset : offset + len(PREFACE)] != PREFACE:
                self._break(side, "not the HTTP/2 connection preface")
                return
            offset += len(PREFACE)
            self._preface = False
        held = source is data
        view = memoryview(source)
        unpack = _HEADER.unpack_from
        blocks = self._block
        largest = self._max_frame[side]  # (only the other side's SETTINGS change it)
        broken = self._broken
        try:
            while stop - offset >= 9 and side not in broken:
                high, low, kind, flags, number = unpack(source, offset)
                length = high << 16 | low
                number &= 0x7FFFFFFF
                frame: Frame | None = None
                if kind != _DATA or not number or flags & _PADDED or blocks[side]:
                    try:
                        frame, _ = Frame.parse_frame_header(view[offset : offset + 9])
                    except HyperframeError as e:
                        self._break(side, f"not an HTTP/2 frame at byte {offset - base}: {e}")
                        break
                if length > largest and side not in self._oversize:
                    self._oversize.add(side)  # (said once: a sender that does it, does it again)
                    self._problem(
                        f"{side} stream: a frame of {length} bytes at byte {offset - base}, more "
                        f"than the {largest} the receiver allows; read anyway"
                    )
                if stop - offset - 9 < length:
                    break
                if frame is None:  # DATA of a stream, read here
                    first = offset + 9
                    offset = first + length
                    payload = bytes(view[first:offset]) if held else buffer[first:offset]
                    self._data(side, number, payload, flags & _END_STREAM != 0, at)
                    continue
                try:
                    frame.parse_body(view[offset + 9 : offset + 9 + length])
                except (HyperframeError, ValueError) as e:
                    self._break(side, f"a {type(frame).__name__} that does not parse: {e}")
                    break
                offset += 9 + length
                self._frame(side, frame, at)
        finally:
            view.release()
        if side in self._broken:
            return
        if not held:  # keep the rest as if all of it had been appended
            if offset == stop:
                return
            if offset - base >= _COMPACT:
                data += memoryview(source)[offset:stop]
                offset = 0
            else:
                data += memoryview(source)[base:stop]
                offset -= base
        elif offset >= _COMPACT or offset == len(data):
            del data[:offset]
            offset = 0
        self._offsets[side] = offset

    def _frame(self, side: Direction, frame: Frame, at: float) -> None:
        block = self._block[side]
        if block is not None:
            if not isinstance(frame, ContinuationFrame) or frame.stream_id != block[0].stream_id:
                self._break(side, "a header block not followed by its CONTINUATION")
                return
            self._fragment(side, block[0], block[1], frame.data, "END_HEADERS" in frame.flags, at)
            return
        match frame:
            case DataFrame():
                self._data(side, frame.stream_id, frame.data, "END_STREAM" in frame.flags, at)
            case HeadersFrame() | PushPromiseFrame():
                self._fragment(
                    side, frame, bytearray(), frame.data, "END_HEADERS" in frame.flags, at
                )
            case SettingsFrame():
                size = frame.settings.get(SettingsFrame.HEADER_TABLE_SIZE)
                peer: Direction = "server" if side == "client" else "client"
                if size is not None:  # bounds what the peer's encoder may use
                    self._decoders[peer].max_allowed_table_size = size
                largest = frame.settings.get(SettingsFrame.MAX_FRAME_SIZE)
                if largest is not None and _DEFAULT_FRAME <= largest <= _MAX_FRAME:
                    self._max_frame[peer] = largest
            case RstStreamFrame():
                self._end_stream(
                    frame.stream_id,
                    at,
                    f"stream reset by the {side} ({error_name(frame.error_code)})",
                )
            case GoAwayFrame():
                self._goaway(side, frame, at)
            case ContinuationFrame():
                self._break(side, "a CONTINUATION with no header block open")
            # PING, WINDOW_UPDATE, PRIORITY and unknown types carry nothing read here.

    def _fragment(
        self,
        side: Direction,
        first: Frame,
        block: bytearray,
        data: bytes,
        complete: bool,
        at: float,
    ) -> None:
        if len(block) + len(data) > MAX_HEADER_BLOCK:
            self._block[side] = None if complete else (first, bytearray())
            self._hpack_lost.add(side)
            self._problem(
                f"{side} stream {first.stream_id}: a header block over "
                f"{MAX_HEADER_BLOCK >> 10} KiB; the {side}'s later headers are not read"
            )
            self._end_stream(first.stream_id, at, "header block too large")
            return
        if side not in self._hpack_lost:  # (else only the block's end matters)
            block += data
        if not complete:
            self._block[side] = (first, block)
            return
        self._block[side] = None
        if side in self._hpack_lost:
            self._headerless(side, first)
            return
        try:
            raw = self._decoders[side].decode(bytes(block), raw=True)
        except (HPACKError, ValueError, IndexError) as e:
            self._hpack_lost.add(side)
            self._problem(
                f"{side} headers of stream {first.stream_id} do not decode ({type(e).__name__}: "
                f"{e}); HPACK state unknown (did the capture start mid-connection?), the "
                f"{side}'s later headers are not read"
            )
            self._headerless(side, first)
            return
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in raw]
        if isinstance(first, PushPromiseFrame):
            self._request(first.promised_stream_id, headers, at, pushed=True)
            return
        ends = "END_STREAM" in first.flags
        stream = self._streams.get(first.stream_id)
        if side == "client":
            if stream is None:
                self._request(first.stream_id, headers, at)
                if ends:
                    self._request_done(first.stream_id)
            elif ends:  # trailers
                self._request_done(first.stream_id)
            return
        if stream is None:
            if "client" not in self._hpack_lost:  # (else its request was not read)
                self._unknown_stream(first.stream_id, "HEADERS")
            return
        if stream.pending.response is None:
            self._response(stream, headers, at)
        else:
            self._trailers(stream, headers)
        if ends and first.stream_id in self._streams:
            self._end_stream(first.stream_id, at, None, ended=True)

    def _headerless(self, side: Direction, frame: Frame) -> None:
        """Headers that could not be read: a stream they end is ended, unanswered."""
        if "END_STREAM" in frame.flags and side == "server":
            self._end_stream(frame.stream_id, self._times[side], "response headers not read")

    # --- streams -----------------------------------------------------------------------------

    def _request(
        self, number: int, headers: list[tuple[str, str]], at: float, pushed: bool = False
    ) -> None:
        pseudo = {n: v for n, v in headers if n.startswith(":")}
        regular: Headers = tuple((_pooled(n), v) for n, v in headers if not n.startswith(":"))
        method = _pooled(pseudo.get(":method", "GET"))
        authority = pseudo.get(":authority") or next(
            (v for n, v in regular if n == "host"), self.server
        )
        protocol = pseudo.get(":protocol")
        if method == "CONNECT" and protocol is None:
            url = authority
        else:
            scheme = pseudo.get(":scheme", "http")
            url = f"{scheme}://{authority}{pseudo.get(':path', '/')}"
        request = Request(
            method=method,
            url=url,
            http_version=HTTP2,
            headers=regular,
            timestamp_start=at,
            operation=rpc_operation(method, url, None, None) if method == "GET" else None,
        )
        if number in self._streams:
            self._end_stream(number, at, "stream id used again")
        exchange = Exchange(
            id=f"{self.source}-{self.key}-s{number}",
            source=self.source,
            request=request,
            client=self.client,
            server=self.server,
        )
        if self.tls is not None:
            exchange.tls, exchange.tls_sni = self.tls, self.tls.sni
        if pushed:
            exchange.evidence.append(f"pushed by the server (PUSH_PROMISE on stream {number})")
        pending = Pending(exchange.id)
        stream = self._streams[number] = _Stream(pending)
        self._highest[number % 2] = max(self._highest[number % 2], number)
        content_type = next((v for n, v in regular if n == "content-type"), None)
        if content_type is not None and content_type.lower().startswith("application/grpc"):
            stream.grpc = (GrpcMessageCounter(), GrpcMessageCounter())
        elif method == "POST" and rpc_body_wanted(method, url, content_type):
            encoding = next((v for n, v in regular if n == "content-encoding"), None)
            pending.rpc = RpcBody(url, content_type, encoding)
        stream.websocket = method == "CONNECT" and (protocol or "").lower() == "websocket"
        self.out.append(ExchangeOpened(exchange, websocket_hint=stream.websocket))

    def _request_done(self, number: int) -> None:
        stream = self._streams.get(number)
        if stream is not None and stream.pending.rpc is not None:
            stream.pending.operation = stream.pending.rpc.operation()
            stream.pending.rpc = None

    def _response(self, stream: _Stream, headers: list[tuple[str, str]], at: float) -> None:
        status_text = next((v for n, v in headers if n == ":status"), "")
        if not (status_text.isdigit() and len(status_text) == 3):
            self._problem(f"exchange {stream.pending.id}: response with no valid :status")
            return
        status = int(status_text)
        if 100 <= status < 200:
            return  # informational: the final response follows
        regular: Headers = tuple((_pooled(n), v) for n, v in headers if not n.startswith(":"))
        response = Response(
            status=status, reason="", http_version=HTTP2, headers=regular, timestamp_start=at
        )
        stream.pending.response = response
        self.out.append(ResponseStarted(stream.pending.id, response))
        if stream.grpc is not None:
            self._trailers(stream, headers)  # a trailers-only response
        if stream.websocket and status == 200:
            owner = stream.owner = SessionOwner(self, stream.pending.id)
            deflate = any(
                ext.split(";", 1)[0].strip().lower() == "permessage-deflate"
                for ext in negotiated_extensions(regular)
            )
            stream.readers = {
                side: SessionFrames(
                    owner, stream.pending.id, side, deflate, self.frames is not None
                )
                for side in ("client", "server")
            }

    def _trailers(self, stream: _Stream, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name == "grpc-status" and value.isdigit():
                stream.grpc_status = int(value)
            elif name == "grpc-message":
                stream.grpc_message = value

    def _data(self, side: Direction, number: int, payload: bytes, end: bool, at: float) -> None:
        stream = self._streams.get(number)
        if stream is None:
            if number == 0 or "client" not in self._hpack_lost:
                self._unknown_stream(number, "DATA")
            return
        pending = stream.pending
        if stream.readers:
            if payload:
                stream.readers[side].take(payload, 0, len(payload), at)
        elif side == "client":
            pending.request_bytes += len(payload)
            if pending.rpc is not None:
                pending.rpc.take(payload)
        elif pending.response is not None:
            pending.response_bytes += len(payload)
            if payload:
                self.out.append(BodyChunk(pending.id, payload, at))
        if stream.grpc is not None:
            stream.grpc[0 if side == "client" else 1].feed(payload)
        if end:
            if side == "client":
                self._request_done(number)
            else:
                self._end_stream(number, at, None, ended=True)

    def _end_stream(
        self, number: int, at: float | None, error: str | None, ended: bool = False
    ) -> None:
        stream = self._streams.pop(number, None)
        if stream is None:
            return
        if stream.readers:
            if error is None and (stream.owner is None or not stream.owner.close_seen):
                error = "stream ended without a WebSocket close frame"
            elif error is not None and stream.owner is not None and stream.owner.close_seen:
                error = None
        closed = stream.pending.closed(at, error, ended=ended and not stream.readers)
        if stream.grpc is not None:
            closed.grpc = GrpcCall(
                status=stream.grpc_status,
                message=stream.grpc_message,
                request_messages=stream.grpc[0].count,
                response_messages=stream.grpc[1].count,
            )
            closed.stream_records = stream.grpc[1].count
        self.out.append(closed)
        stream.readers = {}
        stream.owner = None

    def _goaway(self, side: Direction, frame: GoAwayFrame, at: float) -> None:
        """Streams the sender will not process past `last_stream_id` end; the rest go on."""
        why = f"GOAWAY from the {side} ({error_name(frame.error_code)})"
        if frame.error_code:
            extra = bytes(frame.additional_data[:200]).decode("utf-8", "replace")
            self._problem(f"{why}" + (f": {extra}" if extra else ""))
        for number in [n for n in self._streams if n > frame.last_stream_id]:
            self._end_stream(number, at, why)

    # --- problems ----------------------------------------------------------------------------

    def _unknown_stream(self, number: int, kind: str) -> None:
        if 0 < number <= self._highest[number % 2]:
            return  # a stream that ended (a reset's answer may still be under way)
        self._unknown += 1
        if self._unknown == 1:  # once per connection
            self._problem(f"{kind} on stream {number}, which no request opened; ignored")

    def _break(self, side: Direction, why: str) -> None:
        if side in self._broken:
            return
        self._broken.add(side)
        self._buffers[side] = bytearray()
        self._offsets[side] = 0
        self._problem(f"{side} stream: {why}; the rest of the {side}'s frames were not read")

    def _problem(self, what: str) -> None:
        self.out.append(
            SourceProblem(
                self.source, f"connection {self.client} -> {self.server} (HTTP/2): {what}"
            )
        )


__all__ = ["HTTP2", "PREFACE", "Http2Connection", "error_name"]
