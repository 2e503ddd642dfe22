"""The viewer on live traffic: the embedded mitmproxy, real clients, and the demo app."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from pushscope.demo.servers import run_servers
from pushscope.inspector.model import Exchange
from pushscope.tui.app import PushscopeApp
from pushscope.tui.screens.detail import ExchangeScreen
from pushscope.tui.sources import DemoSource, LiveSource
from tests.tui.conftest import screen_text, wait_until

SIZE = (150, 40)


async def test_live_proxy_shows_requests_and_saves(tmp_path: Path) -> None:
    source = LiveSource(listen_port=0, save=tmp_path / "saved", confdir=tmp_path / "confdir")
    source.start()
    app = PushscopeApp(source)
    with run_servers() as urls:
        async with app.run_test(size=SIZE) as pilot:
            text = screen_text(app)
            assert f"proxy listening on {source.proxy.url}" in text
            assert "mitmproxy-ca-cert.pem" in text  # how to trust its CA
            async with httpx.AsyncClient(proxy=source.proxy.url, timeout=10) as client:
                for _ in range(3):
                    (await client.get(f"{urls.http}/api/items")).raise_for_status()
            await wait_until(pilot, lambda: len(app.traffic) == 3 and not app.traffic.open)
            assert app.traffic.row(2).path == "/api/items" and app.traffic.row(2).status == "200"
    started = time.monotonic()
    source.stop()
    assert time.monotonic() - started < 15
    report = json.loads((tmp_path / "saved" / "report.json").read_text())
    assert len(report["exchanges"]) == 3
    assert (tmp_path / "saved" / "flows.mitm").stat().st_size > 0


async def test_demo_in_the_viewer(tmp_path: Path) -> None:
    """`pushscope demo`: every kind of traffic appears live, with open streams counted."""
    source = DemoSource(confdir=tmp_path / "confdir")
    app = PushscopeApp(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot,
            lambda: (
                {"rest", "sse", "websocket"} <= {p for p, n in app.traffic.protocols.items() if n}
            ),
            timeout=30,
        )
        await wait_until(pilot, lambda: app.traffic.connections.peak_sse >= 1, timeout=30)
        await wait_until(pilot, lambda: app.traffic.messages > 0, timeout=30)
        table = app.main.table
        assert table.cursor == len(app.traffic.visible) - 1  # following the newest
        await pilot.press("slash", *"proto:ws", "enter", "home", "enter")
        assert isinstance(app.screen, ExchangeScreen)
        assert "valid RFC 6455 handshake" in screen_text(app)
        await pilot.press("escape")
    assert source.demo is None  # stopped with the app


async def test_https_demo_in_the_viewer() -> None:
    """`pushscope demo --https`: the demo's clients speak HTTP/2 through the proxy's TLS
    interception, so the viewer shows REST and SSE over HTTP/2, and WebSocket over TLS (an
    HTTP/1.1 upgrade: the client offers no RFC 8441)."""
    source = DemoSource(https=True)
    workdir = source.proxy.confdir.parent
    app = PushscopeApp(source)

    def exchanges() -> list[Exchange]:
        return [e for i in range(len(app.traffic)) if (e := app.traffic.exchange_at(i))]

    def seen() -> set[tuple[str, str, str]]:
        return {
            (e.protocol.value, e.request.http_version, e.request.url.split(":", 1)[0])
            for e in exchanges()
        }

    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "HTTPS and HTTP/2" in screen_text(app))
        await wait_until(
            pilot,
            lambda: (
                {
                    ("rest", "HTTP/2.0", "https"),
                    ("sse", "HTTP/2.0", "https"),
                    ("websocket", "HTTP/1.1", "https"),
                }
                <= seen()
            ),
            timeout=45,
        )
        assert all(scheme == "https" for _, _, scheme in seen())
        assert source.demo is not None and not any("failed" in k for k in source.demo.counts)
        await pilot.press("slash", *"proto:sse", "enter", "home", "enter")
        assert isinstance(app.screen, ExchangeScreen)
        assert "HTTP/2.0" in screen_text(app)
    assert not workdir.exists()  # the demo's own CA and certificate are gone
