"""The addon's hooks with mitmproxy's own test doubles (taddons, tflow), analysing in-process
(`pushscope_process=False`, to read the analyzer): options, streaming,
never breaking traffic, bounded memory."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow
from mitmproxy.websocket import WebSocketMessage

from pushscope.addons.live import Pushscope


def _sse_flow():  # type: ignore[no-untyped-def]
    flow = tflow.tflow(resp=True)
    flow.response.headers["content-type"] = "text/event-stream"
    flow.response.content = None
    return flow


def test_options_are_validated(tmp_path: Path) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        with pytest.raises(
            exceptions.OptionsError, match=r"pushscope_feed: directory .* does not exist"
        ):
            tctx.configure(
                addon,
                pushscope_process=False,
                pushscope_feed=str(tmp_path / "missing" / "feed.jsonl"),
            )
        with pytest.raises(
            exceptions.OptionsError, match="pushscope_max_messages must be 0 or more"
        ):
            tctx.configure(addon, pushscope_max_messages=-1)
        tctx.configure(addon, pushscope_report=str(tmp_path / "report.json"))


def test_sse_passes_through_unchanged_and_is_parsed(tmp_path: Path) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_feed=str(tmp_path / "feed.jsonl"))
        flow = _sse_flow()
        addon.request(flow)
        addon.responseheaders(flow)
        tap = flow.response.stream
        assert callable(tap)
        chunks = [b"data: one\n\n", b"data: t", b"wo\n\n", b"\xff\xfe\x00 not text\n\n", b""]
        assert [tap(chunk) for chunk in chunks] == chunks
        addon.response(flow)
        assert flow.response.raw_content == b"".join(chunks)  # kept for -w
        assert addon.analyzer is not None
        exchange = addon.analyzer.get(flow.id)
        assert exchange is not None and exchange.sse is not None
        assert exchange.sse.count == 2 and exchange.response is not None  # garbage is no event
        assert exchange.response.body_size == len(b"".join(chunks))
    records = [json.loads(line) for line in (tmp_path / "feed.jsonl").read_text().splitlines()]
    assert [r["data"] for r in records if r.get("type") == "sse.event"][:2] == ["one", "two"]


def test_grpc_is_streamed_and_its_messages_counted() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        flow = _sse_flow()
        assert flow.response is not None
        flow.request.method = "POST"
        flow.response.headers["content-type"] = "application/grpc+proto"
        addon.request(flow)
        addon.responseheaders(flow)
        tap = flow.response.stream
        assert callable(tap)
        messages = [b"\x00" + len(p).to_bytes(4, "big") + p for p in (b"a", b"", b"xyz")]
        body = b"".join(messages)
        pieces = [body[:3], body[3:9], body[9:], b""]  # cut inside prefixes and payloads
        assert [tap(piece) for piece in pieces] == pieces
        addon.response(flow)
        assert addon.analyzer is not None
        exchange = addon.analyzer.get(flow.id)
        assert exchange is not None and exchange.stream is not None
        assert (exchange.stream.kind, exchange.stream.records) == ("grpc", 3)
        assert flow.response.raw_content == body


def test_client_hanging_up_mid_stream_keeps_what_passed(tmp_path: Path) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_max_sse_body=12)
        flow = _sse_flow()
        addon.request(flow)
        addon.responseheaders(flow)
        flow.response.stream(b"data: first\n\n")
        flow.response.stream(b"data: second\n\n")
        flow.error = tflow.terr("client disconnected")
        addon.error(flow)
        assert flow.response.raw_content == b"data: first\n"  # within the cap
        assert addon.analyzer is not None
        exchange = addon.analyzer.get(flow.id)
        assert exchange is not None and exchange.error == "client disconnected"
        assert exchange.sse is not None and exchange.sse.count == 2
        assert not addon.analyzer.is_open(flow.id)


def test_websocket_messages_binary_and_oversized() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_max_messages=2)
        flow = tflow.twebsocketflow()
        assert flow.websocket is not None
        addon.request(flow)
        addon.responseheaders(flow)
        big = WebSocketMessage(2, True, b"\x00" * (8 << 20))
        flow.websocket.messages = []
        for message in [
            big,
            WebSocketMessage(1, False, b"hi"),
            WebSocketMessage(2, False, b"\xff"),
        ]:
            flow.websocket.messages.append(message)
            addon.websocket_message(flow)
        addon.websocket_end(flow)
        assert addon.analyzer is not None
        exchange = addon.analyzer.get(flow.id)
        assert exchange is not None and exchange.websocket is not None
        session = exchange.websocket
        assert session.counts.as_dict() == {"client": 1, "server": 2}
        assert session.bytes.client == 8 << 20
        assert len(session.messages) == 2  # the cap
        assert all(len(preview) <= 256 for preview in session.previews)
        assert session.close_code == 1000


@pytest.mark.pure_python  # it replaces Analyzer.feed with one that fails
def test_a_failing_hook_never_breaks_traffic(caplog: pytest.LogCaptureFixture) -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        assert addon.analyzer is not None

        def explode(event: object) -> None:
            raise RuntimeError("boom")

        addon.analyzer.feed = explode  # type: ignore[method-assign]
        caplog.set_level(logging.ERROR)
        for _ in range(3):
            flow = tflow.tflow(resp=True)
            assert addon.request(flow) is None
            addon.responseheaders(flow)
            addon.response(flow)  # nothing was opened: nothing to close
        failures = [r for r in caplog.records if "failed; traffic is unaffected" in r.getMessage()]
        assert len(failures) == 2  # once per hook, not once per flow
        flow = _sse_flow()
        addon.responseheaders(flow)  # fails before it can tap: the response is left alone
        assert flow.response.stream is False


def test_report_written_at_shutdown(tmp_path: Path) -> None:
    addon = Pushscope()
    report = tmp_path / "report.json"
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False, pushscope_report=str(report))
        for i in range(6):
            flow = tflow.tflow(resp=True)
            flow.request.timestamp_start = 1000.0 + 2 * i
            flow.response.timestamp_end = 1000.1 + 2 * i
            addon.request(flow)
            addon.responseheaders(flow)
            addon.response(flow)
        addon.done()
    data = json.loads(report.read_text())
    assert data["schema"] == "pushscope.report/1"
    assert data["summary"]["exchanges"] == 6
    assert [f["kind"] for f in data["findings"]] == ["short-polling"]


def test_a_body_streamed_by_mitmproxy_is_unknown_not_empty() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        flows = []
        for i in range(6):
            flow = tflow.tflow(resp=True)
            flow.request.timestamp_start = 1000.0 + 2 * i
            flow.response.timestamp_end = 1000.1 + 2 * i
            flow.response.headers["content-length"] = "37"
            addon.request(flow)
            addon.responseheaders(flow)
            flow.response.stream = True  # stream_large_bodies decided after the hook
            flow.response.content = None
            addon.response(flow)
            flows.append(flow)
        assert addon.analyzer is not None
        exchange = addon.analyzer.get(flows[0].id)
        assert exchange is not None and exchange.response is not None
        assert exchange.response.body_size == 37 and exchange.response.body_digest is None
        findings = addon.analyzer.finish()
        (polling,) = [f for f in findings if f.kind == "short-polling"]
        assert polling.stats["unchanged_ratio"] == 0.0  # unknown answers are not "unchanged"


def test_a_finished_stream_does_not_hold_its_body_twice() -> None:
    addon = Pushscope()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, pushscope_process=False)
        flow = _sse_flow()
        addon.request(flow)
        addon.responseheaders(flow)
        tap = flow.response.stream
        tap(b"data: x\n\n" * 1000)
        addon.response(flow)
        assert len(flow.response.raw_content) == 9000
        assert len(tap.kept) == 0


def test_the_feed_reaches_a_tailing_reader_soon_and_whole_at_done(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"

    def types() -> list[str]:
        return [json.loads(line).get("type", "schema") for line in feed.read_text().splitlines()]

    async def main() -> tuple[list[str], list[str], list[str]]:
        addon = Pushscope()
        with taddons.context(addon) as tctx:  # on this running loop: the feed's timer runs
            tctx.configure(addon, pushscope_process=False, pushscope_feed=str(feed))
            flow = tflow.tflow(resp=True)
            addon.request(flow)
            at_once = types()
            await asyncio.sleep(0.3)  # no more traffic: the timer writes what waits
            later = types()
            addon.responseheaders(flow)
            addon.response(flow)
            addon.done()
            return at_once, later, types()

    at_once, later, at_done = asyncio.run(main())
    assert at_once == ["schema"]
    assert later == ["schema", "exchange.opened"]
    assert at_done == ["schema", "exchange.opened", "exchange.response", "exchange.closed"]
