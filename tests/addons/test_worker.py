"""The addon with its analysis in a process of its own (the default): records reach it, its
report, feed and log lines come back, and the proxy's side survives it failing."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import pytest
from mitmproxy.test import taddons, tflow
from mitmproxy.websocket import WebSocketMessage

from pushscope.addons import adapter, worker
from pushscope.addons.live import Pushscope
from pushscope.addons.records import Body, Closed
from pushscope.addons.session import Configure, Settings


def _polls(addon: Pushscope, count: int) -> None:
    for i in range(count):
        flow = tflow.tflow(resp=True)
        flow.request.timestamp_start = 1000.0 + 2 * i
        flow.response.timestamp_end = 1000.1 + 2 * i
        addon.request(flow)
        addon.responseheaders(flow)
        addon.response(flow)


def _sse(addon: Pushscope) -> None:
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-type"] = "text/event-stream"
    flow.response.content = None
    addon.request(flow)
    addon.responseheaders(flow)
    tap = flow.response.stream
    assert callable(tap)
    assert tap(b"id: 1\ndata: one\n\ndata: two\n\n") == b"id: 1\ndata: one\n\ndata: two\n\n"
    addon.response(flow)
    assert flow.response.raw_content == b"id: 1\ndata: one\n\ndata: two\n\n"  # kept for -w


def _websocket(addon: Pushscope) -> None:
    flow = tflow.twebsocketflow(messages=False)
    addon.request(flow)
    addon.responseheaders(flow)
    assert flow.websocket is not None
    for from_client, content in ((True, b"subscribe"), (False, b"x" * 10_000), (False, b"y")):
        flow.websocket.messages.append(WebSocketMessage(1, from_client, content))
        addon.websocket_message(flow)
    flow.websocket.close_code = 1000
    addon.websocket_end(flow)


def test_records_reach_the_analysis_process_and_the_report_comes_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report, feed = tmp_path / "report.json", tmp_path / "feed.jsonl"
    caplog.set_level(logging.INFO)
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_report=str(report), pushscope_feed=str(feed))
        _polls(addon, 6)
        _sse(addon)
        _websocket(addon)
        assert addon.process is not None and addon.process.alive
        assert addon.analyzer is None  # not in this process
        addon.done()
        assert addon.process.process.returncode == 0
    data = json.loads(report.read_text())
    assert data["summary"]["protocols"] == {"rest": 6, "sse": 1, "websocket": 1, "stream": 0}
    assert [f["kind"] for f in data["findings"]] == ["short-polling"]
    (sse,) = [e for e in data["exchanges"] if e["protocol"] == "sse"]
    assert sse["sse"]["events"] == 2 and sse["sse"]["events_with_id"] == 1
    assert sse["response_bytes"] == 28
    (ws,) = [e for e in data["exchanges"] if e["protocol"] == "websocket"]
    assert ws["websocket"]["messages"] == {"client": 1, "server": 2}
    assert ws["websocket"]["bytes"] == {"client": 9, "server": 10_001}  # sizes, not kept bytes
    assert ws["websocket"]["close_code"] == 1000
    types = [json.loads(line).get("type") for line in feed.read_text().splitlines()]
    assert types.count("exchange.closed") == 8 and "finding" in types
    # The finding's log line was written by the analysis process and logged here.
    assert any("short-polling" in r.getMessage() for r in caplog.records)


def test_on_a_running_loop_records_go_in_batches_and_log_lines_as_they_come(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = tmp_path / "report.json"
    caplog.set_level(logging.INFO)

    async def main() -> list[str]:
        addon = Pushscope()
        with taddons.context(addon) as tctx:
            tctx.configure(addon, pushscope_report=str(report))
            addon.running()
            _polls(addon, 6)
            for _ in range(100):  # the flush timer sends them; the finding comes back
                await asyncio.sleep(0.02)
                if any("short-polling" in r.getMessage() for r in caplog.records):
                    break
            seen = [r.getMessage() for r in caplog.records if "short-polling" in r.getMessage()]
            addon.done()
            return seen

    assert asyncio.run(main())  # logged before the end
    assert json.loads(report.read_text())["summary"]["exchanges"] == 6


def test_without_the_process_the_analysis_runs_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker.sys, "executable", str(tmp_path / "no-such-python"))
    report = tmp_path / "report.json"
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_report=str(report))
        caplog.set_level(logging.WARNING)
        _polls(addon, 6)
        assert addon.process is None and addon.analyzer is not None
        assert any(
            "analysing in mitmproxy's process instead" in r.getMessage() for r in caplog.records
        )
        addon.done()
    assert json.loads(report.read_text())["summary"]["exchanges"] == 6


def test_a_process_that_dies_never_breaks_traffic(caplog: pytest.LogCaptureFixture) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon)
        _polls(addon, 1)
        assert addon.process is not None
        addon.process.process.kill()
        addon.process.process.wait()
        caplog.set_level(logging.ERROR)
        for _ in range(3):
            _polls(addon, 1)  # no exception reaches the hooks
        stopped = [r for r in caplog.records if "analysis process stopped" in r.getMessage()]
        assert len(stopped) == 1
        addon.done()


def test_an_analysis_failure_is_logged_once_and_the_rest_analysed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = tmp_path / "report.json"
    caplog.set_level(logging.ERROR)
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_report=str(report))
        _polls(addon, 2)
        assert addon.process is not None
        for _ in range(3):
            addon.process.push(Configure("not settings"))  # type: ignore[arg-type]  # fails there, each time
        _polls(addon, 2)
        addon.done()
    failures = [r for r in caplog.records if "analysing a Configure record" in r.getMessage()]
    assert len(failures) == 1 and "Traceback" in failures[0].getMessage()
    assert json.loads(report.read_text())["summary"]["exchanges"] == 4


def test_the_process_is_this_interpreter_running_the_installed_module() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon)
        addon.running()
        assert addon.process is not None
        args = addon.process.process.args
        assert list(args) == [sys.executable, "-P", "-m", "pushscope.addons.worker"]
        addon.done()


def test_records_cross_the_pipe_as_the_same_typed_records() -> None:
    flow = tflow.twebsocketflow()
    sent = [
        adapter.opened(flow),
        adapter.responded(flow),
        adapter.message(flow),
        Body(flow.id, b"data: 1\n\n", 1.5),
        Closed(flow.id, 2.0, close_code=1000, closed_by="client", body_size=0),
        Configure(Settings(report="r.json")),
    ]
    received = worker.unpack(worker.pack(sent))
    assert received == sent
    assert [type(r) for r in received] == [type(r) for r in sent]
    assert received[4].closed_by == "client" and received[4].body is None  # type: ignore[union-attr]
