"""Conformance with other projects' ground truth, read in place from ../shared/fixtures.

Zeek's btest baselines list every WebSocket frame (direction, fin, rsv, opcode, payload
length) and close status of its traces; Suricata's test.yaml counts the frames its rules match.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pushscope.inspector.model import Exchange, Limits, Protocol
from pushscope.inspector.pcap.websocket_frames import WireFrame
from pushscope.inspector.pipeline import analyze_paths
from tests.conftest import fixture_path
from tests.pcap.helpers import frames

OPCODES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
ZeekFrame = tuple[str, bool, int, str, int]


def _zeek_sections(path: Path) -> dict[str, list[str]]:
    """Baseline lines per trace: a line naming a .pcap starts its section."""
    sections: dict[str, list[str]] = {}
    current = path.name
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.endswith((".pcap", ".pcapng")):
            current = line
            continue
        sections.setdefault(current, []).append(line)
    return sections


def _zeek_frames(lines: list[str]) -> list[ZeekFrame]:
    out = []
    for line in lines:
        fields = [f.strip() for f in line.split(",")]
        if fields[0] == "websocket_frame":
            side = "client" if fields[2] == "T" else "server"
            out.append((side, fields[4] == "T", int(fields[6]), fields[8], int(fields[10])))
    return out


def _zeek_closes(lines: list[str]) -> list[tuple[str, int]]:
    out = []
    for line in lines:
        fields = [f.strip() for f in line.split(",")]
        if fields[0] == "websocket_close":
            out.append(("client" if fields[2] == "T" else "server", int(fields[4])))
    return out


def _ours(path: Path) -> list[tuple[str, WireFrame]]:
    return [(side, frame) for side, frame, _, _ in frames(path)]


def _as_zeek(seen: list[tuple[str, WireFrame]]) -> list[ZeekFrame]:
    return [(s, f.fin, f.rsv, OPCODES[f.opcode], f.length) for s, f in seen]


def _closes(seen: list[tuple[str, WireFrame]]) -> list[tuple[str, int]]:
    return [
        (s, int.from_bytes(f.payload[:2]) if len(f.payload) >= 2 else 0)
        for s, f in seen
        if f.opcode == 8
    ]


EVENTS_TRACES = [
    "jupyter-websocket.pcap",
    "wstunnel-http.pcap",
    "broker-websocket.pcap",
    "message-too-big-status.pcap",
    "two-binary-fragments.pcap",
]


@pytest.mark.parametrize("trace", EVENTS_TRACES)
def test_zeek_frames_and_close_codes(trace: str) -> None:
    baseline = fixture_path(
        "zeek", "expected-baselines", "scripts.base.protocols.websocket.events", "out"
    )
    expected = _zeek_sections(baseline)[trace]
    seen = _ours(fixture_path("zeek", "websocket", trace))
    assert _as_zeek(seen) == _zeek_frames(expected)
    assert _closes(seen) == _zeek_closes(expected)


@pytest.mark.parametrize("variant", ["separate", "coalesced"])
def test_zeek_ping_coalesced_with_reply(variant: str) -> None:
    baseline = fixture_path(
        "zeek",
        "expected-baselines",
        "scripts.base.protocols.websocket.coalesced-reply-ping",
        f"out-{variant}",
    )
    expected = baseline.read_text().splitlines()
    seen = _ours(fixture_path("zeek", "websocket", f"reply-ping-{variant}.pcap"))
    assert _as_zeek(seen) == _zeek_frames(expected)
    assert _closes(seen) == _zeek_closes(expected)


def _analyze(*parts: str) -> tuple[list[Exchange], list[str]]:
    report, fatal = analyze_paths([fixture_path(*parts)], limits=Limits())
    assert fatal == []
    return report.exchanges, report.sources[0].errors


def test_zeek_wrong_accept_header() -> None:
    log = fixture_path(
        "zeek",
        "expected-baselines",
        "scripts.base.protocols.websocket.key-accept-wrong",
        "weird.log",
    ).read_text()
    row = next(line for line in log.splitlines() if "websocket_wrong_accept_header" in line)
    addl = row.split("\t")[7]  # expected=..., found=...
    expected, found = (part.split("=", 1)[1] for part in addl.split(", "))
    (exchange,), _ = _analyze("zeek", "websocket", "wrong-accept-header.pcap")
    assert exchange.protocol is Protocol.WEBSOCKET and exchange.websocket is not None
    handshake = exchange.websocket.handshake
    assert not handshake.ok
    assert handshake.reason is not None
    assert repr(found) in handshake.reason and repr(expected) in handshake.reason
    assert handshake.subprotocol == "v1"  # websocket.log: subprotocol v1


def test_zeek_oversized_close_frame_is_an_error_and_analysis_goes_on() -> None:
    log = fixture_path(
        "zeek",
        "expected-baselines",
        "scripts.base.protocols.websocket.close-too-large",
        "weird-pac.log",
    ).read_text()
    assert "258 > 125" in log
    (exchange,), errors = _analyze("zeek", "websocket", "oversized-close-frame.pcapng")
    assert exchange.protocol is Protocol.WEBSOCKET
    assert any("close frame with a 258-byte payload" in e for e in errors)


@pytest.mark.parametrize(
    "trace",
    ["wstunnel-http", "wstunnel-https", "wstunnel-ssh", "jupyter-websocket", "broker-websocket"],
)
def test_zeek_websocket_log(trace: str) -> None:
    log = fixture_path(
        "zeek", "expected-baselines", f"scripts.base.protocols.websocket.{trace}", "websocket.log"
    ).read_text()
    lines = [line.split("\t") for line in log.splitlines() if not line.startswith("#")]
    header, rows = lines[0], [dict(zip(lines[0], row, strict=True)) for row in lines[1:]]
    assert header[6:10] == ["host", "uri", "user_agent", "subprotocol"]
    exchanges, _ = _analyze("zeek", "websocket", f"{trace}.pcap")
    sessions = [e for e in exchanges if e.protocol is Protocol.WEBSOCKET]
    assert len(sessions) == len(rows)
    for exchange, row in zip(sessions, rows, strict=True):
        assert exchange.websocket is not None and exchange.websocket.handshake.ok
        assert exchange.client is not None and exchange.client.endswith(f":{row['id.orig_p']}")
        assert exchange.server is not None and exchange.server.endswith(f":{row['id.resp_p']}")
        assert urlsplit(exchange.request.url).netloc == row["host"]
        path = urlsplit(exchange.request.url)
        assert path.path + (f"?{path.query}" if path.query else "") == row["uri"]
        subprotocol = exchange.websocket.handshake.subprotocol
        assert (subprotocol or "-") == row["subprotocol"]


def test_zeek_fragmented_http_reply() -> None:
    """HTTP tunnelled in WebSocket: the server's reply is one binary message in 5 fragments."""
    out = fixture_path(
        "zeek",
        "expected-baselines",
        "scripts.base.protocols.websocket.fragmented-http-reply",
        "out",
    ).read_text()
    assert "http_header, F, SERVER, dont ask" in out
    (exchange,), errors = _analyze("zeek", "websocket", "fragmented-http-reply.pcap")
    assert errors == []
    assert exchange.websocket is not None and exchange.websocket.handshake.ok
    binary = {
        m.direction: preview
        for m, preview in zip(exchange.websocket.messages, exchange.websocket.previews, strict=True)
        if m.opcode == 2
    }
    assert binary["server"].startswith(b"HTTP/1.1 200 OK\r\nServer: dont ask\r\n")
    assert b"Content-Length: 0\r\n" in binary["server"]
    assert b"Host: localhost" in binary["client"]
    fragments = [
        f
        for s, f, _, _ in frames(fixture_path("zeek", "websocket", "fragmented-http-reply.pcap"))
        if s == "server" and f.opcode in (0, 2)
    ]
    assert [(f.fin, f.opcode) for f in fragments] == [(False, 2), *[(False, 0)] * 3, (True, 0)]


# --- Zeek's HTTP traces ------------------------------------------------------------------------


def test_zeek_pipelined_requests() -> None:
    exchanges, errors = _analyze("zeek", "http", "pipelined-requests.pcap")
    assert errors == []
    assert len(exchanges) == 5
    assert all(e.response is not None and e.response.status == 200 for e in exchanges)
    assert all(e.error is None for e in exchanges)


def test_zeek_100_continue() -> None:
    (exchange,), errors = _analyze("zeek", "http", "100-continue.pcap")
    assert errors == []
    assert exchange.request.method == "POST" and exchange.request.body_size > 0
    assert exchange.response is not None and exchange.response.status == 200


def test_zeek_101_that_is_not_websocket() -> None:
    exchanges, errors = _analyze("zeek", "http", "docker-http-upgrade.pcap")
    assert errors == []
    upgraded = [e for e in exchanges if e.response is not None and e.response.status == 101]
    assert len(upgraded) == 1
    assert upgraded[0].protocol is Protocol.STREAM and upgraded[0].websocket is None
    assert "not WebSocket" in upgraded[0].evidence[0]


def test_zeek_websocket_over_http_trace() -> None:
    (exchange,), errors = _analyze("zeek", "http", "websocket.pcap")
    assert errors == []
    assert exchange.protocol is Protocol.WEBSOCKET and exchange.websocket is not None
    assert exchange.websocket.counts.as_dict() == {"client": 2, "server": 5}


# --- Suricata's WebSocket tests ----------------------------------------------------------------


def _yaml_checks(*parts: str) -> str:
    return fixture_path("suricata-verify", *parts, "test.yaml").read_text()


def test_suricata_ping_and_pong_packets() -> None:
    checks = _yaml_checks("websocket-ping")
    assert "pcap_cnt: 8" in checks and "pcap_cnt: 11" in checks
    seen = frames(fixture_path("suricata-verify", "websocket-ping", "input.pcap"))
    assert [n for _, f, _, n in seen if f.opcode == 9] == [8]  # one ping, in packet 8
    assert [n for _, f, _, n in seen if f.opcode == 10] == [11]  # one pong, in packet 11


def test_suricata_basic_mask() -> None:
    checks = _yaml_checks("websocket")
    assert "websocket.mask: 3803616749" in checks
    seen = frames(fixture_path("suricata-verify", "websocket", "basic_websockets.pcap"))
    matching = [f for _, f, _, _ in seen if f.mask == 3803616749]
    assert len(matching) == 1 and matching[0].opcode == 1


def test_suricata_compressed_frames_inflate() -> None:
    path = fixture_path("suricata-verify", "websocket-compressed", "example_websocket.pcap")
    seen = frames(path)
    assert len(seen) == 10 and all(f.rsv == 4 for _, f, _, _ in seen)
    assert seen[0][1].payload.startswith(b"KEY=")
    assert all(f.payload.startswith(b"TOGGLE=") for _, f, _, _ in seen[1:])
    (exchange,), errors = _analyze(
        "suricata-verify", "websocket-compressed", "example_websocket.pcap"
    )
    assert errors == []
    assert exchange.websocket is not None and exchange.websocket.counts.server == 10


def test_suricata_control_frame_inside_fragmented_message() -> None:
    path = fixture_path("suricata-verify", "websocket-control-frag", "input.pcap")
    seen = frames(path)
    assert [(s, f.fin, f.opcode) for s, f, _, _ in seen] == [
        ("client", False, 1),
        ("client", True, 9),
        ("client", True, 0),
        ("server", True, 10),
    ]
    (exchange,), errors = _analyze("suricata-verify", "websocket-control-frag", "input.pcap")
    assert errors == []
    assert exchange.websocket is not None
    assert (
        exchange.websocket.first_client_text == "MALWARE_DOWNLOAD cmd.exe /c powershell -enc AAAA"
    )
