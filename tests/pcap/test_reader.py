"""`pushscope analyze file.pcap`: same report, findings and contract as any other capture."""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

import pytest

from pushscope.cli import main
from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ModelEvent, WebSocketMessageSeen, WebSocketMessagesSeen
from pushscope.inspector.model import Limits
from pushscope.inspector.report import Report, Source
from pushscope.inspector.report.json_report import write_json
from tests.conftest import fixture_path
from tests.pcap.builder import Conversation, pcapng
from tests.pcap.helpers import events


def _polling(count: int = 30, period: float = 2.0) -> Conversation:
    c = Conversation().handshake()
    for _ in range(count):
        c.send("client", b"GET /api/status HTTP/1.1\r\nHost: app.test\r\n\r\n", step=period)
        body = b'{"state":"same"}'
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        c.send("server", head.encode() + body, step=0.05)
    return c.close()


def _report(capsys: pytest.CaptureFixture[str], path: Path) -> dict:  # type: ignore[type-arg]
    code = main(["analyze", str(path), "--format", "json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_short_polling_found_in_a_pcap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "poll.pcap"
    path.write_bytes(_polling().pcap())
    report = _report(capsys, path)
    assert report["sources"][0]["format"] == "pcap"
    assert report["sources"][0]["errors"] == []
    assert len(report["exchanges"]) == 30
    assert report["exchanges"][0]["client"] == "10.0.0.1:40000"
    kinds = [f["kind"] for f in report["findings"]]
    assert "short-polling" in kinds


def test_pcapng_reported_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "poll.pcapng"
    path.write_bytes(pcapng(_polling(5).packets))
    report = _report(capsys, path)
    assert report["sources"][0]["format"] == "pcapng"
    assert len(report["exchanges"]) == 5


def test_truncated_pcap_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cut.pcap"
    path.write_bytes(_polling(5).pcap()[:-30])
    report = _report(capsys, path)
    assert any("truncated" in e for e in report["sources"][0]["errors"])
    assert len(report["exchanges"]) == 5


def test_header_only_file_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(_polling(1).pcap()[:10])
    assert main(["analyze", str(path)]) == 2
    assert "bad.pcap" in capsys.readouterr().err


WS_FIXTURES = [
    ("zeek", "websocket", "jupyter-websocket.pcap"),
    ("zeek", "websocket", "pr5646-websocket_compressed.pcap"),
    ("zeek", "websocket", "two-binary-fragments.pcap"),
    ("suricata-verify", "websocket-control-frag", "input.pcap"),
]


def _one_by_one(found: list[ModelEvent]) -> list[ModelEvent]:
    """The same events with each batch of WebSocket messages given a message at a time."""
    out: list[ModelEvent] = []
    for event in found:
        if isinstance(event, WebSocketMessagesSeen):
            out += [
                WebSocketMessageSeen(event.exchange_id, m, event.payload(i))
                for i, m in enumerate(event.messages)
            ]
        else:
            out.append(event)
    return out


def _analysed(found: list[ModelEvent], limits: Limits) -> str:
    analyzer = Analyzer(limits, detector=Detector(incremental=False))
    analyzer.run(found)
    findings = analyzer.finish()
    buffer = io.StringIO()
    write_json(Report([Source("x.pcap", "pcap")], analyzer.exchanges, findings), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "parts", WS_FIXTURES, ids=lambda p: p[-1] if p[-1] != "input.pcap" else p[1]
)
@pytest.mark.parametrize("kept", [0, 3, 1000])
def test_message_batches_analyse_as_single_messages(parts: tuple[str, ...], kept: int) -> None:
    data = fixture_path(*parts).read_bytes()
    limits = Limits(ws_messages=kept)
    batched = events(data)
    assert any(isinstance(e, WebSocketMessagesSeen) for e in batched)
    assert _analysed(batched, limits) == _analysed(_one_by_one(events(data)), limits)


@pytest.mark.parametrize("parts", WS_FIXTURES[:2], ids=lambda p: p[-1])
def test_reading_leaves_no_cycles(parts: tuple[str, ...]) -> None:
    """The analysis runs with the cyclic collector paused: reading a capture must leave no
    garbage only it could free (a session's frame readers point back at their connection)."""
    data = fixture_path(*parts).read_bytes()
    gc.collect()
    gc.disable()
    try:
        events(data)
        assert gc.collect() == 0
    finally:
        gc.enable()
