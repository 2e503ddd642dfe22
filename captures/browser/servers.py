"""The servers behind the browser pages: one ASGI app under uvicorn on 127.0.0.1.

- python-socketio (ASGI) at ``/socket.io/``: Engine.IO polling, then an upgrade to WebSocket
  unless the page allows polling only. Each connection is sent ``news`` at seeded irregular
  gaps, and a ``chat`` message is echoed back.
- strawberry-graphql at ``/graphql``: ``query UnreadCount { unreadCount }`` over HTTP and
  ``subscription OnMessageAdded { messageAdded { id text } }`` over graphql-transport-ws (or
  the older graphql-ws protocol); each message added raises the unread count.
- Starlette: the pages and the vendored client libraries, ``GET /api/notifications`` (changes
  at a few fixed offsets), ``POST /analytics`` (beacons, 204), ``POST /presence`` (heartbeats,
  ``{"ok":true}``) and ``GET /events/{channel}`` (SSE, each channel ending at its own time).

Everything is bounded so a recording ends by itself; :func:`run_server` starts the app in a
background thread and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.types import Info

from pushscope.demo.servers import HOST, serving_in_thread, uvicorn_serving

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
VENDOR = HERE / "vendor"

PING_INTERVAL = 5
"""Engine.IO's ping interval in seconds (the default is 25): a ping and its pong show within
a 30 s recording."""
PING_TIMEOUT = 5
NEWS_GAPS = (0.4, 4.5)
"""Seconds between two `news` events of one Socket.IO connection: uniform, seeded."""
NEWS_MAX = 60
MESSAGE_GAPS = (2.5, 6.0)
"""Seconds between two messages added (pushed on the subscription, raising the count)."""
MESSAGE_MAX = 30
NOTIFICATION_OFFSETS = (7.5, 19.0, 31.5)
"""Seconds after the first `GET /api/notifications` at which a notification arrives."""
SSE_CHANNELS = ("news", "prices", "chat", "scores", "weather", "traffic", "alerts", "sports")
"""The eight channels of the SSE page, one EventSource each, in the order it opens them."""
SSE_ENDS = {"scores": 8.0, "alerts": 16.0}
"""Seconds after the first stream opened at which a channel ends; the others end at
`SSE_END`."""
SSE_END = 26.0
SSE_INTERVAL = 1.0
SEED = 7


@dataclass
class Inbox:
    """The GraphQL page's unread messages."""

    unread: int = 3
    added: int = 0


@dataclass
class Notifications:
    """What `GET /api/notifications` answers: items that arrive at fixed offsets."""

    first_asked: float | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    def current(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        if self.first_asked is None:
            self.first_asked = now
        due = sum(1 for offset in NOTIFICATION_OFFSETS if now - self.first_asked >= offset)
        while len(self.items) < due:
            n = len(self.items) + 1
            self.items.append({"id": n, "title": f"Notification {n}", "read": False})
        return list(reversed(self.items))


@dataclass
class State:
    """Per server: what the endpoints remember."""

    inbox: Inbox = field(default_factory=Inbox)
    notifications: Notifications = field(default_factory=Notifications)
    sse_epoch: float | None = None
    beacons: int = 0
    heartbeats: int = 0


def _state(info: Info[Any, Any]) -> State:
    state: State = info.context["request"].app.state.pages
    return state


@strawberry.type
class Message:
    id: strawberry.ID
    text: str


@strawberry.type
class Query:
    @strawberry.field
    def unread_count(self, info: Info[Any, Any]) -> int:
        return _state(info).inbox.unread


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def message_added(self, info: Info[Any, Any]) -> AsyncGenerator[Message, None]:
        inbox = _state(info).inbox
        rng = random.Random(SEED)
        for _ in range(MESSAGE_MAX):
            await asyncio.sleep(rng.uniform(*MESSAGE_GAPS))
            inbox.added += 1
            inbox.unread += 1
            yield Message(id=strawberry.ID(str(inbox.added)), text=f"message {inbox.added}")


SCHEMA = strawberry.Schema(query=Query, subscription=Subscription)


def _socketio_server() -> socketio.AsyncServer:
    sio = socketio.AsyncServer(
        async_mode="asgi", ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    connected: set[str] = set()

    async def news(sid: str) -> None:
        rng = random.Random(SEED)
        for n in range(1, NEWS_MAX + 1):
            await asyncio.sleep(rng.uniform(*NEWS_GAPS))
            if sid not in connected:
                return
            await sio.emit("news", {"n": n, "headline": f"headline {n}"}, to=sid)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> None:
        connected.add(sid)
        sio.start_background_task(news, sid)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        connected.discard(sid)

    @sio.event
    async def chat(sid: str, data: Any) -> str:
        await sio.emit("chat", {"echo": data}, to=sid)
        return "ok"

    return sio


async def page(request: Request) -> Response:
    """``GET /<name>.html``: a page of pages/."""
    name = request.path_params["name"]
    path = PAGES / f"{name}.html"
    if not name.replace("-", "").isalnum() or not path.is_file():
        return Response("no such page", status_code=404)
    return FileResponse(path, headers={"cache-control": "no-store"})


async def script(request: Request) -> Response:
    """``GET /<name>.js``: a page's shared script."""
    path = PAGES / f"{request.path_params['name']}.js"
    if not request.path_params["name"].isalnum() or not path.is_file():
        return Response("no such script", status_code=404)
    return FileResponse(path, headers={"cache-control": "no-store"})


async def notifications(request: Request) -> Response:
    """``GET /api/notifications``: the notifications so far."""
    state: State = request.app.state.pages
    items = state.notifications.current()
    return JSONResponse({"unread": sum(1 for i in items if not i["read"]), "items": items})


async def analytics(request: Request) -> Response:
    """``POST /analytics``: a beacon; nothing to answer."""
    await request.body()
    request.app.state.pages.beacons += 1
    return Response(status_code=204)


async def presence(request: Request) -> Response:
    """``POST /presence``: a heartbeat, acknowledged."""
    await request.body()
    request.app.state.pages.heartbeats += 1
    return JSONResponse({"ok": True})


async def events(request: Request) -> Response:
    """``GET /events/{channel}``: an SSE stream of one update a second, until the channel's
    end (counted from the first stream of the page), announced with an `end` event."""
    channel = request.path_params["channel"]
    if channel not in SSE_CHANNELS:
        return Response("no such channel", status_code=404)
    state: State = request.app.state.pages
    if state.sse_epoch is None:
        state.sse_epoch = time.monotonic()
    ends_at = state.sse_epoch + SSE_ENDS.get(channel, SSE_END)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 3000\n: stream open\n\n"
        n = 0
        while time.monotonic() + SSE_INTERVAL < ends_at:
            await asyncio.sleep(SSE_INTERVAL)
            n += 1
            yield f'id: {n}\nevent: update\ndata: {{"channel":"{channel}","n":{n}}}\n\n'
        await asyncio.sleep(max(0.0, ends_at - time.monotonic()))
        yield f'event: end\ndata: {{"channel":"{channel}","updates":{n}}}\n\n'

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )


def create_app() -> socketio.ASGIApp:
    """The whole app: Socket.IO in front, the rest behind it."""
    graphql = GraphQL(SCHEMA, graphql_ide=None)
    web = Starlette(
        routes=[
            Route("/{name}.html", page),
            Route("/{name}.js", script),
            Mount("/vendor", StaticFiles(directory=VENDOR)),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/api/notifications", notifications),
            Route("/analytics", analytics, methods=["POST"]),
            Route("/presence", presence, methods=["POST"]),
            Route("/events/{channel}", events),
        ]
    )
    web.state.pages = State()
    return socketio.ASGIApp(_socketio_server(), other_asgi_app=web)


@contextlib.asynccontextmanager
async def _pages() -> AsyncIterator[str]:
    async with uvicorn_serving(create_app()) as port:
        yield f"http://{HOST}:{port}"


def run_server(start_timeout: float = 15) -> contextlib.AbstractContextManager[str]:
    """Start the app on 127.0.0.1 (an ephemeral port); yield its base URL; stop it on exit."""
    return serving_in_thread(_pages, "the page server", start_timeout)
