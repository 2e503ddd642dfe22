"""Misbehaving traffic through a real mitmdump with the addon: every byte still reaches the
client unchanged, and the analysis reports the problems instead of failing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from pushscope.demo.common import http_client
from pushscope.demo.hostile import BLOB_BYTES, BLOB_PATH, GARBAGE_PATH, GARBAGE_STREAM
from pushscope.demo.proxy import AddonRun, Mitmdump
from pushscope.demo.servers import ServerURLs, run_servers
from pushscope.inspector.model import Limits
from pushscope.inspector.pipeline import analyze_paths

pytestmark = pytest.mark.timeout(120)


async def _traffic(urls: ServerURLs, proxy: str) -> tuple[bytes, list[bytes | str]]:
    async with (
        http_client(proxy) as client,
        client.stream("GET", f"{urls.http}{GARBAGE_PATH}") as response,
    ):
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    async with connect(
        urls.ws_at(BLOB_PATH), proxy=proxy, max_size=None, open_timeout=10, close_timeout=5
    ) as ws:
        messages = [await ws.recv(), await ws.recv()]
    return body, messages


def test_garbage_and_giants_pass_unchanged(tmp_path: Path) -> None:
    run = AddonRun.into(tmp_path)
    proxy_process = Mitmdump(run.arguments, tmp_path / "confdir")
    with run_servers() as urls, proxy_process as proxy:
        body, messages = asyncio.run(asyncio.wait_for(_traffic(urls, proxy), 60))
        time.sleep(0.3)
    assert body == b"".join(GARBAGE_STREAM)
    assert messages == [b"\x00\x01" * (BLOB_BYTES // 2), "done"]
    assert not any("Traceback" in line or "failed" in line for line in proxy_process.log)

    for path in (run.feed, run.flows):
        report, fatal = analyze_paths([path], limits=Limits())
        assert fatal == []
        stream = next(e.sse for e in report.exchanges if e.sse is not None)
        assert [event.data for event in stream.events] == ["before", "after"]
        if path == run.flows:  # parsed again from the saved body: the long line is reported
            assert any("line longer than" in error for error in report.sources[0].errors)
        blob = next(e for e in report.exchanges if e.websocket is not None)
        assert blob.websocket is not None
        assert blob.websocket.bytes.server == BLOB_BYTES + len("done")
    live_report = json.loads(run.report.read_text())
    assert any("line longer than" in error for error in live_report["sources"][0]["errors"])
