"""mitmproxy inside the test process (`EmbeddedProxy`), in front of the real demo servers:
REST, an SSE stream and a WebSocket chat through it; what the observer saw, on which thread;
the flow file, the report and `pushscope analyze` agreeing; silence on stdout and stderr."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from pushscope.addons.embedded import EmbeddedProxy, ProxyStartError
from pushscope.demo.background import DemoTraffic
from pushscope.demo.clients import websocket_chat
from pushscope.demo.common import http_client, sse_blocks
from pushscope.demo.servers import SSE_EVENTS, ServerURLs, run_servers
from pushscope.inspector.analysis import Observer
from pushscope.inspector.findings import Finding
from pushscope.inspector.model import Exchange, SseEvent, WebSocketMessage
from pushscope.inspector.sse import SseComment

pytestmark = pytest.mark.timeout(120)

PUSHSCOPE = Path(sys.executable).with_name("pushscope")
STOP_BOUND = 15.0


class Recorder(Observer):
    """Notes every call: (hook, exchange id, thread name); and protocols of closed exchanges."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.closed_protocols: Counter[str] = Counter()

    def _note(self, hook: str, exchange_id: str) -> None:
        self.calls.append((hook, exchange_id, threading.current_thread().name))

    def opened(self, exchange: Exchange) -> None:
        self._note("opened", exchange.id)

    def responded(self, exchange: Exchange) -> None:
        self._note("responded", exchange.id)

    def sse(self, exchange: Exchange, item: SseEvent | SseComment) -> None:
        if isinstance(item, SseEvent):
            self._note("sse", exchange.id)

    def ws_message(self, exchange: Exchange, message: WebSocketMessage, payload: bytes) -> None:
        self._note("ws_message", exchange.id)

    def closed(self, exchange: Exchange) -> None:
        self._note("closed", exchange.id)
        self.closed_protocols[str(exchange.protocol)] += 1

    def finding(self, finding: Finding) -> None:
        self._note("finding", finding.id)

    def count(self, hook: str) -> int:
        return sum(1 for call in list(self.calls) if call[0] == hook)


async def _rest(urls: ServerURLs, proxy: str) -> None:
    async with http_client(proxy) as client:
        for _ in range(3):
            (await client.get(f"{urls.http}/api/items")).raise_for_status()


async def _eventsource(urls: ServerURLs, proxy: str, recorder: Recorder) -> list[tuple[float, int]]:
    """Read /events through the proxy: when each event arrived, and how many SSE events the
    observer had seen by then."""
    arrivals: list[tuple[float, int]] = []
    async with (
        http_client(proxy) as client,
        client.stream("GET", f"{urls.http}/events", headers={"Accept": "text/event-stream"}) as r,
    ):
        async for block in sse_blocks(r):
            if "data" in block:
                arrivals.append((time.monotonic(), recorder.count("sse")))
    return arrivals


async def _traffic(urls: ServerURLs, proxy: str, recorder: Recorder) -> list[tuple[float, int]]:
    arrivals, *_ = await asyncio.gather(
        _eventsource(urls, proxy, recorder), _rest(urls, proxy), websocket_chat(urls, proxy)
    )
    return arrivals


def _analyze(flows: Path) -> dict[str, object]:
    result = subprocess.run(
        [str(PUSHSCOPE), "analyze", str(flows), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _exchanges(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return sorted(
        ({k: v for k, v in row.items() if k not in ("source", "ended")} for row in rows),
        key=lambda row: str(row["id"]),
    )


def test_traffic_through_the_embedded_proxy(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    flows, report = tmp_path / "flows.mitm", tmp_path / "report.json"
    proxy = EmbeddedProxy(
        [recorder],
        listen_port=0,
        confdir=tmp_path / "confdir",
        save_flows=flows,
        report=report,
        feed=tmp_path / "feed.jsonl",
    )
    with run_servers() as urls:
        proxy.start()
        try:
            assert proxy.url.startswith("http://127.0.0.1:")
            assert proxy.ca_cert.is_file()
            assert any(proxy.url in line for line in proxy.trust_hint())
            arrivals = asyncio.run(asyncio.wait_for(_traffic(urls, proxy.url, recorder), 60))
            time.sleep(0.3)  # the last closes pass through the proxy thread
            assert len(proxy.analyzer) >= 5
        finally:
            started = time.monotonic()
            proxy.stop()
            assert time.monotonic() - started < STOP_BOUND
    proxy.stop()  # idempotent

    # SSE events reached the client one by one, each after the observer had seen it.
    assert len(arrivals) == SSE_EVENTS
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals)]
    assert sum(gaps) > 0.25  # the server spaces them about 50 ms apart
    assert [seen >= n for n, (_, seen) in enumerate(arrivals, 1)] == [True] * SSE_EVENTS

    hooks = Counter(hook for hook, _, _ in recorder.calls)
    assert hooks["opened"] == hooks["responded"] == hooks["closed"] == 5  # 3 REST, SSE, WS
    assert hooks["sse"] == SSE_EVENTS
    assert hooks["ws_message"] >= 6  # 3 sent, welcome, avatar, presence, replies
    assert {thread for _, _, thread in recorder.calls} == {"pushscope-proxy"}
    assert recorder.closed_protocols == {"rest": 3, "sse": 1, "websocket": 1}

    # What the addon reported at shutdown is what `pushscope analyze` reads in the flow file.
    assert flows.stat().st_size > 0 and report.is_file()
    live = json.loads(report.read_text())
    offline = _analyze(flows)
    assert _exchanges(live["exchanges"]) == _exchanges(offline["exchanges"])  # type: ignore[arg-type]
    assert live["findings"] == offline["findings"]
    assert live["summary"]["protocols"] == {"rest": 3, "sse": 1, "websocket": 1, "stream": 0}

    # mitmproxy's log went to the deque; nothing reached the terminal.
    assert any("listening at" in line for line in proxy.log)
    assert not any("Traceback" in line for line in proxy.log)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_port_in_use_is_a_clear_error(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy = EmbeddedProxy(listen_port=port, confdir=tmp_path / "confdir")
        with pytest.raises(ProxyStartError) as raised:
            proxy.start()
    assert str(raised.value) == (
        f"cannot listen on 127.0.0.1:{port}: the port is already in use (choose another port)"
    )
    assert not proxy.running
    proxy.stop()
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"mode": ("sideways",)}, "invalid proxy mode 'sideways'"),
        ({"report": Path("/nonexistent/report.json")}, "pushscope_report: directory"),
    ],
)
def test_bad_settings_are_clear_errors(
    tmp_path: Path, settings: dict[str, object], expected: str
) -> None:
    proxy = EmbeddedProxy(listen_port=0, confdir=tmp_path / "confdir", **settings)  # type: ignore[arg-type]
    with pytest.raises(ProxyStartError, match=expected) as raised:
        proxy.start()
    assert "\n" not in str(raised.value)


def test_runs_again_one_at_a_time_and_restores_logging(tmp_path: Path) -> None:
    mitmproxy_logger = logging.getLogger("mitmproxy")
    before = (mitmproxy_logger.level, mitmproxy_logger.propagate, logging.getLogger().handlers[:])
    for _ in range(2):
        with EmbeddedProxy(listen_port=0, confdir=tmp_path / "confdir") as proxy:
            assert proxy.running
            with pytest.raises(ProxyStartError, match="already running"):
                EmbeddedProxy(listen_port=0, confdir=tmp_path / "confdir").start()
        assert not proxy.running
        after = (mitmproxy_logger.level, mitmproxy_logger.propagate, logging.getLogger().handlers)
        assert after == before
    with pytest.raises(RuntimeError, match="starts once"):
        proxy.start()


def _wait_for_protocols(recorder: Recorder, at_least: float, at_most: float = 30.0) -> None:
    """Wait (bounded) until REST, SSE and WebSocket exchanges have closed, for `at_least` s."""
    started = time.monotonic()
    while time.monotonic() - started < at_most:
        if time.monotonic() - started >= at_least and recorder.closed_protocols.keys() >= {
            "rest",
            "sse",
            "websocket",
        }:
            return
        time.sleep(0.1)


def test_demo_traffic_through_the_embedded_proxy(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder()
    with EmbeddedProxy([recorder], listen_port=0, confdir=tmp_path / "confdir") as proxy:
        demo = DemoTraffic(proxy.url)
        demo.start()
        try:
            _wait_for_protocols(recorder, at_least=3.0)
        finally:
            started = time.monotonic()
            demo.stop()
            stopped_in = time.monotonic() - started
        demo.stop()  # idempotent
    assert stopped_in < 10
    assert recorder.closed_protocols.keys() >= {"rest", "sse", "websocket"}
    assert {thread for _, _, thread in recorder.calls} == {"pushscope-proxy"}
    counts = demo.counts
    assert counts["rest"] >= 1 and counts["websocket-chat"] >= 1
    assert not [name for name in counts if name.endswith("(failed)")], counts
    assert capfd.readouterr() == ("", "")


def test_proxy_stops_quietly_under_traffic(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Connections still open when the proxy stops are cut without a word on stderr, nor an
    error logged where the host's handlers would see it (pytest's sit on the root logger)."""
    recorder = Recorder()
    report = tmp_path / "report.json"
    proxy = EmbeddedProxy([recorder], listen_port=0, confdir=tmp_path / "confdir", report=report)
    proxy.start()
    with DemoTraffic(proxy.url):
        _wait_for_protocols(recorder, at_least=1.0)
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < STOP_BOUND
    assert json.loads(report.read_text())["summary"]["exchanges"] > 0
    assert not any("Traceback" in line for line in proxy.log)
    assert capfd.readouterr() == ("", "")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


class StopOnClose(Observer):
    def __init__(self) -> None:
        self.proxy: EmbeddedProxy | None = None

    def closed(self, exchange: Exchange) -> None:
        assert self.proxy is not None
        self.proxy.stop()


def test_an_observer_may_stop_the_proxy(tmp_path: Path) -> None:
    observer = StopOnClose()
    proxy = EmbeddedProxy([observer], listen_port=0, confdir=tmp_path / "confdir")
    observer.proxy = proxy
    with run_servers() as urls, proxy, httpx.Client(proxy=proxy.url, trust_env=False) as client:
        client.get(f"{urls.http}/api/items", timeout=10).raise_for_status()
        deadline = time.monotonic() + 10
        while proxy.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not proxy.running


SILENT_HOST = """
import sys, time
from pathlib import Path
from pushscope.addons.embedded import EmbeddedProxy
from pushscope.demo.background import DemoTraffic

proxy = EmbeddedProxy(listen_port=0, confdir=Path(sys.argv[1]))
proxy.start()
with DemoTraffic(proxy.url):
    time.sleep(2)
    proxy.stop()  # first, with connections open
"""


def test_nothing_printed_in_a_host_without_logging_setup(tmp_path: Path) -> None:
    """In a fresh interpreter (no root handler: Python's last-resort handler writes warnings to
    stderr), a run of the proxy and the demo, stopped under traffic, prints nothing."""
    result = subprocess.run(
        [sys.executable, "-c", SILENT_HOST, str(tmp_path / "confdir")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_demo_traffic_only_on_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        DemoTraffic("http://192.0.2.1:8080")
