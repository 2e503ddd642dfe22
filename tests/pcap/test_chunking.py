"""However the bytes of a TCP stream are cut (a byte at a time, random pieces, other packet
sizes), the model events are the same as when they come whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushscope.inspector.events import ModelEvent, WebSocketMessagesSeen
from pushscope.inspector.model import Direction
from pushscope.inspector.pcap import h11_reader, http1
from pushscope.inspector.pcap.http1 import HttpConnection, SessionFrames, SessionOwner
from tests.conftest import fixture_path
from tests.pcap.builder import Conversation, ws_frame
from tests.pcap.helpers import events, summary

MASK = b"\x01\x02\x03\x04"
Piece = tuple[Direction, bytes, float]


def _conversation(mss: int) -> bytes:
    c = Conversation().handshake()
    c.send("client", b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", mss)
    c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", mss)
    c.send(
        "server", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", mss
    )
    c.send(
        "client",
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        mss,
    )
    c.send(
        "server",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" + ws_frame(1, b"hi"),
        mss,
    )
    c.send(
        "client", ws_frame(1, b"x" * 300, fin=False, mask=MASK) + ws_frame(9, b"", mask=MASK), mss
    )
    c.send("client", ws_frame(0, b"y" * 3, mask=MASK) + ws_frame(8, b"\x03\xe8", mask=MASK), mss)
    c.send("server", ws_frame(8, b"\x03\xe8"), mss)
    return c.close().pcap()


WHOLE = summary(events(_conversation(100_000)))


def test_whole_conversation_read() -> None:
    kinds = [e[0] for e in WHOLE]
    assert kinds.count("open") == 3 and kinds.count("ws") == 5
    assert [e[2] for e in WHOLE if e[0] == "closed"][:2] == [b"hello", b"abc"]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=200))
def test_any_packet_size_gives_the_same_events(mss: int) -> None:
    assert summary(events(_conversation(mss))) == WHOLE


def test_a_byte_per_packet() -> None:
    assert summary(events(_conversation(1))) == WHOLE


def _streams(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Piece]]:
    """The ordered pieces each HTTP connection of a capture was given, HTTP and frames."""
    seen: dict[str, list[Piece]] = {}
    client, server, take = (
        HttpConnection._client_bytes,
        HttpConnection._server_bytes,
        SessionFrames.take,
    )

    def recorder(side: Direction, sink: Callable[..., None]) -> Callable[..., None]:
        def record(self: object, buffer: bytes, start: int, end: int, timestamp: float) -> None:
            owner = self.owner if isinstance(self, SessionFrames) else self
            assert isinstance(owner, HttpConnection | SessionOwner)
            who = self.sender if isinstance(self, SessionFrames) else side
            seen.setdefault(owner.key, []).append((who, buffer[start:end], timestamp))
            sink(self, buffer, start, end, timestamp)

        return record

    with monkeypatch.context() as patch:
        patch.setattr(HttpConnection, "_client_bytes", recorder("client", client))
        patch.setattr(HttpConnection, "_server_bytes", recorder("server", server))
        patch.setattr(SessionFrames, "take", recorder("client", take))
        events(path.read_bytes())
    return seen


def _replay(key: str, pieces: list[Piece], cuts: list[int]) -> list[tuple[object, ...]]:
    connection = HttpConnection(0, key, "c:1", "s:2", midstream=False, max_message=1 << 20)
    for side, data, timestamp in pieces:
        start = 0
        for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
            if cut > start:
                connection.data(side, data[start:cut], timestamp)
                start = cut
    connection.close(pieces[-1][2], None)
    return summary(connection.out)


FIXTURES = [
    ("zeek", "http", "pipelined-requests.pcap"),
    ("zeek", "http", "100-continue.pcap"),
    ("zeek", "http", "docker-http-upgrade.pcap"),
    ("zeek", "websocket", "jupyter-websocket.pcap"),
    ("zeek", "websocket", "pr5646-websocket_compressed.pcap"),
    ("zeek", "websocket", "two-binary-fragments.pcap"),
    ("suricata-verify", "websocket-control-frag", "input.pcap"),
]


@pytest.mark.parametrize("parts", FIXTURES, ids=lambda p: p[-1] if p[-1] != "input.pcap" else p[1])
def test_fixture_streams_a_byte_at_a_time(
    parts: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = _streams(fixture_path(*parts), monkeypatch)
    assert streams
    for key, pieces in streams.items():
        whole = _replay(key, pieces, [])
        longest = max(len(data) for _, data, _ in pieces)
        assert _replay(key, pieces, list(range(longest))) == whole


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=30))
def test_fixture_streams_in_random_pieces(cuts: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    for parts in FIXTURES:
        for key, pieces in _streams(fixture_path(*parts), monkeypatch).items():
            assert _replay(key, pieces, cuts) == _replay(key, pieces, [])


UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
)


PIECES = [
    b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"\x81\x05hello",
    b"\xc1\x03abc",
    b"\x88\x02\x03\xe8",
]

MORE_HTTP = [
    b"GET /a HTTP/1.0\r\nHost: x\r\n\r\n",
    b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
    b"abc",
    b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
    b"HTTP/1.1 200 Connection established\r\n\r\n",
    b"HTTP/1.0 200 OK\r\n\r\nbody until close",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
]
SIDED_PIECES = st.lists(
    st.tuples(
        st.sampled_from(["client", "server"]),
        st.one_of(st.binary(max_size=60), st.sampled_from(PIECES + MORE_HTTP)),
    ),
    max_size=20,
)
"""Traffic as (side, bytes) pieces: known HTTP and WebSocket fragments and random bytes."""


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["client", "server"]),
            st.one_of(st.binary(max_size=200), st.sampled_from(PIECES)),
        ),
        max_size=20,
    ),
    st.booleans(),
    st.booleans(),
)
def test_garbage_never_raises(
    pieces: list[tuple[Direction, bytes]], upgrade: bool, end: bool
) -> None:
    connection = HttpConnection(0, "c1", "c:1", "s:2", midstream=not upgrade, max_message=1 << 16)
    if upgrade:
        connection.data("client", UPGRADE[0], 0.0)
        connection.data("server", UPGRADE[1], 0.0)
    for n, (side, data) in enumerate(pieces):
        connection.data(side, data, float(n))
        if end and n == len(pieces) // 2:
            connection.gap(side, 10, float(n), "test")
    connection.end("client", 99.0)
    connection.close(100.0, None)
    summary(connection.out)


def _send_mirror(conn: h11.Connection, event: h11_reader.Sent) -> None:
    """The mirror as h11's public API does it: the event rebuilt without its framing headers
    (no body is ever sent through the mirror), then `send`, which also writes its bytes."""
    framing = {b"content-length", b"transfer-encoding"}
    if isinstance(event, h11.Request):
        headers = [(k, v) for k, v in event.headers.raw_items() if k.lower() not in framing]
        event = h11.Request(
            method=event.method, target=event.target, headers=headers,
            http_version=event.http_version,
        )  # fmt: skip
    elif isinstance(event, h11.Response):
        headers = [(k, v) for k, v in event.headers.raw_items() if k.lower() not in framing]
        event = h11.Response(
            status_code=event.status_code, headers=headers, reason=event.reason,
            http_version=event.http_version,
        )  # fmt: skip
    if not isinstance(event, h11.EndOfMessage) and event.http_version != b"1.1":
        # `send` writes HTTP/1.1 only and refuses the rest; a capture's HTTP/1.0 moves the
        # state machine alone (tests/pcap/test_http1.py reads it end to end).
        try:
            conn._process_event(conn.our_role, event)
        except BaseException:
            conn._process_error(conn.our_role)
            raise
        return
    conn.send(event)


def _with_h11_itself(patch: pytest.MonkeyPatch) -> None:
    """The reader made of h11's own parts, none of `h11_reader`'s: h11's `Connection` (its
    writers made at each change of state), `send` for the mirror, `next_event` for every event;
    and a side's drain lets the other go on after any event read, a body's data too."""
    read = [0]

    def counted(conn: h11.Connection) -> object:
        event = conn.next_event()
        if event is not h11.NEED_DATA and event is not h11.PAUSED:
            read[0] += type(event) is not h11.ConnectionClosed
        return event

    def any_event(drain: Callable[[HttpConnection, float], bool]) -> object:
        def drained(self: HttpConnection, timestamp: float) -> bool:
            before = read[0]
            return drain(self, timestamp) or read[0] > before

        return drained

    patch.setattr(http1, "Receiver", h11.Connection)
    patch.setattr(http1, "mirror", _send_mirror)
    patch.setattr(http1, "next_event", counted)
    for name in ("_drain_requests", "_drain_responses"):
        patch.setattr(HttpConnection, name, any_event(getattr(HttpConnection, name)))


def _detailed(found: list[ModelEvent]) -> list[object]:
    """Every event in full, each WebSocket message with its time and payload."""
    out: list[object] = []
    for event in found:
        if isinstance(event, WebSocketMessagesSeen):
            out += [(event.exchange_id, m, event.payload(i)) for i, m in enumerate(event.messages)]
        else:
            out.append(repr(event))
    return out


@pytest.mark.pure_python  # it replaces HttpConnection methods, which compiled callers bypass
@settings(max_examples=300, deadline=None)
@given(SIDED_PIECES, st.booleans())
def test_same_events_as_with_h11_itself(pieces: list[tuple[Direction, bytes]], end: bool) -> None:
    """`h11_reader`'s mirror without writing, its reader-only connections, its `next_event`
    that keeps a body's data out of the state machine, and drains that wake the other side
    only for events that move a state machine: the same events as h11's own API gives."""

    def run() -> list[object]:
        connection = HttpConnection(0, "c1", "c:1", "s:2", midstream=False, max_message=1 << 16)
        for n, (side, data) in enumerate(pieces):
            connection.data(side, data, float(n))
        if end:
            connection.end("client", 99.0)
            connection.end("server", 99.0)
        connection.close(100.0, None)
        return _detailed(connection.out)

    ours = run()
    with pytest.MonkeyPatch.context() as patch:
        _with_h11_itself(patch)
        assert run() == ours


@pytest.mark.pure_python  # as above
def test_same_events_as_with_h11_itself_in_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    captures = [_conversation(100)] + [fixture_path(*parts).read_bytes() for parts in FIXTURES]
    ours = [_detailed(events(data)) for data in captures]
    _with_h11_itself(monkeypatch)
    assert [_detailed(events(data)) for data in captures] == ours
