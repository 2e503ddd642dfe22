"""HTTP/2 in third-party and generated captures, HPACK conformance material through our wiring,
and stream and status counts cross-checked with tshark where it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hpack import Encoder
from hyperframe.frame import HeadersFrame, SettingsFrame

from pushscope.inspector.events import (
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    SourceProblem,
    WebSocketMessagesSeen,
)
from pushscope.inspector.model import Direction, Protocol
from pushscope.inspector.pcap.http2 import PREFACE, Http2Connection
from pushscope.inspector.report.json_report import exchange_dict
from tests.conftest import fixture_path
from tests.pcap.helpers import analyzed, events, problems


def _read(*parts: str) -> list[ModelEvent]:
    return events(fixture_path(*parts).read_bytes())


def _h2_problems(found: list[ModelEvent]) -> list[str]:
    return [p for p in problems(found) if "(HTTP/2)" in p]


# --- suricata-verify ------------------------------------------------------------------------


def test_continuation_header_block() -> None:
    """suricata-verify http2-continuation: the request's 7th header comes in a CONTINUATION."""
    found = _read("suricata-verify", "http2-continuation", "input.pcap")
    (opened,) = [e.exchange for e in found if isinstance(e, ExchangeOpened)]
    name = "namenamenamenamenamenamenamenamenamename"
    assert (name, "valuevalue" * 10) in opened.request.headers
    assert _h2_problems(found) == []


def test_goaway_error_code_on_a_grpc_call() -> None:
    """suricata-verify http2-errorcode: a gRPC call through a proxy, then GOAWAY INTERNAL_ERROR."""
    found = _read("suricata-verify", "http2-errorcode", "input.pcap")
    assert [p.split("): ")[1] for p in _h2_problems(found)] == [
        "GOAWAY from the client (INTERNAL_ERROR)"
    ]
    (closed,) = [e for e in found if isinstance(e, ExchangeClosed) and e.grpc is not None]
    assert closed.grpc is not None
    assert (closed.grpc.request_messages, closed.grpc.response_messages) == (1, 1)


@pytest.mark.parametrize(
    ("folder", "name", "statuses"),
    [
        ("http2-range", "http2-range.pcap", [206] * 5),  # five h2c upgrades
        ("http2-deflate", "http2_deflate.pcap", [200]),  # h2c upgrade
        ("http2-keywords2", "input.pcap", [200, 404]),  # h2c upgrade, then stream 3
        ("http2-keywords", "input.pcap", [200] * 6),
        ("http2-userinfo-authority", "http2_userinfo_in_authority_1.pcap", [400]),
        ("http2-authority-mismatch", "authority_and_host_2.pcap", [403]),
        ("http2-bugfixes", "input.pcap", [200] * 4),
        ("http2-compression-bug", "input.pcap", [200] * 5),
        ("dns-over-http2", "dns_over_https.pcap", [200] * 3),
    ],
)
def test_suricata_captures(folder: str, name: str, statuses: list[int]) -> None:
    found = _read("suricata-verify", folder, name)
    seen = sorted(e.response.status for e in found if isinstance(e, ResponseStarted))
    assert seen == statuses
    assert _h2_problems(found) == []
    versions = {e.response.http_version for e in found if isinstance(e, ResponseStarted)}
    assert "HTTP/2.0" in versions  # (http2-range also has plain HTTP/1.1 range requests)


def test_a_frame_longer_than_allowed_is_said_and_read() -> None:
    """suricata-verify http2-long-frame: a 70000-byte DATA frame (the default maximum is
    16384), then a request Suricata still sees."""
    found = _read("suricata-verify", "http2-long-frame", "input.pcap")
    (said,) = _h2_problems(found)
    assert "server stream: a frame of 70000 bytes" in said and said.endswith("read anyway")
    urls = [e.exchange.request.url for e in found if isinstance(e, ExchangeOpened)]
    assert urls == ["https://target.com/", "https://evil.com/malware/payload.exe"]


def test_h2c_upgrade_request_is_stream_one() -> None:
    found = _read("suricata-verify", "http2-keywords2", "input.pcap")
    opened = [e.exchange for e in found if isinstance(e, ExchangeOpened)]
    assert [(x.request.http_version, x.request.url) for x in opened] == [
        ("HTTP/1.1", "http://nghttp2.org/robots.txt"),
        ("HTTP/2.0", "http://nghttp2.org/humans.txt"),
    ]


# --- gRPC -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "sent", "received"),
    [
        ("unary.pcapng", "/greet.GreetService/Greet", 1, 1),
        ("server-streaming.pcapng", "/greet.GreetService/GreetManyTimes", 1, 10),
        ("client-streaming.pcapng", "/greet.GreetService/LongGreet", 3, 1),
        ("bidi-streaming.pcapng", "/greet.GreetService/GreetEveryone", 3, 3),
    ],
)
def test_grpc_message_counts_and_status(
    tmp_path: Path, name: str, path: str, sent: int, received: int
) -> None:
    source = fixture_path("grpc-go-for-professionals", name)
    exchanges = [
        x for x in analyzed(tmp_path, source.read_bytes(), name) if x.request.url.endswith(path)
    ]
    (call,) = exchanges
    assert call.grpc is not None
    assert (call.grpc.request_messages, call.grpc.response_messages) == (sent, received)
    assert (call.grpc.status, call.grpc.message) == (0, "")
    assert call.response is not None and call.response.status == 200
    shown = exchange_dict(call)["grpc"]
    assert shown == {
        "status": 0,
        "message": "",
        "request_messages": sent,
        "response_messages": received,
    }


# --- WebSocket over HTTP/2 ------------------------------------------------------------------


def test_websocket_over_h2c_rfc8441(tmp_path: Path) -> None:
    source = fixture_path("generated", "rfc8441_websocket_over_h2c.pcap")
    expected = json.loads(
        fixture_path("generated", "rfc8441_websocket_over_h2c.expected.json").read_text()
    )
    (exchange,) = analyzed(tmp_path, source.read_bytes())
    assert exchange.protocol is Protocol.WEBSOCKET
    session = exchange.websocket
    assert session is not None
    assert session.handshake.ok, session.handshake.reason
    assert session.handshake.subprotocol == "graphql-transport-ws"
    assert exchange.framework == "graphql-transport-ws"
    assert exchange.evidence[0] == "extended CONNECT (RFC 8441) over HTTP/2.0 answered 200"
    assert session.close_code == 1000
    kinds = {"text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10}
    want = [(m["sender"], kinds[m["kind"]], m.get("text")) for m in expected["ws_messages"]]
    got = [
        (m.direction, m.opcode, e.payload(i).decode() if m.opcode == 1 else None)
        for e in events(source.read_bytes())
        if isinstance(e, WebSocketMessagesSeen)
        for i, m in enumerate(e.messages)
    ]
    assert [(w[0], w[1]) for w in want] == [(g[0], g[1]) for g in got]
    assert [w[2] for w in want if w[1] == 1] == [g[2] for g in got if g[1] == 1]
    assert len(got) == 9


# --- HPACK conformance material, through the per-direction decoders ------------------------


def _stories() -> list[Path]:
    root = fixture_path("hpack", "hpack-test-case")
    return sorted(root.glob("*/story_*.json"))


def test_hpack_test_case_stories_through_the_client_decoder() -> None:
    """Each story is one direction's compression context: its blocks as the client's HEADERS,
    its table size changes as the server's SETTINGS (which bound the client's encoder)."""
    stories = _stories()
    assert stories
    for story in stories:
        cases = json.loads(story.read_text())["cases"]
        connection = Http2Connection(0, "c1", "c:1", "s:2", midstream=False, max_message=1 << 20)
        connection.data("client", PREFACE + SettingsFrame(0).serialize(), 0.0)
        for n, case in enumerate(cases):
            size = case.get("header_table_size")
            if size is not None:
                settings = SettingsFrame(0, {SettingsFrame.HEADER_TABLE_SIZE: size})
                connection.data("server", settings.serialize(), 0.0)
            frame = HeadersFrame(2 * n + 1, bytes.fromhex(case["wire"]), flags={"END_HEADERS"})
            connection.data("client", frame.serialize(), 0.0)
        assert [e for e in connection.out if isinstance(e, SourceProblem)] == [], story
        opened = [e.exchange for e in connection.out if isinstance(e, ExchangeOpened)]
        assert len(opened) == len(cases), story
        for exchange, case in zip(opened, cases, strict=True):
            pairs = [next(iter(h.items())) for h in case["headers"]]
            assert list(exchange.request.headers) == [p for p in pairs if p[0][0] != ":"], story
            method = dict(pairs).get(":method")
            if method is not None:
                assert exchange.request.method == method


def test_rfc7541_appendix_c_responses_with_a_256_byte_table() -> None:
    """C.3 / C.4 requests; C.5 / C.6 responses of a server whose table the client's SETTINGS
    set to 256 (evictions: a decoder left at 4096 would keep what the blocks evicted)."""
    appendix = json.loads(fixture_path("hpack", "rfc7541_appendix_c.json").read_text())
    for sequence in appendix["sequences"]:
        blocks = sequence["blocks"]
        client_side = sequence["section"] in ("C.3", "C.4")
        size = sequence["max_table_size"]
        connection = Http2Connection(0, "c1", "c:1", "s:2", midstream=False, max_message=1 << 20)
        settings = SettingsFrame(0, {SettingsFrame.HEADER_TABLE_SIZE: size}).serialize()
        # The client's SETTINGS bound the server's encoder, which says so (RFC 7541 4.2) with a
        # table size update opening its next block: 0x3f 0xe1 0x01 is "size 256".
        connection.data("client", PREFACE + settings, 0.0)
        update = b"" if size == 4096 else b"\x3f" + bytes([0xE1, 0x01])
        assert size in (256, 4096)
        requests = Encoder()
        for n, block in enumerate(blocks):
            number = 2 * n + 1
            wire = (update if n == 0 and not client_side else b"") + bytes.fromhex(block["wire"])
            side: Direction = "client" if client_side else "server"
            if not client_side:  # a request for the response to answer
                ask = requests.encode([(":method", "GET"), (":path", "/"), (":scheme", "http")])
                connection.data(
                    "client", HeadersFrame(number, ask, flags={"END_HEADERS"}).serialize(), 0.0
                )
            frame = HeadersFrame(number, wire, flags={"END_HEADERS", "END_STREAM"})
            connection.data(side, frame.serialize(), 0.0)
        assert [e for e in connection.out if isinstance(e, SourceProblem)] == []
        if client_side:
            got = [e.exchange.request.url for e in connection.out if isinstance(e, ExchangeOpened)]
            heads = [dict(b["headers"]) for b in blocks]
            want = [f"{h[':scheme']}://{h[':authority']}{h[':path']}" for h in heads]
            assert got == want
        else:
            responses = [e.response for e in connection.out if isinstance(e, ResponseStarted)]
            for response, block in zip(responses, blocks, strict=True):
                pairs = [tuple(h) for h in block["headers"]]
                assert response.status == int(dict(pairs)[":status"])
                assert list(response.headers) == [p for p in pairs if p[0][0] != ":"]


# --- tshark ---------------------------------------------------------------------------------

TSHARK = shutil.which("tshark")

CLEARTEXT = [
    (("suricata-verify", "http2-continuation", "input.pcap"), 8080),
    (("suricata-verify", "http2-keywords", "input.pcap"), 3000),
    (("suricata-verify", "http2-userinfo-authority", "http2_userinfo_in_authority_1.pcap"), None),
    (("suricata-verify", "http2-authority-mismatch", "authority_and_host_2.pcap"), None),
    (("suricata-verify", "http2-range", "http2-range.pcap"), None),
    (("suricata-verify", "http2-keywords2", "input.pcap"), None),
    (("grpc-go-for-professionals", "bidi-streaming.pcapng"), 50051),
    (("grpc-go-for-professionals", "server-streaming.pcapng"), 50051),
    (("generated", "rfc8441_websocket_over_h2c.pcap"), None),
]
# Not compared: suricata-verify/dns-over-http2, whose client resets stream 7 while the answer is
# under way; tshark counts that answer, pushscope ends the exchange at the reset.


@pytest.mark.skipif(TSHARK is None, reason="tshark is not on PATH (Debian: apt-get install tshark)")
@pytest.mark.parametrize(
    ("parts", "port"), CLEARTEXT, ids=lambda p: "/".join(p[1:]) if isinstance(p, tuple) else str(p)
)
def test_streams_and_statuses_match_tshark(parts: tuple[str, ...], port: int | None) -> None:
    """Requests (HTTP/2 HEADERS with a :method, HTTP/1.1 request lines before an h2c upgrade)
    and response statuses, as tshark decodes them."""
    assert TSHARK is not None
    path = fixture_path(*parts)
    decode = ["-d", f"tcp.port=={port},http2"] if port else []
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), *decode,
         "-Y", "http2.type == 1 or http.request or http.response",
         "-T", "fields", "-E", "separator=/t", "-e", "http2.headers.method",
         "-e", "http2.headers.status", "-e", "http.request.method", "-e", "http.response.code"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    methods = 0
    statuses: list[int] = []
    for line in result.stdout.splitlines():
        h2_methods, h2_status, h1_methods, h1_status = (line.split("\t") + [""] * 4)[:4]
        methods += len([m for m in h2_methods.split(",") if m])
        methods += len([m for m in h1_methods.split(",") if m])
        statuses += [int(v) for v in h2_status.split(",") if v]
        # an h2c upgrade's 101 is no response here: the answer comes on stream 1
        statuses += [int(v) for v in h1_status.split(",") if v and v != "101"]
    found = events(path.read_bytes())
    opened = [e for e in found if isinstance(e, ExchangeOpened)]
    ours = sorted(e.response.status for e in found if isinstance(e, ResponseStarted))
    assert len(opened) == methods
    assert ours == sorted(statuses)
