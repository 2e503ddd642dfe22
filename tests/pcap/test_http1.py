"""HTTP/1.1 from packets: keep-alive, pipelining, chunked, 100-continue, upgrades, recovery."""

from __future__ import annotations

import struct
from pathlib import Path

from pushscope.inspector.events import BodyChunk, ExchangeClosed, ExchangeOpened
from pushscope.inspector.model import Protocol
from tests.pcap.builder import ACK, PSH, Conversation
from tests.pcap.helpers import analyzed, events, problems, summary


def _get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: example.com\r\n{extra}\r\n".encode()


def _ok(body: bytes, extra: str = "") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
    return head + body


def _kinds(found: list) -> list[str]:  # type: ignore[type-arg]
    return [e[0] for e in summary(found)]


def test_keep_alive_three_exchanges() -> None:
    c = Conversation().handshake()
    for n in range(3):
        c.send("client", _get(f"/n/{n}")).send("server", _ok(b"x" * n))
    s = summary(events(c.close().pcap()))
    assert [e for e in s if e[0] == "closed"] == [
        ("closed", f"0-c1-{n + 1}", b"x" * n, True) for n in range(3)
    ]


def test_pipelined_requests_answered_in_order() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/a") + _get("/b") + _get("/c"))
    c.send("server", _ok(b"A") + _ok(b"B") + _ok(b"C"))
    s = summary(events(c.close().pcap()))
    assert [e[3] for e in s if e[0] == "open"] == [f"http://example.com/{x}" for x in "abc"]
    assert [e[2] for e in s if e[0] == "closed"] == [b"A", b"B", b"C"]


def test_chunked_body_and_head() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/chunked"))
    c.send(
        "server", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
    )
    c.send("server", b"0\r\n\r\n")
    c.send("client", b"HEAD /h HTTP/1.1\r\nHost: example.com\r\n\r\n")
    c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n")
    c.send("client", _get("/after")).send("server", _ok(b"z"))
    s = summary(events(c.close().pcap()))
    assert [e[2] for e in s if e[0] == "closed"] == [b"abcde", b"", b"z"]


def test_expect_100_continue(tmp_path: Path) -> None:
    c = Conversation().handshake()
    c.send(
        "client",
        b"POST /up HTTP/1.1\r\nHost: example.com\r\n"
        b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    )
    c.send("server", b"HTTP/1.1 100 Continue\r\n\r\n")
    c.send("client", b"data")
    c.send("server", _ok(b"done"))
    c.send("client", _get("/next")).send("server", _ok(b"n"))
    found = events(c.close().pcap())
    s = summary(found)
    assert [e[2] for e in s if e[0] == "response"] == [200, 200]
    assert [e[2] for e in s if e[0] == "closed"] == [b"done", b"n"]
    closed = [e for e in found if isinstance(e, ExchangeClosed)]
    assert [e.request_body_size for e in closed] == [4, None]  # told at the end, once known
    post, _ = analyzed(tmp_path, c.pcap())
    assert post.request.body_size == 4
    assert post.response is not None and post.response.body_size == 4


def test_h2c_and_raw_upgrades_are_not_websocket(tmp_path: Path) -> None:
    """After a 101 to h2c the connection is read as HTTP/2 (tests/pcap/test_http2.py): bytes
    that are not HTTP/2 frames are said, and the upgraded request has no answer."""
    for target, protocol in (("h2c", Protocol.REST), ("tcp", Protocol.STREAM)):
        c = Conversation().handshake()
        c.send(
            "client",
            _get("/", f"Connection: Upgrade\r\nUpgrade: {target}\r\n"),
        )
        c.send(
            "server",
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
            + f"Upgrade: {target}\r\n\r\n".encode(),
        )
        c.send("server", b"\x00\x00\x12\x04\x00\x00\x00\x00\x00" + b"\x81\x05hello")  # not frames
        c.send("client", b"\x81\x05hello")
        (exchange,) = analyzed(tmp_path, c.close().pcap())
        assert exchange.protocol is protocol
        assert exchange.websocket is None
        if target == "h2c":
            assert exchange.response is None
            said = problems(events(c.pcap()))
            assert any(
                "(HTTP/2): client stream: not the HTTP/2 connection preface" in p for p in said
            )
        else:
            assert exchange.response is not None and exchange.response.status == 101


def test_sse_events_stamped_with_their_packets(tmp_path: Path) -> None:
    c = Conversation().handshake()
    c.send("client", _get("/events", "Accept: text/event-stream\r\n"))
    c.send(
        "server",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    times = []
    for n in range(3):
        event = f"id: {n}\ndata: tick {n}\n\n".encode()
        c.send("server", f"{len(event):x}\r\n".encode() + event + b"\r\n", step=5.0)
        times.append(c.time)
    c.send("server", b"0\r\n\r\n")
    (exchange,) = analyzed(tmp_path, c.close().pcap())
    assert exchange.protocol is Protocol.SSE and exchange.sse is not None
    assert [e.data for e in exchange.sse.events] == ["tick 0", "tick 1", "tick 2"]
    assert [e.timestamp for e in exchange.sse.events] == times


def test_capture_starting_mid_connection() -> None:
    c = Conversation()
    c.send("server", b"tail of an earlier body")  # no handshake seen: joined late
    c.send("client", b"ody of an earlier request\r\n" + _get("/late"))
    c.send("server", _ok(b"L"))
    s = summary(events(c.close().pcap()))
    assert [e for e in s if e[0] == "open"] == [
        ("open", "0-c1-1", "GET", "http://example.com/late")
    ]
    assert [e[2] for e in s if e[0] == "closed"] == [b"L"]


def test_gap_ends_the_exchange_and_reading_resumes() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/big"))
    body = b"y" * 5000
    c.send("server", _ok(body)[:1400])
    c.seq["server"] += 1400  # a segment never captured
    c.send("server", _ok(body)[2800:])
    # The client acknowledges the missing bytes: they were sent, only the capture lacks them.
    c.send("client", _get("/next")).send("server", _ok(b"ok"))
    found = events(c.close().pcap())
    assert any("1400 bytes the server sent are missing" in p for p in problems(found))
    s = summary(found)
    closed = [e for e in s if e[0] == "closed"]
    assert closed[0][3] is False  # ended with an error
    assert closed[-1] == ("closed", "0-c1-2", b"ok", True)


def test_out_of_order_and_retransmitted_segments() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/x"))
    data = _ok(b"0123456789" * 300)
    start = c.seq["server"]
    pieces = [(start + i, data[i : i + 500]) for i in range(0, len(data), 500)]
    for seq, piece in [pieces[1], pieces[0], pieces[0], *pieces[2:][::-1], pieces[3]]:
        c.segment("server", ACK | PSH, piece, seq=seq)
    c.seq["server"] += len(data)
    s = summary(events(c.close().pcap()))
    assert [e[2] for e in s if e[0] == "closed"] == [b"0123456789" * 300]


def test_garbage_and_huge_headers_are_problems_not_crashes() -> None:
    c = Conversation().handshake()
    c.send("client", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    c.send("client", _get("/after")).send("server", _ok(b"fine"))
    found = events(c.close().pcap())
    assert any("not valid HTTP/1.1" in p for p in problems(found))
    assert [e[2] for e in summary(found) if e[0] == "closed"][-1] == b"fine"
    c = Conversation().handshake()
    c.send("client", _get("/")).send("server", b"HTTP/1.1 2OO garbage\r\n\r\n" + bytes(range(256)))
    assert problems(events(c.close().pcap()))


def test_response_read_until_close_and_connection_cut() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/stream"))
    c.send("server", b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart one ")
    c.send("server", b"part two")
    found = events(c.close().pcap())
    assert [e[2] for e in summary(found) if e[0] == "closed"] == [b"part one part two"]
    c = Conversation().handshake()
    c.send("client", _get("/cut")).send("server", _ok(b"z" * 100)[:-50])  # capture ends here
    s = summary(events(c.pcap()))
    assert s[-1][0] == "closed" and s[-1][3] is False


def test_tls_listed_with_its_sni(tmp_path: Path) -> None:
    name = b"api.example.com"
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(sni)) + sni
    hello = b"\x03\x03" + b"r" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    hello += struct.pack("!H", len(extensions)) + extensions
    handshake = b"\x01" + len(hello).to_bytes(3) + hello
    record = b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake
    c = Conversation(server=(b"\x0a\x00\x00\x02", 443)).handshake()
    c.send("client", record).send("server", b"\x16\x03\x03\x00\x05hello").close()
    (exchange,) = analyzed(tmp_path, c.pcap())
    assert exchange.tls_sni == "api.example.com"
    assert exchange.request.method == "CONNECT" and exchange.request.url == "api.example.com:443"
    assert exchange.evidence[0] == "TLS to api.example.com: encrypted, not decrypted"
    assert "SSLKEYLOGFILE" in exchange.evidence[1] and "--keylog" in exchange.evidence[1]
    assert exchange.error is None


def test_body_chunks_carry_packet_times() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/slow"))
    c.send("server", b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc")
    first = c.time
    c.send("server", b"def", step=3.0)
    second = c.time
    chunks = [e for e in events(c.close().pcap()) if isinstance(e, BodyChunk)]
    assert [(e.data, e.timestamp) for e in chunks] == [(b"abc", first), (b"def", second)]


def test_pipelined_bytes_waiting_are_bounded() -> None:
    c = Conversation().handshake()
    c.send("client", _get("/first"))
    c.send(
        "client", b"".join(_get(f"/p/{n}", "X-Pad: " + "p" * 1000 + "\r\n") for n in range(9000))
    )
    found = events(c.close().pcap())
    assert any("MiB waiting to be parsed" in p for p in problems(found))


def test_http_1_0_is_read_too() -> None:
    """HTTP/1.0: no keep-alive, the response body runs to the close of the connection."""
    c = Conversation().handshake()
    c.send("client", b"GET /old HTTP/1.0\r\nHost: example.com\r\n\r\n")
    c.send("server", b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, 1996")
    found = events(c.close().pcap())
    assert problems(found) == []
    (opened,) = [e for e in found if isinstance(e, ExchangeOpened)]
    assert opened.exchange.request.http_version == "HTTP/1.0"
    assert b"".join(e.data for e in found if isinstance(e, BodyChunk)) == b"hello, 1996"
