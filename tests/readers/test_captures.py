"""The project's own captures, recorded from real traffic by captures/record.py."""

from __future__ import annotations

from collections import Counter

import pytest

from pushscope.inspector.model import Exchange, Limits, Protocol
from pushscope.inspector.pipeline import analyze_paths
from tests.conftest import CAPTURES

FORMATS = ["mitm", "har"]


def _exchanges(name: str, fmt: str) -> list[Exchange]:
    report, fatal = analyze_paths([CAPTURES / f"{name}.{fmt}"], limits=Limits())
    assert fatal == []
    assert report.sources[0].error_count == 0
    return report.exchanges


def _one(exchanges: list[Exchange], protocol: Protocol) -> Exchange:
    (exchange,) = [e for e in exchanges if e.protocol is protocol]
    return exchange


@pytest.mark.parametrize("fmt", FORMATS)
def test_rest(fmt: str) -> None:
    exchanges = _exchanges("rest", fmt)
    assert [e.protocol for e in exchanges] == [Protocol.REST] * 4
    assert sorted(e.response.status for e in exchanges if e.response) == [200, 200, 201, 404]
    assert all(e.response and e.response.body_digest for e in exchanges)


@pytest.mark.parametrize("fmt", FORMATS)
def test_eventsource_sse(fmt: str) -> None:
    exchanges = _exchanges("sse-eventsource", fmt)
    stream = _one(exchanges, Protocol.SSE)
    assert stream.sse is not None
    assert stream.sse.count == 8
    assert stream.sse.ids == 8
    assert dict(stream.sse.event_types) == {"tick": 6, "price": 2}
    assert stream.sse.retry_ms == 200
    assert stream.sse.comments == 2
    reconnect = _one(exchanges, Protocol.REST)
    assert reconnect.response is not None and reconnect.response.status == 204


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_token_streaming_is_sse(fmt: str) -> None:
    stream = _one(_exchanges("sse-post-tokens", fmt), Protocol.SSE)
    assert stream.request.method == "POST"
    assert stream.sse is not None and stream.sse.count == 17 and stream.sse.ids == 0
    assert any("token streaming" in e for e in stream.evidence)


@pytest.mark.parametrize("fmt", FORMATS)
def test_ndjson_stream(fmt: str) -> None:
    stream = _one(_exchanges("ndjson-stream", fmt), Protocol.STREAM)
    assert stream.stream is not None
    assert (stream.stream.kind, stream.stream.records) == ("ndjson", 6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_websocket_chat(fmt: str) -> None:
    chat = _one(_exchanges("websocket-chat", fmt), Protocol.WEBSOCKET)
    ws = chat.websocket
    assert ws is not None and ws.handshake.ok and ws.handshake.accept_checked
    assert ws.handshake.subprotocol == "chat.v1"
    assert ws.handshake.extensions[0].startswith("permessage-deflate")
    assert ws.counts.as_dict() == {"client": 3, "server": 6}
    binary = [m for m in ws.messages if m.opcode == 2]
    assert len(binary) == 1 and binary[0].direction == "server"
    if fmt == "mitm":  # HAR has no field for the close
        assert (ws.close_code, ws.closed_by) == (1000, "client")


@pytest.mark.parametrize("fmt", [*FORMATS, "pcap"])
def test_demo_mix(fmt: str) -> None:
    counts = Counter(e.protocol.value for e in _exchanges("demo-mix", fmt))
    assert counts == {"rest": 5, "sse": 2, "websocket": 1, "stream": 1}


def test_demo_mix_pcap_in_detail() -> None:
    """The proxy-to-server leg as the wire shows it: every frame, SSE event and body."""
    exchanges = _exchanges("demo-mix", "pcap")
    chat = _one(exchanges, Protocol.WEBSOCKET)
    ws = chat.websocket
    assert ws is not None and ws.handshake.ok and ws.handshake.subprotocol == "chat.v1"
    assert ws.counts.as_dict() == {"client": 3, "server": 6}
    assert (ws.close_code, ws.closed_by) == (1000, "client")
    streams = {e.request.method: e.sse for e in exchanges if e.protocol is Protocol.SSE}
    assert streams["GET"] is not None and streams["GET"].count == 8
    assert streams["POST"] is not None and streams["POST"].count == 17
    ndjson = _one(exchanges, Protocol.STREAM)
    assert ndjson.stream is not None and ndjson.stream.records == 6
