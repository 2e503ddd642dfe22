"""HTTPS and HTTP/2 on 127.0.0.1: a self-signed certificate made on the spot, hypercorn serving
an ASGI app over TLS (ALPN h2 and http/1.1), and a small push app to serve (REST, SSE, a
gRPC-shaped server stream with trailers, a WebSocket echo). Every stream is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypercorn.asyncio import serve
from hypercorn.config import Config

from pushscope.demo.servers import HOST, serving_in_thread

CA_FILE = "mitmproxy-ca-cert.pem"
"""mitmproxy's CA certificate in its confdir: what a client trusts to let it intercept TLS."""

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Certificate:
    """A PEM certificate and its private key on disk."""

    cert: Path
    key: Path


def self_signed(directory: Path, name: str = "localhost") -> Certificate:
    """Write a self-signed certificate for `name`, localhost and 127.0.0.1 (EC P-256, one day)
    into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    alt = x509.SubjectAlternativeName(
        [
            x509.DNSName(name),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address(HOST)),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alt, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(directory / f"{name}-cert.pem", directory / f"{name}-key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def client_context(ca: Path, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A client TLS context that trusts `ca` only (mitmproxy's CA, or a self-signed server
    certificate); `maximum` caps the version (TLS 1.2 for a 1.2 recording)."""
    context = ssl.create_default_context(cafile=str(ca))
    if maximum is not None:
        context.maximum_version = maximum
    return context


def server_context(certificate: Certificate) -> ssl.SSLContext:
    """A server TLS context presenting `certificate` (for the websockets server)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@contextlib.asynccontextmanager
async def hypercorn_serving(
    app: Any, certificate: Certificate, http3: bool = False
) -> AsyncIterator[int]:
    """Serve the ASGI `app` with hypercorn over TLS (h2 and http/1.1) on 127.0.0.1, an
    ephemeral port, while inside; yield its port. With `http3`, HTTP/3 over QUIC (aioquic) on
    the same UDP port too."""
    # The socket is bound here, so the port is known and listening before hypercorn starts.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.certfile = str(certificate.cert)
    config.keyfile = str(certificate.key)
    config.alpn_protocols = ["h2", "http/1.1"]
    if http3:
        config.quic_bind = [f"{HOST}:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_cancellation)
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        await asyncio.sleep(0)
        if task.done():
            task.result()
        yield port
    finally:
        stop.set()
        try:
            async with asyncio.timeout(10):
                await task
        finally:
            sock.close()


def _quiet_cancellation(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Early Python 3.12 releases report a connection task cancelled at shutdown as an error
    (from `StreamReaderProtocol`'s done callback): it is not one; the rest as usual."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


def serving_tls_in_thread(
    app: Any, certificate: Certificate, http3: bool = False
) -> contextlib.AbstractContextManager[int]:
    """`hypercorn_serving` in a thread of its own (its own event loop); yields the port."""
    return serving_in_thread(lambda: hypercorn_serving(app, certificate, http3), "TLS server")


# -- the push app


SSE_EVENTS = 6
SSE_INTERVAL = 0.1
GRPC_MESSAGES = 5
GRPC_INTERVAL = 0.1
GRPC_PATH = "/demo.Ticker/Watch"


def grpc_message(payload: bytes) -> bytes:
    """One gRPC message on the wire: not compressed, 4-byte big-endian length, payload."""
    return b"\x00" + len(payload).to_bytes(4, "big") + payload


def _query(scope: Scope) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


def _number(query: dict[str, str], name: str, default: float, top: float) -> float:
    """A bounded number from the query string (a stream never outlives its test)."""
    try:
        return max(0.0, min(float(query.get(name, default)), top))
    except ValueError:
        return default


async def _start(send: Send, status: int, content_type: bytes, trailers: bool = False) -> None:
    message: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type), (b"cache-control", b"no-store")],
    }
    if trailers:
        message["trailers"] = True
    await send(message)


async def _drain(receive: Receive) -> None:
    """Read the request body to its end before answering (hypercorn's h2 drops a stream once
    answered, and fails on request data that comes for it after)."""
    while (await receive()).get("more_body"):
        pass


async def _rest(scope: Scope, receive: Receive, send: Send) -> None:
    await _drain(receive)
    status = 201 if scope["method"] == "POST" else 404 if scope["path"].endswith("/404") else 200
    body = json.dumps({"status": "ok", "path": scope["path"]}).encode()
    await _start(send, status, b"application/json")
    await send({"type": "http.response.body", "body": body})


async def _sse(scope: Scope, send: Send) -> None:
    query = _query(scope)
    count = int(_number(query, "n", SSE_EVENTS, 50))
    interval = _number(query, "interval", SSE_INTERVAL, 2)
    await _start(send, 200, b"text/event-stream")  # a GET: no body to read
    for i in range(1, count + 1):
        await asyncio.sleep(interval)
        block = f"id: {i}\nevent: tick\ndata: {json.dumps({'n': i})}\n\n".encode()
        await send({"type": "http.response.body", "body": block, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _grpc(scope: Scope, receive: Receive, send: Send) -> None:
    """A server-streaming call: `n` length-prefixed messages `interval` apart, then
    `grpc-status: 0` in the trailers (when the server offers them: HTTP/2)."""
    await _drain(receive)  # the request message
    query = _query(scope)
    count = int(_number(query, "n", GRPC_MESSAGES, 50))
    interval = _number(query, "interval", GRPC_INTERVAL, 2)
    trailers = "http.response.trailers" in scope.get("extensions", {})
    await _start(send, 200, b"application/grpc+proto", trailers)
    for i in range(1, count + 1):
        await asyncio.sleep(interval)
        payload = b"\x08" + bytes([i]) + b"\x12\x04tick"  # protobuf: field 1 = i, 2 = "tick"
        message = grpc_message(payload)
        await send({"type": "http.response.body", "body": message, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    if trailers:
        await send(
            {
                "type": "http.response.trailers",
                "headers": [(b"grpc-status", b"0"), (b"grpc-message", b"")],
                "more_trailers": False,
            }
        )


async def _echo(receive: Receive, send: Send) -> None:
    """A WebSocket that greets, then answers each text message with `echo: ` and it."""
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": "hello"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": f"echo: {message['text']}"})
        elif message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def push_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app: `/events` SSE, `GRPC_PATH` a gRPC server stream, `/ws` a WebSocket
    echo, `/page` `PAGE` (a browser page polling and listening), anything else JSON (201 for
    a POST, 404 for a path ending in /404)."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] == "websocket":
        await _echo(receive, send)
        return
    path = scope["path"]
    if path == "/events":
        await _sse(scope, send)
    elif path == GRPC_PATH:
        await _grpc(scope, receive, send)
    elif path == "/page":
        await _drain(receive)
        await _start(send, 200, b"text/html; charset=utf-8")
        await send({"type": "http.response.body", "body": PAGE.encode()})
    else:
        await _rest(scope, receive, send)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>pushscope TLS page</title></head>
<body><pre id="log"></pre>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
let polls = 0;
const poll = async () => {
  const answer = await fetch("/api/status?poll=" + polls, {cache: "no-store"});
  log("poll " + polls + " " + answer.status);
  polls += 1;
  if (polls < 6) setTimeout(poll, 300); else log("polls done");
};
poll();
const source = new EventSource("/events?n=4&interval=0.2");
let events = 0;
source.addEventListener("tick", (e) => {
  events += 1; log("event " + e.lastEventId);
  if (events >= 4) { source.close(); log("events done"); }
});
</script></body></html>
"""
