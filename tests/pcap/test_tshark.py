"""Frame and request counts cross-checked with tshark on the same files, where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pushscope.inspector.events import ExchangeOpened
from tests.conftest import fixture_path
from tests.pcap.helpers import events, frames

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not on PATH (Debian: apt-get install tshark)"
)

FILES = [
    *(("zeek", "websocket", name) for name in (
        "broker-websocket.pcap", "fragmented-http-reply.pcap", "jupyter-websocket.pcap",
        "message-too-big-status.pcap", "pr5646-websocket_baseline.pcap",
        "pr5646-websocket_compressed.pcap", "reply-ping-coalesced.pcap",
        "reply-ping-separate.pcap", "two-binary-fragments.pcap", "wrong-accept-header.pcap",
        "wstunnel-http.pcap", "wstunnel-https.pcap", "wstunnel-ssh.pcap",
    )),
    *(("zeek", "http", name) for name in (
        "100-continue.pcap", "docker-http-upgrade.pcap", "get.pcap", "pipelined-requests.pcap",
        "post.pcap", "websocket.pcap", "workshop_2011_browse.pcap",
    )),
    ("suricata-verify", "websocket", "basic_websockets.pcap"),
    ("suricata-verify", "websocket-compressed", "example_websocket.pcap"),
    ("suricata-verify", "websocket-control-frag", "input.pcap"),
    ("suricata-verify", "websocket-ping", "input.pcap"),
]  # fmt: skip
# Not compared: zeek/websocket/oversized-close-frame.pcapng, whose one frame is a 258-byte
# close; tshark dissects it, pushscope (like Zeek) reports it as invalid (RFC 6455: at most 125).


def _tshark(path: Path) -> tuple[list[int], int]:
    """WebSocket opcodes of every frame, and the number of HTTP requests, in one tshark run."""
    assert TSHARK is not None
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), "-Y", "websocket or http.request", "-T", "fields",
         "-E", "separator=/t", "-e", "websocket.opcode", "-e", "http.request.method"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    opcodes: list[int] = []
    requests = 0
    for line in result.stdout.splitlines():
        frames, _, methods = line.partition("\t")
        opcodes += [int(v, 0) for v in frames.split(",") if v]
        requests += len([m for m in methods.split(",") if m])
    return opcodes, requests


@pytest.mark.parametrize("parts", FILES, ids=lambda p: "/".join(p[1:]))
def test_frame_and_request_counts_match_tshark(parts: tuple[str, ...]) -> None:
    path = fixture_path(*parts)
    opcodes, requests = _tshark(path)
    seen = frames(path)
    assert sorted(f.opcode for _, f, _, _ in seen) == sorted(opcodes)
    opened = [e for e in events(path.read_bytes()) if isinstance(e, ExchangeOpened)]
    assert len([e for e in opened if e.exchange.tls_sni is None]) == requests
