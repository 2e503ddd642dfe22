"""A client hanging up mid-stream, through a real mitmdump with the addon: the exchange is
closed with the error, and the flow saved with -w still holds the events that passed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pushscope.addons import SCRIPT
from pushscope.demo.common import http_client, sse_blocks
from pushscope.demo.proxy import Mitmdump
from pushscope.demo.servers import ServerURLs, run_servers
from pushscope.inspector.model import Limits
from pushscope.inspector.pipeline import analyze_paths

pytestmark = pytest.mark.timeout(120)


async def _read_three_and_hang_up(urls: ServerURLs, proxy: str) -> int:
    seen = 0
    async with (
        http_client(proxy) as client,
        client.stream(
            "GET", f"{urls.http}/events", headers={"Accept": "text/event-stream"}
        ) as response,
    ):
        async for block in sse_blocks(response):
            if "data" in block:
                seen += 1
            if seen == 3:
                break  # leaving the block closes the connection mid-stream
    return seen


def test_client_hangs_up_mid_stream(tmp_path: Path) -> None:
    feed, flows = tmp_path / "feed.jsonl", tmp_path / "flows.mitm"
    arguments = ["-s", str(SCRIPT), "-w", str(flows), "--set", f"pushscope_feed={feed}"]
    proxy_process = Mitmdump(arguments, tmp_path / "confdir")
    with run_servers() as urls, proxy_process as proxy:
        assert asyncio.run(asyncio.wait_for(_read_three_and_hang_up(urls, proxy), 30)) == 3
        time.sleep(0.5)
    for path in (flows, feed):
        report, fatal = analyze_paths([path], limits=Limits())
        assert fatal == []
        (exchange,) = report.exchanges
        assert exchange.protocol.value == "sse"
        assert exchange.error  # closed by the error hook: response never fired
        assert exchange.sse is not None and 3 <= exchange.sse.count < 8
    assert not any("Traceback" in line for line in proxy_process.log)
