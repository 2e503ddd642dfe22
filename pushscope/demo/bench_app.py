"""Lean servers for `bench/bench_proxy.py`, on 127.0.0.1, meant to run in their own process.

- HTTP/1.1 with keep-alive (plain asyncio, so the server costs far less than the proxy in front
  of it): ``GET /api/items/{id}`` answers a small JSON item; ``GET /bench/sse?n=N&interval=MS``
  sends N SSE events (chunked), each stamped with its send time: ``{"seq": i, "sent": t}`` where
  ``t`` is ``time.time()`` just before the write.
- WebSocket (``websockets``): ``/flood`` reads one text message ``{"n": N, "size": S}``, sends N
  text messages of S bytes as fast as the connection takes them, then waits for the close;
  ``/echo`` sends every message back.

Run as ``python -m demo.bench_app``: it prints ``{"http": PORT, "ws": PORT}`` on one line and
serves until its standard input closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from urllib.parse import parse_qs

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from pushscope.demo.servers import HOST, ITEMS

FLOOD_PATH = "/flood"
ECHO_PATH = "/echo"
SSE_PATH = "/bench/sse"
MAX_HEAD = 64 * 1024

_ITEMS = {item["id"]: json.dumps(item, separators=(",", ":")).encode() for item in ITEMS}
_NOT_FOUND = b'{"error":"not found"}'


def _response(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n\r\n"
    )
    return head.encode() + body


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _sse(writer: asyncio.StreamWriter, query: str) -> None:
    params = parse_qs(query)
    count = int(params.get("n", ["100"])[0])
    interval = float(params.get("interval", ["10"])[0]) / 1000
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    await writer.drain()
    for seq in range(1, count + 1):
        if seq > 1:
            await asyncio.sleep(interval)
        event = f'id: {seq}\nevent: tick\ndata: {{"seq":{seq},"sent":{time.time():.6f}}}\n\n'
        writer.write(_chunk(event.encode()))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def _serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One keep-alive connection: answer requests until the client hangs up."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length" and int(value):
                    await reader.readexactly(int(value))  # ignored
            path, _, query = target.partition("?")
            if method == "GET" and path == SSE_PATH:
                await _sse(writer, query)
                continue
            item_id = path.removeprefix("/api/items/")
            body = _ITEMS.get(int(item_id)) if item_id.isdigit() else None
            if method != "GET" or body is None:
                writer.write(_response("404 Not Found", _NOT_FOUND))
            else:
                writer.write(_response("200 OK", body))
            await writer.drain()
    except (ConnectionError, ValueError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _serve_ws(ws: ServerConnection) -> None:
    path = ws.request.path.split("?", 1)[0] if ws.request is not None else ""
    with contextlib.suppress(ConnectionClosed):
        if path == FLOOD_PATH:
            spec = json.loads(await ws.recv())
            payload = "x" * int(spec.get("size", 16))
            for _ in range(int(spec["n"])):
                await ws.send(payload)
            async for _ in ws:  # wait for the client's close
                pass
        elif path == ECHO_PATH:
            async for message in ws:
                await ws.send(message)
        else:
            await ws.close(1008, "no such endpoint")


async def main() -> None:
    """Serve both until standard input closes (the parent process ended or let go)."""
    http_server = await asyncio.start_server(_serve_http, HOST, 0, limit=MAX_HEAD)
    async with (
        http_server,
        serve(_serve_ws, HOST, 0, compression=None, ping_interval=None, max_size=None) as ws,
    ):
        ports = {
            "http": http_server.sockets[0].getsockname()[1],
            "ws": ws.sockets[0].getsockname()[1],
        }
        print(json.dumps(ports), flush=True)
        await asyncio.to_thread(sys.stdin.read)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
