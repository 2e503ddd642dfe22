"""`pushscope export --har`: any capture becomes HAR 1.2 that pushscope analyses as it does its
source, that mitmproxy opens, that is strict UTF-8 JSON whatever the payloads; and the
command's exit codes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http, websocket
from mitmproxy.io import FlowWriter, read_flows_from_paths
from mitmproxy.test import tflow
from wsproto.frame_protocol import Opcode

from pushscope.cli import EXIT_OK, EXIT_UNUSABLE, main
from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.detect import Detector
from pushscope.inspector.events import ExchangeClosed
from pushscope.inspector.export_har import ExportLimits, HarExporter, export_paths
from pushscope.inspector.feed import FeedWriter
from pushscope.inspector.model import Exchange, Limits
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.readers import read_capture
from tests.conftest import CAPTURES, fixture_path


def _exchange(e: Exchange, times: list[float]) -> tuple[Any, ...]:
    """What must survive the export: classification, counts, ids, types, digests; the times
    (which HAR holds to the microsecond) go to `times`."""
    ws, sse, stream, response = e.websocket, e.sse, e.stream, e.response
    times += [e.started, -1.0 if e.ended is None else e.ended]
    if ws:
        times += [-1.0 if m.timestamp is None else m.timestamp for m in ws.messages]
    if sse:
        times += [-1.0 if ev.timestamp is None else ev.timestamp for ev in sse.events]
    return (
        e.request.method,
        e.request.url,
        e.client,
        e.protocol.value,
        response.status if response else None,
        response.body_digest if response else None,
        e.error,
        e.framework,
        (
            ws.counts.as_dict(),
            ws.bytes.as_dict(),
            ws.control_frames,
            ws.close_code,
            ws.closed_by,
            [(m.direction, m.opcode, m.size) for m in ws.messages],
        )
        if ws
        else None,
        (
            sse.count,
            sse.ids,
            dict(sse.event_types),
            sse.comments,
            sse.retry_ms,
            [(ev.type, ev.id, ev.had_id) for ev in sse.events],
        )
        if sse
        else None,
        (stream.kind, stream.records, stream.bytes) if stream else None,
    )


Analysis = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[float]]


def _analysis(path: Path) -> Analysis:
    """Each exchange and finding in a stable order, and their times."""
    report, fatal = analyze_paths([path], limits=Limits())
    assert fatal == []
    assert report.sources[0].errors == []
    findings = [
        (f.kind, f.endpoint, f.severity.label, len(f.exchanges), f.client) for f in report.findings
    ]
    exchanges = sorted(report.exchanges, key=lambda e: (e.started, e.request.url))
    times: list[float] = []
    rows = [_exchange(e, times) for e in exchanges]
    return rows, sorted(findings, key=repr), times


def _same(exported: Analysis, original: Analysis) -> None:
    assert exported[:2] == original[:2]
    assert exported[2] == pytest.approx(original[2], abs=2e-6, rel=0)


def _entries(path: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_bytes().decode("utf-8"))["log"]["entries"]
    return entries


@pytest.mark.parametrize(
    "name",
    [
        "websocket-chat.mitm",
        "sse-eventsource.mitm",
        "demo-mix.mitm",
        "demo-mix.pcap",
        "long-poll.pcap",
        "poll-short.mitm",
        "poll-two-clients.mitm",
        "ws-one-way.har",
    ],
)
def test_the_export_analyses_as_its_source(name: str, tmp_path: Path) -> None:
    source, out = CAPTURES / name, tmp_path / "out.har"
    exported = export_paths([source], out)
    original = _analysis(source)
    assert exported.fatal == []
    assert exported.entries == len(original[0])
    _same(_analysis(out), original)
    again = tmp_path / "again.har"  # the export of an export: HAR read, HAR written
    export_paths([out], again)
    _same(_analysis(again), original)


def test_the_findings_survive(tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    export_paths([CAPTURES / "poll-short.mitm"], out)
    findings = _analysis(out)[1]
    assert [f[:4] for f in findings] == [
        ("short-polling", "GET http://127.0.0.1:37213/api/status", "high", 16)
    ]


def test_packet_times_are_kept_per_event_and_message(tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    export_paths([CAPTURES / "demo-mix.pcap"], out)
    entries = _entries(out)
    (ws,) = [e for e in entries if e.get("_resourceType") == "websocket"]
    messages = ws["_webSocketMessages"]
    assert len({m["time"] for m in messages}) == len(messages)
    assert {m["opcode"] for m in messages} == {1, 2, 8}  # the close frames both ways
    assert next(m for m in messages if m["opcode"] == 8)["data"] == "A+g="  # 1000, base64
    ticks = next(
        e
        for e in entries
        if e["request"]["url"].endswith("/events") and e.get("_eventSourceMessages")
    )
    events = ticks["_eventSourceMessages"]
    assert [e["eventId"] for e in events] == [str(n) for n in range(1, 9)]
    assert {e["eventName"] for e in events} == {"tick", "price"}
    assert len({e["time"] for e in events}) == 8
    assert len(ticks["_pushscope"]["chunks"]) > 1


def test_a_feed_exports_to_the_same_analysis(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    with open(feed, "w", encoding="utf-8") as fp:
        writer = FeedWriter(fp)
        analyzer = Analyzer(detector=Detector(), observers=[writer])
        analyzer.run(read_capture(CAPTURES / "demo-mix.pcap", 0).events)
        analyzer.finish()
        writer.close()
    out = tmp_path / "out.har"
    export_paths([feed], out)
    _same(_analysis(out), _analysis(feed))
    (sse,) = [
        e
        for e in _entries(out)
        if e["request"]["url"].endswith("/events") and e.get("_eventSourceMessages")
    ]
    assert "text" not in sse["response"]["content"]  # a feed records events, not bodies


def test_entries_are_written_as_exchanges_close() -> None:
    exporter = HarExporter()
    closed = written = 0
    for event in read_capture(CAPTURES / "demo-mix.mitm", 0).events:
        entry = exporter.feed(event)
        closed += isinstance(event, ExchangeClosed)
        written += entry is not None
        assert written == closed
    assert exporter.close_open() == []
    assert written == 9


def test_a_tls_tunnel_exports_with_an_absolute_url_and_reads_back(tmp_path: Path) -> None:
    """A TLS connection in a pcap is a CONNECT to an authority; mitmproxy's HAR reader wants
    an absolute URL, pushscope's reader gets the authority back."""
    capture = fixture_path("snet", "tls1.3_aes128.pcap")
    out = tmp_path / "tls.har"
    export_paths([capture], out)
    (flow,) = read_flows_from_paths([str(out)])
    assert isinstance(flow, http.HTTPFlow) and flow.request.method == "CONNECT"
    before, _ = analyze_paths([capture])
    after, _ = analyze_paths([out])
    assert [(e.request.method, e.request.url, e.protocol) for e in after.exchanges] == [
        (e.request.method, e.request.url, e.protocol) for e in before.exchanges
    ]


@pytest.mark.parametrize("name", ["demo-mix.mitm", "demo-mix.pcap", "websocket-chat.mitm"])
def test_mitmproxy_reads_the_export(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    exported = export_paths([CAPTURES / name], out)
    flows = read_flows_from_paths([str(out)])
    assert len(flows) == exported.entries
    assert all(isinstance(f, http.HTTPFlow) and f.response is not None for f in flows)
    (ws,) = [f for f in flows if isinstance(f, http.HTTPFlow) and f.response.status_code == 101]
    if ws.websocket is not None:  # mitmproxy 12 imports no WebSocket messages from HAR
        assert len(ws.websocket.messages) == 9
    if name.endswith(".mitm"):
        bodies = {
            (f.request.method, f.request.url, f.response.status_code): f.response.get_content()
            for f in read_flows_from_paths([str(CAPTURES / name)])
            if isinstance(f, http.HTTPFlow) and f.response is not None
        }
        for f in flows:
            assert isinstance(f, http.HTTPFlow) and f.response is not None
            key = (f.request.method, f.request.url, f.response.status_code)
            assert f.response.get_content() == bodies[key]


def _odd_flows(path: Path) -> None:
    """A flow file of payloads that are not text: binary and Latin-1 bodies, bytes that are
    not UTF-8 in a header, a path and a WebSocket text message."""
    binary = tflow.tflow(resp=True)
    binary.request.path = "/bin/caf\udce9?q=\udcff"  # what mitmproxy keeps for raw bytes
    binary.response.headers.fields = (
        (b"Content-Type", b"application/octet-stream"),
        (b"X-Odd", b"caf\xe9 \xff"),
    )
    binary.response.content = bytes(range(256))
    latin = tflow.tflow(resp=True)
    latin.response.headers.fields = ((b"Content-Type", b"text/plain; charset=latin-1"),)
    latin.response.content = "café".encode("latin-1")
    ws = tflow.twebsocketflow()
    assert ws.websocket is not None
    ws.websocket.messages = [
        websocket.WebSocketMessage(Opcode.TEXT, True, b"bad \xff\xfe text", 946681203),
        websocket.WebSocketMessage(Opcode.BINARY, False, b"\x00\xff\x80", 946681204),
        websocket.WebSocketMessage(Opcode.TEXT, False, "héllo 😀".encode(), 946681205),
    ]
    with open(path, "wb") as fp:
        writer = FlowWriter(fp)
        for flow in (binary, latin, ws):
            writer.add(flow)


_SURROGATES_HAR = r"""{"log": {"version": "1.2", "entries": [{
  "startedDateTime": "2024-01-01T00:00:00Z", "time": 5,
  "request": {"method": "GET", "url": "http://example.com/a\udc80b", "httpVersion": "HTTP/1.1",
              "headers": [{"name": "X-Lone", "value": "a\ud800b"}]},
  "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
               "headers": [{"name": "Content-Type", "value": "text/plain"}],
               "content": {"size": 3, "mimeType": "text/plain", "text": "x\udfffy"}}
}]}}"""


def test_invalid_text_and_binary_become_strict_utf8_json(tmp_path: Path) -> None:
    flows, har, out = tmp_path / "odd.mitm", tmp_path / "lone.har", tmp_path / "out.har"
    _odd_flows(flows)
    har.write_text(_SURROGATES_HAR, encoding="utf-8")
    exported = export_paths([flows, har], out)
    assert exported.fatal == []
    binary, latin, ws, lone = _entries(out)  # strict UTF-8 decoding, then JSON

    content = binary["response"]["content"]
    assert content["encoding"] == "base64"
    assert base64.b64decode(content["text"]) == bytes(range(256))
    assert {"name": "X-Odd", "value": "caf\ufffd \ufffd"} in binary["response"]["headers"]
    assert "\ufffd" in binary["request"]["url"]
    assert latin["response"]["content"]["encoding"] == "base64"
    assert base64.b64decode(latin["response"]["content"]["text"]) == "café".encode("latin-1")

    bad, raw, fine = ws["_webSocketMessages"]
    assert (bad["type"], bad["opcode"], bad["data"]) == ("send", 1, "bad \ufffd\ufffd text")
    assert (raw["opcode"], base64.b64decode(raw["data"])) == (2, b"\x00\xff\x80")
    assert fine["data"] == "héllo 😀"

    assert lone["request"]["url"] == "http://example.com/a\ufffdb"
    assert lone["request"]["headers"] == [{"name": "X-Lone", "value": "a\ufffdb"}]
    assert lone["response"]["content"]["text"] == "x\ufffdy"
    # The message that was not UTF-8 still counts its real size.
    original = [x for x in _analysis(flows)[0] if x[3] == "websocket"]
    exported_ws = [x for x in _analysis(out)[0] if x[3] == "websocket"]
    assert exported_ws == original


def test_a_body_that_cannot_be_decoded_is_said_and_not_digested(tmp_path: Path) -> None:
    flows, out = tmp_path / "corrupt.mitm", tmp_path / "out.har"
    flow = tflow.tflow(resp=True)
    flow.response.headers.fields = ((b"Content-Encoding", b"gzip"),)
    flow.response.raw_content = b"not gzip at all"
    with open(flows, "wb") as fp:
        FlowWriter(fp).add(flow)
    export_paths([flows], out)
    (entry,) = _entries(out)
    assert "response body not exported past byte 0: corrupt gzip data" in entry["comment"]
    assert "text" not in entry["response"]["content"]
    report, _ = analyze_paths([out])
    (exchange,) = report.exchanges
    assert exchange.response is not None and exchange.response.body_digest is None  # as before


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    source = CAPTURES / "demo-mix.pcap"
    export_paths([source], tmp_path / "out.har", progress=lambda *a: seen.append(a))
    assert seen and seen[0][0] == str(source) and seen[0][2] == source.stat().st_size


def test_limits_cut_what_is_kept_and_say_so(tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    sources = [CAPTURES / "sse-eventsource.mitm", CAPTURES / "websocket-chat.mitm"]
    export_paths(sources, out, ExportLimits(body_bytes=100, messages=4))
    stream, _, chat = _entries(out)
    assert "cut to its first 100 of" in stream["comment"]
    assert len(stream["response"]["content"]["text"].encode()) == 100
    assert len(stream["_eventSourceMessages"]) < 8
    assert len(chat["_webSocketMessages"]) == 4
    assert "5 later WebSocket messages not exported" in chat["comment"]
    _analysis(out)  # still a capture pushscope reads without a problem


def test_message_data_past_its_budget_keeps_sizes(tmp_path: Path) -> None:
    out = tmp_path / "out.har"
    export_paths([CAPTURES / "websocket-chat.mitm"], out, ExportLimits(message_bytes=100))
    (chat,) = _entries(out)
    assert chat["_webSocketMessages"][-1]["data"] == ""
    assert chat["_pushscope"]["sizes"]
    _same(_analysis(out), _analysis(CAPTURES / "websocket-chat.mitm"))


def test_event_source_messages_of_an_entry_without_body_are_read(tmp_path: Path) -> None:
    har = tmp_path / "chrome.har"
    entry = {
        "startedDateTime": "2024-01-01T00:00:00.000Z",
        "time": 3000,
        "request": {"method": "GET", "url": "https://example.com/feed", "headers": []},
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
            "content": {"size": 0, "mimeType": "text/event-stream"},
        },
        "_resourceType": "eventsource",
        "_eventSourceMessages": [
            {"time": 1704067201.0, "eventName": "", "eventId": "", "data": "hello"},
            {"time": 1704067201.5, "eventName": "tick", "eventId": "7", "data": "a\nb"},
            {"time": 1704067202.0, "eventName": "tick", "eventId": "8", "data": "c"},
        ],
    }
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    report, fatal = analyze_paths([har], limits=Limits(preview_bytes=1000))
    (exchange,) = report.exchanges
    assert fatal == [] and exchange.sse is not None
    assert (exchange.sse.count, exchange.sse.ids) == (3, 2)
    assert dict(exchange.sse.event_types) == {"message": 1, "tick": 2}
    assert [(e.id, e.data, e.timestamp) for e in exchange.sse.events] == [
        ("", "hello", 1704067201.0),
        ("7", "a\nb", 1704067201.5),
        ("8", "c", 1704067202.0),
    ]


def test_the_command_writes_the_har(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.har"
    inputs = [str(CAPTURES / "demo-mix.mitm"), str(CAPTURES / "long-poll.pcap")]
    assert main(["export", "--har", str(out), *inputs]) == EXIT_OK == 0
    log = json.loads(out.read_bytes().decode("utf-8"))["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "pushscope"
    assert len(log["entries"]) == 15
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "out.har.part").exists()


@pytest.mark.parametrize("bad", ["missing.mitm", "garbage.bin"])
def test_an_unreadable_input_exits_2_naming_it(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "garbage.bin").write_bytes(b"\x00 not a capture")
    out, path = tmp_path / "out.har", tmp_path / bad
    code = main(["export", "--har", str(out), str(CAPTURES / "rest.mitm"), str(path)])
    assert code == EXIT_UNUSABLE == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"pushscope: error: {path}: ")
    assert len(_entries(out)) == 4  # the readable input is still exported


def test_an_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "no-such-dir" / "out.har"
    assert main(["export", "--har", str(out), str(CAPTURES / "rest.mitm")]) == EXIT_UNUSABLE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"pushscope: error: cannot write {out}: ")


def test_har_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(CAPTURES / "rest.mitm")])
    assert exit_.value.code == 2
    assert "--har" in capsys.readouterr().err


def test_a_pipe_or_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    """`--har /dev/null` or a FIFO: moving the finished file onto it would put a file in the
    device's place (as root, for every program on the machine)."""
    import os
    import stat
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    exported = export_paths([CAPTURES / "websocket-chat.mitm"], fifo)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(json.loads(received[0])["log"]["entries"]) == exported.entries > 0
    assert not (tmp_path / "out.fifo.part").exists()
