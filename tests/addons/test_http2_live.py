"""The addon in a real mitmdump intercepting TLS, with HTTP/2 on both sides.

Clients speak h2 to mitmproxy (trusting its CA) and mitmproxy speaks h2 to hypercorn (a
self-signed certificate made here; `ssl_insecure`). One proxy session carries SSE, 20
concurrent requests, a poller, 8 concurrent SSE streams, a gRPC server stream and a WebSocket
over wss; the assertions read the addon's feed and its report.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from pushscope.addons import SCRIPT
from pushscope.demo.common import sleep_until
from pushscope.demo.proxy import AddonRun, Mitmdump
from pushscope.demo.tls import (
    GRPC_PATH,
    client_context,
    grpc_message,
    push_app,
    self_signed,
    serving_tls_in_thread,
)

pytestmark = pytest.mark.timeout(180)

POLLS = 8
POLL_INTERVAL = 0.3
SSE_INTERVAL = 0.15
SSE_COUNT = 6
GRPC_COUNT = 6
GRPC_INTERVAL = 0.15
CONCURRENT = 20
STREAMS = 8


@dataclass
class Session:
    run: AddonRun
    log: list[str]
    sse_arrivals: list[float]
    grpc_arrivals: list[float]
    grpc_bytes: bytes
    burst_versions: set[str]
    ws_received: list[str]

    def report(self) -> dict[str, Any]:
        return json.loads(self.run.report.read_text())

    def feed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.run.feed.read_text().splitlines()]


def _client(proxy: str, ca: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        http2=True,
        proxy=proxy,
        verify=client_context(ca),
        trust_env=False,
        timeout=httpx.Timeout(20.0),
    )


async def _sse(client: httpx.AsyncClient, url: str) -> list[float]:
    arrivals = []
    query = f"?n={SSE_COUNT}&interval={SSE_INTERVAL}"
    async with client.stream("GET", f"{url}/events{query}") as response:
        assert response.http_version == "HTTP/2"
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic())
    return arrivals


async def _grpc(client: httpx.AsyncClient, url: str) -> tuple[list[float], bytes]:
    arrivals, body = [], bytearray()
    headers = {"content-type": "application/grpc", "te": "trailers"}
    query = f"?n={GRPC_COUNT}&interval={GRPC_INTERVAL}"
    request = grpc_message(b"\x08\x01")
    async with client.stream(
        "POST", f"{url}{GRPC_PATH}{query}", content=request, headers=headers
    ) as response:
        assert response.http_version == "HTTP/2"
        async for piece in response.aiter_raw():
            arrivals.append(time.monotonic())
            body += piece
    return arrivals, bytes(body)


async def _poll(client: httpx.AsyncClient, url: str) -> None:
    """A fixed-rate timer, as `setInterval` is, on a connection already open."""
    await _connected(client, url)
    start = asyncio.get_running_loop().time()
    for i in range(POLLS):
        await sleep_until(start + i * POLL_INTERVAL)
        (await client.get(f"{url}/api/status")).raise_for_status()


async def _connected(client: httpx.AsyncClient, url: str) -> None:
    """Open the client's connection: httpx opens one per request while it has none, before
    ALPN says the connection is HTTP/2 (a browser waits for it instead)."""
    (await client.get(f"{url}/api/hello")).raise_for_status()


async def _burst(client: httpx.AsyncClient, url: str) -> set[str]:
    await _connected(client, url)
    answers = await asyncio.gather(
        *(client.get(f"{url}/api/burst", params={"n": i}) for i in range(CONCURRENT))
    )
    return {answer.http_version for answer in answers}


async def _streams(client: httpx.AsyncClient, url: str) -> None:
    async def one() -> None:
        async with client.stream("GET", f"{url}/events?n=3&interval=0.3") as response:
            async for _ in response.aiter_bytes():
                pass

    await _connected(client, url)
    await asyncio.gather(*(one() for _ in range(STREAMS)))


async def _websocket(port: int, proxy: str, ca: Path) -> list[str]:
    received = []
    async with connect(
        f"wss://127.0.0.1:{port}/ws", proxy=proxy, ssl=client_context(ca), open_timeout=10
    ) as ws:
        received.append(str(await ws.recv()))
        for word in ("one", "two", "three"):
            await ws.send(word)
            received.append(str(await ws.recv()))
    return received


async def _traffic(port: int, proxy: str, ca: Path) -> tuple[Any, ...]:
    url = f"https://127.0.0.1:{port}"
    async with (
        _client(proxy, ca) as sse,
        _client(proxy, ca) as grpc,
        _client(proxy, ca) as poller,
        _client(proxy, ca) as burst,
        _client(proxy, ca) as streams,
    ):
        return tuple(
            await asyncio.gather(
                _sse(sse, url),
                _grpc(grpc, url),
                _poll(poller, url),
                _burst(burst, url),
                _streams(streams, url),
                _websocket(port, proxy, ca),
            )
        )


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmp = tmp_path_factory.mktemp("h2")
    run = AddonRun.into(tmp)
    confdir = tmp / "confdir"
    proxy_process = Mitmdump([*run.arguments, "--set", "ssl_insecure=true"], confdir)
    with (
        serving_tls_in_thread(push_app, self_signed(tmp / "server")) as port,
        proxy_process as proxy,
    ):
        ca = confdir / "mitmproxy-ca-cert.pem"
        sse, (grpc, grpc_bytes), _, versions, _, ws = asyncio.run(
            asyncio.wait_for(_traffic(port, proxy, ca), 60)
        )
        time.sleep(0.3)
    yield Session(run, proxy_process.log, sse, grpc, grpc_bytes, versions, ws)


def _exchanges(session: Session, path: str) -> list[dict[str, Any]]:
    return [e for e in session.report()["exchanges"] if e["url"].split("?")[0].endswith(path)]


def _spread(arrivals: list[float], count: int, interval: float) -> None:
    """`count` arrivals about `interval` apart, not all at the end."""
    assert len(arrivals) == count
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert arrivals[-1] - arrivals[0] > (count - 1) * interval * 0.6
    assert sum(1 for gap in gaps if gap > interval * 0.4) >= count - 2


def test_runs_this_checkout_and_logs_no_traceback(session: Session) -> None:
    assert any(f"Loading script {SCRIPT}" in line for line in session.log)
    assert not any("Traceback" in line for line in session.log)
    assert session.run.report.exists()


def test_sse_over_h2_arrives_event_by_event(session: Session) -> None:
    _spread(session.sse_arrivals, SSE_COUNT, SSE_INTERVAL)
    (stream,) = [e for e in _exchanges(session, "/events") if e["sse"]["events"] == SSE_COUNT]
    assert stream["http_version"] == "HTTP/2.0"
    assert stream["protocol"] == "sse"
    feed = session.feed()
    at = [r["at"] for r in feed if r.get("type") == "sse.event" and r["id"] == stream["id"]]
    assert len(at) == SSE_COUNT
    _spread(at, SSE_COUNT, SSE_INTERVAL)  # stamped by the addon as each event passed


def test_concurrent_streams_share_one_connection(session: Session) -> None:
    assert session.burst_versions == {"HTTP/2"}
    burst = _exchanges(session, "/api/burst")
    assert len(burst) == CONCURRENT
    assert {e["http_version"] for e in burst} == {"HTTP/2.0"}
    assert len({e["client"] for e in burst}) == 1  # one client connection, 20 streams
    opened = [r for r in session.feed() if r.get("type") == "exchange.opened"]
    burst_ids = {e["id"] for e in burst}
    starts = sorted(r["started"] for r in opened if r["id"] in burst_ids)
    assert starts[-1] - starts[0] < 1.0  # in flight together


def test_h2_polling_is_one_poller(session: Session) -> None:
    polls = _exchanges(session, "/api/status")
    assert len(polls) == POLLS
    assert {e["http_version"] for e in polls} == {"HTTP/2.0"}
    findings = session.report()["findings"]
    pollers = [f for f in findings if f["kind"].endswith("polling")]
    assert [(f["kind"], f["endpoint"].endswith("/api/status")) for f in pollers] == [
        ("short-polling", True)
    ]
    assert 0.2 < pollers[0]["stats"]["period_s"] < 0.6


def test_no_sse_connection_limit_over_h2(session: Session) -> None:
    streams = [e for e in _exchanges(session, "/events") if e["sse"]["events"] == 3]
    assert len(streams) == STREAMS
    assert len({e["client"] for e in streams}) == 1
    kinds = {f["kind"] for f in session.report()["findings"]}
    assert "sse-connection-limit" not in kinds


def test_grpc_server_stream_passes_message_by_message(session: Session) -> None:
    _spread(session.grpc_arrivals, GRPC_COUNT, GRPC_INTERVAL)
    assert session.grpc_bytes.count(b"tick") == GRPC_COUNT
    (call,) = _exchanges(session, GRPC_PATH)
    assert call["http_version"] == "HTTP/2.0"
    assert call["protocol"] == "stream"
    assert call["stream"]["kind"] == "grpc"
    assert call["stream"]["records"] == GRPC_COUNT
    assert call["response_bytes"] == len(session.grpc_bytes)


def test_websocket_over_wss(session: Session) -> None:
    assert session.ws_received == ["hello", "echo: one", "echo: two", "echo: three"]
    (ws,) = [e for e in session.report()["exchanges"] if e["protocol"] == "websocket"]
    assert ws["url"].startswith("https://")  # mitmproxy names a wss flow by its https URL
    assert ws["http_version"] == "HTTP/1.1"  # the websockets client offers no h2 (RFC 8441)
    messages = ws["websocket"]
    assert messages["handshake"] == "ok"
    assert messages["messages"] == {"client": 3, "server": 4}
    assert messages["close_code"] == 1000
