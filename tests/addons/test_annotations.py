"""Flows annotated as they are classified: a marker and a comment per push exchange and per
exchange a finding involves, in mitmproxy's process and from the analysis process."""

from __future__ import annotations

from typing import Any

import pytest
from mitmproxy import exceptions, flowfilter
from mitmproxy.test import taddons, tflow
from mitmproxy.tools.web.webaddons import WebAddon
from mitmproxy.utils import emoji
from mitmproxy.websocket import WebSocketMessage

from pushscope.addons.live import Pushscope
from pushscope.inspector.annotations import (
    ADVICE_MARKER,
    INTERVAL,
    MARKERS,
    POLLING_MARKER,
)


def _sse(addon: Pushscope, events: int) -> Any:
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-type"] = "text/event-stream"
    flow.response.content = None
    addon.request(flow)
    addon.responseheaders(flow)
    for i in range(events):
        flow.response.stream(f"id: {i}\ndata: {i}\n\n".encode())
    return flow


def _polls(addon: Pushscope, n: int) -> list[Any]:
    flows = []
    for i in range(n):
        flow = tflow.tflow(resp=True)
        flow.request.timestamp_start = 1000.0 + 2 * i
        flow.response.timestamp_start = 1000.05 + 2 * i
        flow.response.timestamp_end = 1000.1 + 2 * i
        addon.request(flow)
        addon.responseheaders(flow)
        addon.response(flow)
        flows.append(flow)
    return flows


def test_markers_are_mitmproxys() -> None:
    for marker in (*MARKERS.values(), POLLING_MARKER, ADVICE_MARKER):
        assert marker in emoji.emoji


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "analysis-process"])
def test_streams_and_pollers_are_annotated_live(process: bool) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=process)
        addon.running()
        stream = _sse(addon, 3)
        polls = _polls(addon, 8)
        ws = tflow.twebsocketflow()
        addon.request(ws)
        addon.responseheaders(ws)
        for i in range(4):
            ws.websocket.messages.append(WebSocketMessage(1, i % 2 == 0, b"x", 1.0 + i))
            addon.websocket_message(ws)
        addon.websocket_end(ws)
        if addon.process is not None:  # no event loop here to read what comes back
            addon.process.read_back(INTERVAL + 0.5)
        assert stream.comment == "SSE · 3 events · ids"
        assert stream.marked == MARKERS["sse"]
        # (mitmproxy's test flow has no Sec-WebSocket-Key: the handshake is not RFC 6455's)
        assert ws.comment == "WS · 4 msgs · handshake failed"
        assert ws.marked == MARKERS["websocket"]
        assert {p.comment for p in polls} == {"short-polling every 2.0 s -> sse"}
        assert {p.marked for p in polls} == {POLLING_MARKER}
        # mitmproxy's own filters find them.
        assert flowfilter.match("~comment short-polling", polls[0])
        assert flowfilter.match("~marker satellite", stream)
        assert not flowfilter.match("~marker satellite", polls[0])
        addon.done()


def test_the_users_comment_and_marker_stay() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        stream = _sse(addon, 1)
        assert stream.comment == "SSE · 1 events · ids"
        stream.comment = "mine"
        stream.marked = ":star:"
        stream.response.stream(b"id: 9\ndata: more\n\n")
        addon.response(stream)
        assert stream.comment == "mine" and stream.marked == ":star:"
        other = _sse(addon, 1)
        other.comment = "set before pushscope spoke"
        other.response.stream(b"data: x\n\n")
        assert other.comment == "set before pushscope spoke"
        assert other.marked == MARKERS["sse"]  # the marker was free


def test_annotation_can_be_narrowed_or_switched_off() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_annotate="findings")
        stream = _sse(addon, 2)
        polls = _polls(addon, 8)
        assert stream.comment == "" and polls[-1].comment.startswith("short-polling")
        tctx.configure(addon, pushscope_annotate="")
        assert _sse(addon, 2).comment == ""
        with pytest.raises(exceptions.OptionsError, match="unknown rest"):
            tctx.configure(addon, pushscope_annotate="sse,rest")


def test_the_comment_column_is_added_to_mitmweb() -> None:
    addon = Pushscope()
    with taddons.context(WebAddon(), addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        assert list(tctx.options.web_columns)[-1] == "comment"
        tctx.configure(addon, web_columns=["path", "comment", "status"])
        assert list(tctx.options.web_columns) == ["path", "comment", "status"]
    addon = Pushscope()
    with taddons.context(WebAddon(), addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_web_columns=False)
        assert "comment" not in tctx.options.web_columns


def test_annotations_are_saved_with_the_flows_and_change_no_analysis(tmp_path: Any) -> None:
    from mitmproxy import io

    from pushscope.inspector.pipeline import analyze_paths

    addon = Pushscope()
    plain = tmp_path / "plain.mitm"
    annotated = tmp_path / "annotated.mitm"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        flows = [_sse(addon, 2), *_polls(addon, 8)]
        addon.response(flows[0])
        with annotated.open("wb") as fp:
            writer = io.FlowWriter(fp)
            for flow in flows:
                writer.add(flow)
        with plain.open("wb") as fp:
            writer = io.FlowWriter(fp)
            for flow in flows:
                copy = flow.copy()
                copy.id = flow.id
                copy.comment, copy.marked, copy.metadata = "", "", {}
                writer.add(copy)
    with annotated.open("rb") as fp:
        comments = [f.comment for f in io.FlowReader(fp).stream()]
    assert comments[0] == "SSE · 2 events · ids" and comments[-1].startswith("short-polling")
    with_notes, _ = analyze_paths([annotated])
    without, _ = analyze_paths([plain])
    assert [f.to_dict() for f in with_notes.findings] == [f.to_dict() for f in without.findings]
    assert [e.protocol for e in with_notes.exchanges] == [e.protocol for e in without.exchanges]


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "analysis-process"])
def test_commands(process: bool, tmp_path: Any) -> None:
    import json

    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=process)
        addon.running()
        polls = _polls(addon, 8)
        other = tflow.tflow(resp=True)
        other.request.path = "/elsewhere"
        addon.request(other)
        addon.responseheaders(other)
        addon.response(other)
        report = tmp_path / "now.json"
        tctx.master.commands.call("pushscope.report", str(report))
        if addon.process is not None:
            addon.process.read_back(INTERVAL + 0.5)
        (line,) = tctx.master.commands.call("pushscope.findings")
        assert "short-polling -> sse" in line and "(8 exchanges)" in line
        assert [f["kind"] for f in json.loads(report.read_text())["findings"]] == ["short-polling"]
        tctx.master.commands.call("pushscope.series", polls[3])
        assert {p.marked for p in polls} == {":star:"} and other.marked == ""
        with pytest.raises(exceptions.CommandError, match="in no series"):
            tctx.master.commands.call("pushscope.series", other)
        with pytest.raises(exceptions.CommandError, match="does not exist"):
            tctx.master.commands.call("pushscope.report", str(tmp_path / "no" / "r.json"))
        addon.done()
