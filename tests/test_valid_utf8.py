"""Every output is valid UTF-8 whatever bytes a capture holds: ids, URLs, header values,
WebSocket messages and SSE events with invalid UTF-8 (flow files) or lone surrogate escapes
(HAR), through every writer: the reports, the diff, the HAR export and the live feed."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mitmproxy import io as mitmproxy_io
from mitmproxy.test import tflow

from pushscope.cli import main
from pushscope.inspector.analysis import Analyzer
from pushscope.inspector.feed import FeedWriter
from pushscope.inspector.readers import read_capture

FORMATS = ("json", "markdown", "html", "text")
ID_PLACEHOLDER = "pushscope-id-000"
"""A flow id of the raw id's length, swapped for it in the file (mitmproxy writes only valid
text, but a flow file from elsewhere may hold any bytes)."""


def flow_file(path: Path, raw: bytes) -> Path:
    """A flow file whose id, path, header value, WebSocket messages and SSE body are `raw`."""
    line = raw.replace(b"\r", b"").replace(b"\n", b"")
    rest = tflow.tflow(resp=True)
    rest.id = ID_PLACEHOLDER
    rest.request.data.path = b"/items/" + line
    rest.request.headers.fields = ((b"Host", b"example.com"), (b"X-Raw", line))
    rest.response.headers.fields = ((b"Content-Type", b"application/json"), (b"X-Raw", line))
    rest.response.data.reason = line
    rest.response.content = raw
    stream = tflow.tflow(resp=True)
    stream.request.data.path = b"/events?" + line
    stream.response.headers.fields = ((b"Content-Type", b"text/event-stream"),)
    stream.response.content = b"event: " + line + b"\nid: " + line + b"\ndata: " + raw + b"\n\n"
    ws = tflow.twebsocketflow()
    ws.request.data.path = b"/ws/" + line
    for message in ws.websocket.messages:
        message.content = raw
    buffer = io.BytesIO()
    writer = mitmproxy_io.FlowWriter(buffer)
    for flow in (rest, stream, ws):
        writer.add(flow)
    assert len(raw[:16]) == 16
    path.write_bytes(buffer.getvalue().replace(ID_PLACEHOLDER.encode(), raw[:16]))
    return path


def har_file(path: Path, text: str) -> Path:
    """A HAR whose strings carry `text`, lone surrogates included (JSON writes them as escapes)."""
    entry = {
        "startedDateTime": "2026-01-01T00:00:00Z",
        "time": 5,
        "request": {
            "method": "GET",
            "url": "http://example.com/" + text,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "X-" + text, "value": text}],
        },
        "response": {
            "status": 200,
            "statusText": text,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Content-Type", "value": "text/event-stream"}],
            "content": {"mimeType": "text/event-stream", "text": f"event: {text}\ndata: x\n\n"},
        },
        "_webSocketMessages": [{"type": "send", "time": 1.0, "opcode": 1, "data": text}],
    }
    path.write_text(json.dumps({"log": {"entries": [entry]}}), encoding="ascii")
    return path


def assert_every_writer_is_valid(capture: Path, tmp: Path) -> None:
    for fmt in FORMATS:
        out = tmp / f"report.{fmt}"
        assert main(["analyze", "--format", fmt, "--output", str(out), str(capture)]) == 0
        text = out.read_bytes().decode("utf-8")  # strict: raises on any invalid byte
        if fmt == "json":
            json.loads(text)
    har = tmp / "export.har"
    assert main(["export", "--har", str(har), str(capture)]) == 0
    json.loads(har.read_bytes().decode("utf-8"))
    report = tmp / "report.json"
    for fmt in ("json", "markdown", "text"):
        out = tmp / f"diff.{fmt}"
        args = ["diff", str(report), str(capture), "--format", fmt, "--output", str(out)]
        assert main(args) == 0
        text = out.read_bytes().decode("utf-8")
        if fmt == "json":
            json.loads(text)
    feed = io.StringIO()
    analyzer = Analyzer(observers=[FeedWriter(feed)])
    for event in read_capture(capture, 0).events:
        analyzer.feed(event)
    analyzer.close_open()
    analyzer.finish()
    for line in feed.getvalue().splitlines():
        json.loads(line.encode("utf-8"))


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(raw=st.binary(min_size=16, max_size=64))
def test_flow_files_with_any_bytes(tmp_path: Path, raw: bytes) -> None:
    assert_every_writer_is_valid(flow_file(tmp_path / "any.mitm", raw), tmp_path)


@SETTINGS
@given(text=st.text(st.characters(codec=None, exclude_categories=["Cc"]), max_size=40))
def test_har_with_any_text_and_lone_surrogates(tmp_path: Path, text: str) -> None:
    assert_every_writer_is_valid(har_file(tmp_path / "any.har", text + "\udc80\ud800"), tmp_path)


def test_an_invalid_flow_id_is_replaced_not_passed_through(tmp_path: Path) -> None:
    capture = flow_file(tmp_path / "bad.mitm", b"\xff\xfeid-" + b"\x80" * 11)
    out = tmp_path / "report.json"
    assert main(["analyze", "--format", "json", "--output", str(out), str(capture)]) == 0
    ids = [e["id"] for e in json.loads(out.read_bytes().decode("utf-8"))["exchanges"]]
    assert "\ufffd\ufffdid-" + "\ufffd" * 11 in ids
