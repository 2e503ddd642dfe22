"""Endpoints that misbehave, to show pushscope never breaks the traffic it watches: an event
stream with bytes that are not UTF-8 and a line longer than the parser accepts, and a
WebSocket that sends one very large binary message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection

GARBAGE_PATH = "/events/garbage"
HUGE_LINE = 2 << 20
"""Longer than the SSE parser's default line cap (1 MiB)."""
BLOB_PATH = "/blob"
BLOB_BYTES = 5 << 20

GARBAGE_STREAM = [
    b"data: before\n\n",
    b"\xff\xfe\x00 not text at all\n\n",
    b"data: " + b"x" * HUGE_LINE + b"\n\n",
    b"retry: soon\nid: 1\x002\ndata: after\n\n",
]
"""What `/events/garbage` sends, chunk by chunk; a browser would dispatch `before`, `after`."""


async def _garbage() -> AsyncIterator[bytes]:
    for chunk in GARBAGE_STREAM:
        yield chunk
        await asyncio.sleep(0.05)


async def garbage_events(request: Request) -> Response:
    return StreamingResponse(_garbage(), media_type="text/event-stream")


async def blob(ws: ServerConnection) -> None:
    """``/blob``: one 5 MiB binary message and a text one, then wait for the client to close."""
    await ws.send(b"\x00\x01" * (BLOB_BYTES // 2))
    await ws.send("done")
    async for _ in ws:
        pass


ROUTES = [Route(GARBAGE_PATH, garbage_events, methods=["GET"])]
WS_ROUTES = {BLOB_PATH: blob}
