"""HTTP/2 from packets: frames built with hyperframe and hpack, fed whole and a byte at a time."""

from __future__ import annotations

import base64
import gzip

import pytest
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from pushscope.inspector.events import ExchangeClosed, ExchangeOpened, ModelEvent, ResponseStarted
from pushscope.inspector.model import Direction, Protocol
from pushscope.inspector.pcap.http2 import MAX_HEADER_BLOCK, PREFACE, Http2Connection
from tests.pcap.builder import Conversation
from tests.pcap.helpers import analyzed, events, problems, summary

Piece = tuple[Direction, bytes]


class Peer:
    """One endpoint's encoder: frames with header blocks it compressed."""

    def __init__(self) -> None:
        self.encoder = Encoder()

    def headers(self, stream: int, headers: list[tuple[str, str]], *flags: str) -> bytes:
        frame = HeadersFrame(stream, self.encoder.encode(headers), flags={"END_HEADERS", *flags})
        return frame.serialize()


def _settings(**values: int) -> bytes:
    names = {"header_table_size": SettingsFrame.HEADER_TABLE_SIZE}
    return SettingsFrame(0, {names[k]: v for k, v in values.items()}).serialize()


def _request(path: str, method: str = "GET", **extra: str) -> list[tuple[str, str]]:
    return [
        (":method", method),
        (":scheme", "http"),
        (":authority", "example.com"),
        (":path", path),
        *((k.replace("_", "-"), v) for k, v in extra.items()),
    ]


def _feed(pieces: list[Piece], cut: int | None = None) -> list[ModelEvent]:
    connection = Http2Connection(0, "c1", "c:1", "s:2", midstream=False, max_message=1 << 20)
    at = 0.0
    for side, data in pieces:
        at += 1.0
        step = cut or len(data) or 1
        for i in range(0, len(data), step):
            connection.data(side, data[i : i + step], at)
    connection.close(at + 1, None)
    return connection.out


def _same_whole_and_bytewise(pieces: list[Piece]) -> list[tuple[object, ...]]:
    whole = summary(_feed(pieces))
    assert summary(_feed(pieces, cut=1)) == whole
    return whole


def _basic() -> list[Piece]:
    client, server = Peer(), Peer()
    first = client.headers(1, _request("/a"), "END_STREAM")
    block = client.encoder.encode(_request("/long", x_big="v" * 300))
    return [
        ("client", PREFACE + _settings()),
        ("server", _settings() + SettingsFrame(0, flags={"ACK"}).serialize()),
        ("client", first),
        # HEADERS with PRIORITY and padding, its block split over a CONTINUATION
        (
            "client",
            HeadersFrame(
                3,
                block[:100],
                flags={"PRIORITY", "PADDED", "END_STREAM"},
                pad_length=7,
                depends_on=1,
                stream_weight=16,
            ).serialize()
            + ContinuationFrame(3, block[100:], flags={"END_HEADERS"}).serialize(),
        ),
        ("server", server.headers(1, [(":status", "200"), ("content-type", "text/plain")])),
        ("server", DataFrame(1, b"hello ", flags={"PADDED"}, pad_length=3).serialize()),
        ("client", PingFrame(0, b"12345678").serialize() + WindowUpdateFrame(0, 1000).serialize()),
        ("server", DataFrame(1, b"world", flags={"END_STREAM"}).serialize()),
        ("server", server.headers(3, [(":status", "404")])),
        ("server", RstStreamFrame(3, error_code=8).serialize()),
    ]


def test_streams_are_exchanges_whole_or_byte_at_a_time() -> None:
    s = _same_whole_and_bytewise(_basic())
    assert s == [
        ("open", "0-c1-s1", "GET", "http://example.com/a"),
        ("open", "0-c1-s3", "GET", "http://example.com/long"),
        ("response", "0-c1-s1", 200),
        ("closed", "0-c1-s1", b"hello world", True),
        ("response", "0-c1-s3", 404),
        ("closed", "0-c1-s3", b"", False),
    ]
    found = _feed(_basic())
    opened = [e.exchange for e in found if isinstance(e, ExchangeOpened)]
    assert opened[0].request.http_version == "HTTP/2.0"
    assert ("x-big", "v" * 300) in opened[1].request.headers
    closed = [e for e in found if isinstance(e, ExchangeClosed)]
    assert closed[1].error == "stream reset by the server (CANCEL)"
    responses = [e.response for e in found if isinstance(e, ResponseStarted)]
    assert responses[0].http_version == "HTTP/2.0"
    assert responses[0].headers == (("content-type", "text/plain"),)


def _grpc(*sizes: int) -> bytes:
    return b"".join(b"\0" + n.to_bytes(4, "big") + b"m" * n for n in sizes)


def test_grpc_messages_span_frames_and_status_comes_from_trailers() -> None:
    client, server = Peer(), Peer()
    call = _request("/svc/Method", "POST", content_type="application/grpc", te="trailers")
    body = _grpc(3, 70000, 0)
    answer = _grpc(5, 6)
    pieces: list[Piece] = [
        ("client", PREFACE + _settings()),
        ("client", client.headers(1, call)),
        ("client", DataFrame(1, body[:4]).serialize() + DataFrame(1, body[4:9000]).serialize()),
        *(
            ("client", DataFrame(1, body[i : i + 16000]).serialize())
            for i in range(9000, len(body), 16000)
        ),
        ("client", DataFrame(1, b"", flags={"END_STREAM"}).serialize()),
        ("server", server.headers(1, [(":status", "200"), ("content-type", "application/grpc")])),
        ("server", DataFrame(1, answer[:7]).serialize() + DataFrame(1, answer[7:]).serialize()),
        (
            "server",
            server.headers(1, [("grpc-status", "5"), ("grpc-message", "not found")], "END_STREAM"),
        ),
        # a trailers-only response: the status in the only HEADERS
        ("client", client.headers(3, call, "END_STREAM")),
        ("server", server.headers(3, [(":status", "200"), ("grpc-status", "12")], "END_STREAM")),
    ]
    _same_whole_and_bytewise(pieces)
    closed = [e for e in _feed(pieces) if isinstance(e, ExchangeClosed)]
    first, second = (e.grpc for e in closed)
    assert first is not None and second is not None
    assert (first.status, first.message) == (5, "not found")
    assert (first.request_messages, first.response_messages) == (3, 2)
    assert (second.status, second.request_messages, second.response_messages) == (12, 0, 0)


def test_goaway_ends_streams_past_the_last_and_push_promise_is_an_exchange() -> None:
    client, server = Peer(), Peer()
    pieces: list[Piece] = [
        ("client", PREFACE + _settings()),
        ("client", client.headers(1, _request("/page"), "END_STREAM")),
        ("client", client.headers(3, _request("/other"), "END_STREAM")),
        (
            "server",
            PushPromiseFrame(
                1,
                promised_stream_id=2,
                data=server.encoder.encode(_request("/style.css")),
                flags={"END_HEADERS"},
            ).serialize(),
        ),
        ("server", server.headers(1, [(":status", "200")], "END_STREAM")),
        ("server", server.headers(2, [(":status", "200")], "END_STREAM")),
        ("server", GoAwayFrame(0, last_stream_id=1, error_code=0).serialize()),
    ]
    s = _same_whole_and_bytewise(pieces)
    assert [e[:2] for e in s if e[0] in ("open", "closed")] == [
        ("open", "0-c1-s1"),
        ("open", "0-c1-s3"),
        ("open", "0-c1-s2"),
        ("closed", "0-c1-s1"),
        ("closed", "0-c1-s2"),
        ("closed", "0-c1-s3"),
    ]
    closed = {e.exchange_id: e for e in _feed(pieces) if isinstance(e, ExchangeClosed)}
    assert closed["0-c1-s3"].error == "GOAWAY from the server (NO_ERROR)"


def test_settings_header_table_size_bounds_the_peer_decoder() -> None:
    """A client's SETTINGS lets the server's encoder shrink (or grow) its table; the decoder of
    the server's headers must follow, or a table size update past 4096 fails."""
    client, server = Peer(), Peer()
    server.encoder.header_table_size = 8192  # a size update to 8192 opens the next block
    pieces: list[Piece] = [
        ("client", PREFACE + _settings(header_table_size=8192)),
        ("client", client.headers(1, _request("/a"), "END_STREAM")),
        ("server", server.headers(1, [(":status", "200"), ("x-a", "1")], "END_STREAM")),
    ]
    assert problems(_feed(pieces)) == []
    pieces[0] = ("client", PREFACE + _settings())
    assert any("do not decode" in p for p in problems(_feed(pieces)))


def test_bad_input_is_one_problem_and_the_rest_goes_on() -> None:
    client, server = Peer(), Peer()
    # Garbage instead of the preface
    found = _feed([("client", b"\x16\x03\x01 not http/2 at all" * 3)])
    assert [p.split(": ", 1)[1] for p in problems(found)] == [
        "client stream: not the HTTP/2 connection preface; the rest of the client's frames "
        "were not read"
    ]
    # A frame whose length runs past the end of the capture, DATA on a stream never opened
    pieces: list[Piece] = [
        ("client", PREFACE + _settings()),
        ("client", client.headers(1, _request("/a"), "END_STREAM")),
        ("server", DataFrame(9, b"?").serialize()),
        ("server", server.headers(1, [(":status", "200")], "END_STREAM")),
        ("server", b"\x00\x10\x00\x00\x00\x00\x00\x00\x01" + b"x" * 10),
    ]
    found = _feed(pieces)
    assert [e[0] for e in summary(found)] == ["open", "problem", "response", "closed", "problem"]
    said = problems(found)
    assert "DATA on stream 9, which no request opened" in said[0]
    assert "the last 19 bytes are a frame cut short" in said[1]
    # A length past what the receiver allows: said, read anyway; then cut short at the end
    found = _feed([("client", PREFACE + b"\x00\x80\x00\x00\x00\x00\x00\x00\x01" + b"x" * 50)])
    assert [p.split("): ")[1] for p in problems(found)] == [
        "client stream: a frame of 32768 bytes at byte 24, more than the 16384 the receiver "
        "allows; read anyway",
        "client stream: the last 59 bytes are a frame cut short",
    ]
    # A header block larger than the cap: said, the stream ended, memory bounded
    huge = client.encoder.encode(
        _request("/h", x_huge="y" * (MAX_HEADER_BLOCK + 10)), huffman=False
    )
    pieces = [
        ("client", PREFACE + _settings()),
        ("client", HeadersFrame(1, huge[:16000]).serialize()),
        *(
            ("client", ContinuationFrame(1, huge[i : i + 16000]).serialize())
            for i in range(16000, len(huge), 16000)
        ),
    ]
    assert problems(_feed(pieces))[-1].endswith("client stream 1: a header block never ended")
    pieces.append(("client", ContinuationFrame(1, b"", flags={"END_HEADERS"}).serialize()))
    said = problems(_feed(pieces))
    assert len(said) == 1 and "a header block over 256 KiB" in said[0]


def test_data_where_it_cannot_be_is_said_as_for_any_frame() -> None:
    """DATA on stream 0, and DATA inside an unfinished header block, break the direction."""
    client = Peer()
    opened = [("client", PREFACE + _settings()), ("client", client.headers(1, _request("/a")))]
    zero = b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x"  # DATA, 1 byte, stream 0
    said = problems(_feed([*opened, ("client", zero)]))
    assert len(said) == 1 and "client stream: not an HTTP/2 frame at byte" in said[0]
    assert "Stream ID must be non-zero for DataFrame" in said[0]
    block = HeadersFrame(3, client.encoder.encode(_request("/b"))).serialize()  # no END_HEADERS
    said = problems(_feed([*opened, ("client", block + DataFrame(1, b"x").serialize())]))
    assert "a header block not followed by its CONTINUATION" in said[0]


def test_a_capture_that_starts_mid_connection_loses_the_hpack_table() -> None:
    client, server = Peer(), Peer()
    client.encoder.encode(_request("/earlier", cookie="c" * 40))  # the table the capture missed
    server.encoder.encode([(":status", "200"), ("x-earlier", "e" * 40)])
    pieces: list[Piece] = [
        ("client", client.headers(3, _request("/earlier", cookie="c" * 40), "END_STREAM")),
        ("server", server.headers(3, [(":status", "200")], "END_STREAM")),
        ("server", DataFrame(3, b"body").serialize()),
    ]
    connection = Http2Connection(0, "c1", "c:1", "s:2", midstream=True, max_message=1 << 20)
    for side, data in pieces:
        connection.data(side, data, 1.0)
    connection.close(2.0, None)
    said = problems(connection.out)
    assert len(said) == 1
    assert "HPACK state unknown (did the capture start mid-connection?)" in said[0]


def _h2_pcap(pieces: list[Piece]) -> bytes:
    conversation = Conversation().handshake()
    for side, data in pieces:
        conversation.send(side, data)
    return conversation.close().pcap()


def test_prior_knowledge_from_packets_and_sse(tmp_path: pytest.TempPathFactory) -> None:
    client, server = Peer(), Peer()
    sse = b"".join(f"data: tick {n}\n\n".encode() for n in range(3))
    pieces: list[Piece] = [
        ("server", _settings()),  # a server may speak first
        ("client", PREFACE + _settings()),
        ("client", client.headers(1, _request("/events", accept="text/event-stream"))),
        ("server", server.headers(1, [(":status", "200"), ("content-type", "text/event-stream")])),
        *(("server", DataFrame(1, sse[i : i + 14]).serialize()) for i in range(0, len(sse), 14)),
        ("server", DataFrame(1, b"", flags={"END_STREAM"}).serialize()),
    ]
    exchanges = analyzed(tmp_path, _h2_pcap(pieces))  # type: ignore[arg-type]
    (exchange,) = exchanges
    assert exchange.protocol is Protocol.SSE
    assert exchange.sse is not None
    assert [e.data for e in exchange.sse.events] == ["tick 0", "tick 1", "tick 2"]
    times = [e.timestamp for e in exchange.sse.events]
    assert times == sorted(times) and times[0] != times[-1]  # each from its own packet


def test_h2c_upgrade_hands_the_connection_over() -> None:
    client, server = Peer(), Peer()
    settings = base64.urlsafe_b64encode(_settings()[9:]).decode().rstrip("=")
    upgrade = (
        "GET /up HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        f"Upgrade: h2c\r\nHTTP2-Settings: {settings}\r\n\r\n"
    ).encode()
    pieces: list[Piece] = [
        ("client", upgrade),
        (
            "server",
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
        ),
        ("server", _settings() + server.headers(1, [(":status", "200")])),
        ("server", DataFrame(1, b"upgraded", flags={"END_STREAM"}).serialize()),
        ("client", PREFACE + _settings()),
        ("client", client.headers(3, _request("/next"), "END_STREAM")),
        ("server", server.headers(3, [(":status", "204")], "END_STREAM")),
    ]
    s = summary(events(_h2_pcap(pieces)))
    assert s == [
        ("open", "0-c1-1", "GET", "http://example.com/up"),
        ("response", "0-c1-1", 200),
        ("closed", "0-c1-1", b"upgraded", True),
        ("open", "0-c1-s3", "GET", "http://example.com/next"),
        ("response", "0-c1-s3", 204),
        ("closed", "0-c1-s3", b"", True),
    ]


def test_frames_are_read_where_they_lie() -> None:
    """Many DATA frames in one large piece: linear work (no quadratic buffer copies)."""
    client, server = Peer(), Peer()
    data = b"".join(DataFrame(1, b"z" * 100).serialize() for _ in range(20000))
    pieces: list[Piece] = [
        ("client", PREFACE + _settings() + client.headers(1, _request("/"), "END_STREAM")),
        ("server", server.headers(1, [(":status", "200")]) + data),
    ]
    s = summary(_feed(pieces, cut=65536))
    assert s[-1] == ("closed", "0-c1-s1", b"z" * 2_000_000, False)


def test_unknown_frame_types_are_skipped() -> None:
    client = Peer()
    extension = b"\x00\x00\x03\xfa\x00\x00\x00\x00\x00abc"
    pieces: list[Piece] = [
        ("client", PREFACE + extension + client.headers(1, _request("/"), "END_STREAM")),
    ]
    assert [e[0] for e in _same_whole_and_bytewise(pieces)] == ["open", "closed"]
    assert isinstance(Frame, type)


def test_a_capture_joined_mid_connection_is_read_as_http2() -> None:
    """No SYN, no preface: frames. The HPACK table is lost (said once); DATA of streams whose
    headers could not be read is not reported stream by stream."""
    client, server = Peer(), Peer()
    client.encoder.encode(_request("/before", cookie="k" * 30))
    conversation = Conversation()  # no handshake: the capture starts mid-connection
    conversation.send(
        "client", client.headers(5, _request("/before", cookie="k" * 30), "END_STREAM")
    )
    conversation.send("server", server.headers(5, [(":status", "200")]))
    conversation.send("server", DataFrame(5, b"x" * 20, flags={"END_STREAM"}).serialize())
    found = events(conversation.pcap())
    said = problems(found)
    assert len(said) == 1 and "(HTTP/2): client headers of stream 5 do not decode" in said[0]


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_graphql_operation_is_read_from_the_request_body(encoding: str | None) -> None:
    client, server = Peer(), Peer()
    body = b'{"query": "mutation Like { like(id: 1) }", "operationName": "Like"}'
    call = _request("/graphql", "POST", content_type="application/json")
    if encoding is not None:
        body = gzip.compress(body)
        call.append(("content-encoding", encoding))
    pieces: list[Piece] = [
        ("client", PREFACE + _settings() + client.headers(1, call)),
        ("client", DataFrame(1, body[:20]).serialize()),
        ("client", DataFrame(1, body[20:], flags={"END_STREAM"}).serialize()),
        ("server", server.headers(1, [(":status", "200")], "END_STREAM")),
    ]
    (closed,) = [e for e in _feed(pieces, cut=3) if isinstance(e, ExchangeClosed)]
    assert closed.request_operation is not None
    assert closed.request_operation[:3] == ("graphql", "Like", "mutation")
    assert closed.request_body_size == len(body)
