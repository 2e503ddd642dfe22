"""Record pushscope's own TLS captures: real clients to a real HTTPS server on loopback,
captured with tcpdump (or dumpcap), each client writing its TLS key log.

The server is hypercorn (h2 and http/1.1, a self-signed certificate made here) serving
`pushscope.demo.tls.push_app`: REST, SSE, a gRPC-shaped server stream with trailers, a
WebSocket echo, and a page that polls with fetch and listens with an EventSource. No proxy:
the pcap is the client-to-server traffic itself. For each capture ``captures/tls/`` gets

    <name>.pcap      the packets (tcp port of the server only)
    <name>.keys      the key log (NSS format, what SSLKEYLOGFILE writes)
    <name>.json      the truth, as the server saw it: every request (HTTP version, method,
                     path, status, SSE events, gRPC messages, WebSocket messages each way)

Python clients write their key log through `ssl.SSLContext.keylog_filename`, which is what
`SSLKEYLOGFILE` sets; Chromium through ``--ssl-key-log-file``.

    .venv/bin/python captures/record_tls.py               # all into captures/tls/
    .venv/bin/python captures/record_tls.py h2-tls13      # only some
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout: make `pushscope` importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from pushscope.demo.servers import HOST  # noqa: E402
from pushscope.demo.tls import (  # noqa: E402
    GRPC_PATH,
    Certificate,
    Receive,
    Scope,
    Send,
    client_context,
    grpc_message,
    push_app,
    self_signed,
    serving_tls_in_thread,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from packets import PacketCapture, capture_tool  # noqa: E402

OUT = Path(__file__).resolve().parent / "tls"
CLIENT_TIMEOUT = 30.0
MAX_BYTES = 300_000
CHROMIUM = "/usr/bin/chromium"
PAGE_POLLS = 6  # as PAGE in pushscope.demo.tls
PAGE_EVENTS = 4


@dataclass
class Seen:
    """One request as the server saw it."""

    http_version: str
    method: str
    path: str
    status: int | None = None
    content_type: str | None = None
    sse_events: int = 0
    grpc_messages: int = 0
    grpc_status: str | None = None
    ws_from_client: int = 0
    ws_from_server: int = 0


@dataclass
class Truth:
    """What the server saw, in the order the requests came."""

    port: int = 0
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`push_app`, noting every request and what went back."""
        if scope["type"] not in ("http", "websocket"):
            await push_app(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        seen = Seen(scope["http_version"], method, scope["path"])
        with self.lock:
            self.requests.append(seen)

        async def noting_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "websocket.receive":
                seen.ws_from_client += 1
            return message

        async def noting_send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                seen.status = message["status"]
                headers = dict(message.get("headers", []))
                seen.content_type = headers.get(b"content-type", b"").decode() or None
            elif kind == "http.response.body":
                body = message.get("body", b"")
                if seen.content_type == "text/event-stream":
                    seen.sse_events += body.count(b"\n\n")
                elif (seen.content_type or "").startswith("application/grpc") and body:
                    seen.grpc_messages += 1  # push_app sends one message per body piece
            elif kind == "http.response.trailers":
                seen.grpc_status = dict(message["headers"]).get(b"grpc-status", b"").decode()
            elif kind == "websocket.accept":
                seen.status = 101
            elif kind == "websocket.send":
                seen.ws_from_server += 1
            await send(message)

        await push_app(scope, noting_receive, noting_send)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for seen in self.requests if seen.path == path and seen.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "pushscope.tls-truth/1",
            "server_port": self.port,
            "requests": [asdict(seen) for seen in self.requests],
        }


# -- the clients

Client = Callable[[str, Path, Path, Truth], None]
"""A recording client: server base URL, the server's certificate, the key log, the truth."""


def _context(cert: Path, keys: Path, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = client_context(cert, maximum)
    context.keylog_filename = str(keys)
    return context


async def _httpx_mix(url: str, context: ssl.SSLContext, http2: bool) -> None:
    """REST (one 404), SSE, a gRPC stream, fetch-style polling; one connection."""
    async with httpx.AsyncClient(
        http2=http2, verify=context, trust_env=False, timeout=httpx.Timeout(10.0)
    ) as client:
        (await client.get(f"{url}/api/items")).raise_for_status()
        await client.post(f"{url}/api/items", json={"name": "new"})
        await client.get(f"{url}/api/items/404")
        async with client.stream("GET", f"{url}/events?n=4&interval=0.1") as response:
            async for _ in response.aiter_bytes():
                pass
        headers = {"content-type": "application/grpc", "te": "trailers"}
        async with client.stream(
            "POST", f"{url}{GRPC_PATH}?n=4&interval=0.1", content=grpc_message(b""), headers=headers
        ) as response:
            async for _ in response.aiter_raw():
                pass
        start = asyncio.get_running_loop().time()
        for i in range(5):
            await asyncio.sleep(max(0.0, start + 0.3 * i - asyncio.get_running_loop().time()))
            (await client.get(f"{url}/api/status")).raise_for_status()


async def _wss(url: str, context: ssl.SSLContext) -> None:
    async with connect(url.replace("https:", "wss:") + "/ws", ssl=context, open_timeout=10) as ws:
        await ws.recv()
        for word in ("one", "two"):
            await ws.send(word)
            await ws.recv()


def _python_client(http2: bool, maximum: ssl.TLSVersion | None) -> Client:
    def run(url: str, cert: Path, keys: Path, truth: Truth) -> None:
        async def both() -> None:
            # Two contexts: httpx sets its ALPN (h2) on the one it is given.
            await _httpx_mix(url, _context(cert, keys, maximum), http2)
            await _wss(url, _context(cert, keys, maximum))

        asyncio.run(asyncio.wait_for(both(), CLIENT_TIMEOUT))

    return run


def _chromium(url: str, cert: Path, keys: Path, truth: Truth) -> None:
    """Headless Chromium on the page until its polls and events are done (bounded)."""
    with tempfile.TemporaryDirectory(prefix="pushscope-chromium-") as profile:
        proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--ssl-key-log-file={keys}",
                "--ignore-certificate-errors",
                f"{url}/page",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + CLIENT_TIMEOUT
            while truth.count("/api/status") < PAGE_POLLS or not _events_done(truth):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chromium did not finish the page")
                time.sleep(0.1)
            time.sleep(0.3)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _events_done(truth: Truth) -> bool:
    with truth.lock:
        return any(s.path == "/events" and s.sse_events >= PAGE_EVENTS for s in truth.requests)


CAPTURES: dict[str, Client] = {
    "h2-tls13": _python_client(http2=True, maximum=None),
    "h2-tls12": _python_client(http2=True, maximum=ssl.TLSVersion.TLSv1_2),
    "h1-tls13": _python_client(http2=False, maximum=None),
    "chromium-page": _chromium,
}
"""httpx over HTTP/2 with TLS 1.3 and 1.2 and over HTTP/1.1 (each also a wss WebSocket, which
the websockets client speaks over HTTP/1.1), and Chromium on the polling and SSE page."""


def record(name: str, client: Client, out: Path, tool: str) -> Truth:
    """Record one capture into ``out/<name>.{pcap,keys,json}``."""
    with tempfile.TemporaryDirectory(prefix=f"pushscope-{name}-") as tmp:
        work = Path(tmp)
        packets, keys = work / f"{name}.pcap", work / f"{name}.keys"
        certificate: Certificate = self_signed(work / "server")
        truth = Truth()
        with serving_tls_in_thread(truth.app, certificate) as port:
            truth.port = port
            with PacketCapture(tool, [port], packets):
                client(f"https://{HOST}:{port}", certificate.cert, keys, truth)
        if not packets.is_file() or packets.stat().st_size <= 24:
            raise RuntimeError(f"{name}: {tool} captured nothing")
        if not keys.is_file() or not keys.read_text().strip():
            raise RuntimeError(f"{name}: the client wrote no key log")
        shutil.move(packets, out / packets.name)
        shutil.move(keys, out / keys.name)
        truth_path = out / f"{name}.json"
        truth_path.write_text(json.dumps(truth.to_json(), indent=1) + "\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("captures", nargs="*", metavar="capture", help=", ".join(CAPTURES))
    parser.add_argument("--out", type=Path, default=OUT, help="default: captures/tls/")
    args = parser.parse_args(argv)
    unknown = [name for name in args.captures if name not in CAPTURES]
    if unknown:
        parser.error(f"unknown capture(s) {', '.join(unknown)}; choose from {', '.join(CAPTURES)}")
    tool = capture_tool()
    if tool is None:
        print("no tcpdump or dumpcap on PATH (Debian: apt-get install tcpdump)")
        return 1
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in args.captures or list(CAPTURES):
        if name == "chromium-page" and not Path(CHROMIUM).is_file():
            print(f"{name}: skipped, no {CHROMIUM}")
            continue
        started = time.monotonic()
        truth = record(name, CAPTURES[name], args.out, tool)
        size = (args.out / f"{name}.pcap").stat().st_size
        versions = sorted({seen.http_version for seen in truth.requests})
        print(
            f"{name}: {len(truth.requests)} requests (HTTP {', '.join(versions)}), pcap {size} B, "
            f"in {time.monotonic() - started:.1f}s"
        )
        if size > MAX_BYTES:
            print(f"  warning: larger than {MAX_BYTES} bytes")
            status = 1
    return status


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
