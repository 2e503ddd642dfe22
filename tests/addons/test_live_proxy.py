"""The addon inside a real mitmdump on 127.0.0.1, in front of the real demo servers.

One proxy session carries SSE, token streaming, a WebSocket chat and a short-polling client;
then the live feed, the flow file saved beside it (-w) and the addon's report are compared.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pushscope.addons import SCRIPT
from pushscope.demo.clients import sse_post_tokens, websocket_chat
from pushscope.demo.common import http_client, sse_blocks
from pushscope.demo.proxy import Mitmdump
from pushscope.demo.servers import ServerURLs, run_servers
from pushscope.inspector.pipeline import analyze_paths
from pushscope.inspector.report.json_report import exchange_dict

pytestmark = pytest.mark.timeout(180)


@dataclass
class Session:
    feed: Path
    flows: Path
    report: Path
    sse_arrivals: list[float]
    stream_length: float
    log: list[str]


async def _eventsource(urls: ServerURLs, proxy: str) -> list[float]:
    """Read the demo's /events stream through the proxy, noting when each event arrives."""
    arrivals: list[float] = []
    async with (
        http_client(proxy) as client,
        client.stream(
            "GET", f"{urls.http}/events", headers={"Accept": "text/event-stream"}
        ) as response,
    ):
        async for block in sse_blocks(response):
            if "data" in block:
                arrivals.append(time.monotonic())
    return arrivals


async def _poll(urls: ServerURLs, proxy: str) -> None:
    async with http_client(proxy) as client:
        for _ in range(8):
            (await client.get(f"{urls.http}/api/status")).raise_for_status()
            await asyncio.sleep(0.15)


async def _traffic(urls: ServerURLs, proxy: str) -> list[float]:
    arrivals, *_ = await asyncio.gather(
        _eventsource(urls, proxy),
        sse_post_tokens(urls, proxy),
        websocket_chat(urls, proxy),
        _poll(urls, proxy),
    )
    return arrivals


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmp = tmp_path_factory.mktemp("live")
    feed, flows, report = tmp / "feed.jsonl", tmp / "flows.mitm", tmp / "report.json"
    arguments = [
        "-s",
        str(SCRIPT),
        "-w",
        str(flows),
        "--set",
        f"pushscope_feed={feed}",
        "--set",
        f"pushscope_report={report}",
    ]
    proxy_process = Mitmdump(arguments, tmp / "confdir")
    with run_servers() as urls, proxy_process as proxy:
        started = time.monotonic()
        arrivals = asyncio.run(asyncio.wait_for(_traffic(urls, proxy), 60))
        time.sleep(0.3)
    yield Session(feed, flows, report, arrivals, time.monotonic() - started, proxy_process.log)


def test_sse_events_arrive_one_by_one(session: Session) -> None:
    """Without the addon mitmproxy would hold the stream and deliver all 8 events at the end."""
    arrivals = session.sse_arrivals
    assert len(arrivals) == 8
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert sum(gaps) > 0.25  # the server spaces them about 50 ms apart
    assert sum(1 for gap in gaps if gap > 0.02) >= 5


def test_feed_report_and_flow_file_agree(session: Session) -> None:
    live, fatal = analyze_paths([session.feed])
    offline, fatal_offline = analyze_paths([session.flows])
    assert fatal == fatal_offline == []
    assert live.sources[0].errors == offline.sources[0].errors == []

    def exchanges(rows: list[dict]) -> list[dict]:
        return sorted(
            ({k: v for k, v in row.items() if k not in ("source", "ended")} for row in rows),
            key=lambda row: row["id"],
        )

    report = json.loads(session.report.read_text())
    from_feed = exchanges([exchange_dict(e) for e in live.exchanges])
    from_flows = exchanges([exchange_dict(e) for e in offline.exchanges])
    assert from_feed == from_flows
    assert exchanges(report["exchanges"]) == from_flows
    assert {e["protocol"] for e in from_flows} == {"rest", "sse", "websocket"}
    findings = [f.to_dict() for f in offline.findings]
    assert [f.to_dict() for f in live.findings] == findings
    assert report["findings"] == findings
    assert [f["kind"] for f in findings if f["kind"].endswith("polling")] == ["short-polling"]


def test_streamed_sse_body_is_saved_in_the_flow_file(session: Session) -> None:
    offline, _ = analyze_paths([session.flows])
    streams = sorted((e for e in offline.exchanges if e.sse), key=lambda e: e.request.method)
    assert [(e.request.method, e.sse.count) for e in streams if e.sse] == [("GET", 8), ("POST", 17)]


def test_feed_records_events_as_they_happen(session: Session) -> None:
    records = [json.loads(line) for line in session.feed.read_text().splitlines()]
    assert records[0]["schema"] == "pushscope.feed/1"
    kinds = [r["type"] for r in records[1:]]
    assert kinds.count("sse.event") == 8 + 17
    assert kinds.count("ws.message") == 9
    assert "finding" in kinds
    ticks = [r for r in records if r.get("type") == "sse.event" and r["event"] == "tick"]
    assert all(r["at"] is not None for r in ticks)
    assert ticks[-1]["at"] - ticks[0]["at"] > 0.2  # stamped on arrival, not at the end


def test_addon_logs_findings(session: Session) -> None:
    assert any("pushscope: " in line and "short-polling" in line for line in session.log)
    assert not any("Traceback" in line for line in session.log)
