"""HTTP/3 through the addon: an aioquic client to mitmdump in reverse mode (QUIC on UDP),
which speaks HTTP/3 on to hypercorn over QUIC; all on 127.0.0.1.

mitmproxy's regular (HTTP CONNECT) mode cannot carry QUIC: CONNECT opens a TCP tunnel, so a
client behind it speaks HTTP/1.1 or HTTP/2. HTTP/3 reaches mitmproxy in reverse (as here),
transparent, local or WireGuard mode.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import socket
import ssl
import time
from pathlib import Path
from typing import Any

import pytest

aioquic = pytest.importorskip("aioquic", reason="HTTP/3 needs aioquic (a mitmproxy dependency)")

from aioquic.asyncio.client import connect  # noqa: E402
from aioquic.asyncio.protocol import QuicConnectionProtocol  # noqa: E402
from aioquic.h3.connection import H3_ALPN, H3Connection  # noqa: E402
from aioquic.h3.events import DataReceived, H3Event, HeadersReceived  # noqa: E402
from aioquic.quic.configuration import QuicConfiguration  # noqa: E402
from aioquic.quic.events import QuicEvent  # noqa: E402

from pushscope.demo.proxy import AddonRun, Mitmdump  # noqa: E402
from pushscope.demo.servers import HOST  # noqa: E402
from pushscope.demo.tls import CA_FILE, push_app, self_signed, serving_tls_in_thread  # noqa: E402

pytestmark = pytest.mark.timeout(120)

EVENTS = 4
INTERVAL = 0.2


class H3Client(QuicConnectionProtocol):
    """One HTTP/3 GET at a time; notes each event with its arrival time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.events: list[tuple[float, H3Event]] = []
        self.ended = asyncio.Event()

    def quic_event_received(self, event: QuicEvent) -> None:
        for h3_event in self.h3.handle_event(event):
            self.events.append((time.monotonic(), h3_event))
            if isinstance(h3_event, HeadersReceived | DataReceived) and h3_event.stream_ended:
                self.ended.set()

    async def get(self, authority: str, path: str) -> None:
        stream = self._quic.get_next_available_stream_id()
        headers = [
            (b":method", b"GET"),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
        ]
        self.h3.send_headers(stream, [*headers, (b":path", path.encode())], end_stream=True)
        self.transmit()
        await asyncio.wait_for(self.ended.wait(), 15)


async def _h3_get(port: int, path: str, ca: Path) -> list[tuple[float, H3Event]]:
    configuration = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN)
    configuration.server_name = "localhost"
    configuration.load_verify_locations(str(ca))
    configuration.verify_mode = ssl.CERT_REQUIRED
    async with connect(HOST, port, configuration=configuration, create_protocol=H3Client) as c:
        assert isinstance(c, H3Client)
        await c.get("localhost", path)
        return c.events


def _free_port() -> int:
    """A port free for both TCP and UDP now (mitmdump's reverse https mode takes both)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            with socket.socket() as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def test_sse_over_http3_through_reverse_mode(tmp_path: Path) -> None:
    run = AddonRun.into(tmp_path)
    confdir = tmp_path / "confdir"
    certificate = self_signed(tmp_path / "server")
    with serving_tls_in_thread(push_app, certificate, http3=True) as server:
        listen = _free_port()
        mode = f"reverse:https://{HOST}:{server}@{listen}"
        proxy = Mitmdump([*run.arguments, "--mode", mode, "--set", "ssl_insecure=true"], confdir)
        proxy.start()
        try:
            events = asyncio.run(
                asyncio.wait_for(
                    _h3_get(listen, f"/events?n={EVENTS}&interval={INTERVAL}", confdir / CA_FILE),
                    30,
                )
            )
        finally:
            code = proxy.stop()
    # mitmdump 12.3 with a QUIC server open sometimes dies of SIGSEGV while stopping (seen
    # here in about one run in three), after the addon wrote its report: tolerated then only.
    assert code == 0 or (code == -signal.SIGSEGV and run.report.is_file()), proxy.log
    assert not any("Traceback" in line for line in proxy.log)
    (headers,) = [e for _, e in events if isinstance(e, HeadersReceived)]
    assert (b":status", b"200") in headers.headers
    arrivals = [at for at, e in events if isinstance(e, DataReceived) and e.data]
    assert len(arrivals) == EVENTS
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert sum(1 for gap in gaps if gap > INTERVAL * 0.4) >= EVENTS - 2  # not held to the end
    (exchange,) = json.loads(run.report.read_text())["exchanges"]
    assert (exchange["http_version"], exchange["protocol"]) == ("HTTP/3", "sse")
    assert exchange["sse"]["events"] == EVENTS
    feed = [json.loads(line) for line in run.feed.read_text().splitlines()]
    at = [r["at"] for r in feed if r.get("type") == "sse.event"]
    assert at[-1] - at[0] > (EVENTS - 1) * INTERVAL * 0.6  # stamped as each event passed
