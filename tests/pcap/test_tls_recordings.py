"""The TLS recordings in `captures/tls/` hold what their truth files say: checked with tshark
decrypting them with their key logs, where tshark is installed."""

from __future__ import annotations

import pytest

from tests.pcap.tls_recordings import NAMES, TSHARK, Recording, tshark_fields, tshark_requests

RECORDINGS = [Recording(name) for name in NAMES]
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not on PATH (Debian: apt-get install tshark)"
)


@pytest.mark.parametrize("recording", RECORDINGS, ids=NAMES)
def test_recording_is_whole_and_small(recording: Recording) -> None:
    assert recording.pcap.stat().st_size < 300_000
    assert recording.keys.read_text().strip()
    truth = recording.truth
    assert truth["schema"] == "pushscope.tls-truth/1"
    assert all(r["status"] for r in truth["requests"])


def test_the_mix_is_there() -> None:
    """REST (201, 404), SSE, a gRPC stream with grpc-status 0 and a WebSocket over h2 and
    TLS 1.3; Chromium's fetch polling and EventSource."""
    h2 = Recording("h2-tls13").truth["requests"]
    assert {r["status"] for r in h2} == {200, 201, 404, 101}
    (sse,) = [r for r in h2 if r["path"] == "/events"]
    (grpc,) = [r for r in h2 if r["content_type"] == "application/grpc+proto"]
    (ws,) = [r for r in h2 if r["status"] == 101]
    assert (sse["http_version"], sse["sse_events"]) == ("2", 4)
    assert (grpc["grpc_messages"], grpc["grpc_status"]) == (4, "0")
    assert (ws["ws_from_client"], ws["ws_from_server"]) == (2, 3)
    page = Recording("chromium-page").truth["requests"]
    assert [r["path"] for r in page].count("/api/status") == 6
    assert {r["http_version"] for r in page} == {"2"}


@needs_tshark
@pytest.mark.parametrize("recording", RECORDINGS, ids=NAMES)
def test_tshark_decrypts_every_request_and_status(recording: Recording) -> None:
    assert tshark_requests(recording) == recording.requests()


@needs_tshark
@pytest.mark.parametrize(
    ("name", "versions"),
    [("h2-tls13", {"0x0304"}), ("h2-tls12", {""}), ("h1-tls13", {"0x0304"}),
     ("chromium-page", {"0x0304"})],
)  # fmt: skip
def test_tls_versions(name: str, versions: set[str]) -> None:
    """TLS 1.3 servers name their version in supported_versions; the 1.2 one has none."""
    hellos = tshark_fields(
        Recording(name), "tls.handshake.type == 2", "tls.handshake.extensions.supported_version"
    )
    assert hellos and {hello[0] for hello in hellos} == versions


@needs_tshark
@pytest.mark.parametrize("name", ["h2-tls13", "h2-tls12", "h1-tls13"])
def test_tshark_sees_the_websocket_messages(name: str) -> None:
    recording = Recording(name)
    port = str(recording.truth["server_port"])
    frames = tshark_fields(recording, "websocket", "tcp.srcport", "websocket.opcode")
    text = [source for source, opcode in frames if opcode == "1"]
    (ws,) = [r for r in recording.truth["requests"] if r["status"] == 101]
    assert sum(1 for source in text if source != port) == ws["ws_from_client"]
    assert sum(1 for source in text if source == port) == ws["ws_from_server"]
