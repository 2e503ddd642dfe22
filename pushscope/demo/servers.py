"""Demo servers: a Starlette app (REST, SSE, token and NDJSON streams, polling endpoints from
:mod:`demo.poll_server`, a page from :mod:`demo.static`) and a ``websockets`` server (the chat,
plus the ticker and RPC of :mod:`demo.ws_apps`).

Everything binds to 127.0.0.1 on ephemeral ports and runs in one background thread with its
own event loop; use :func:`run_servers` to start both and get their URLs. Every stream is
bounded (a fixed number of events, a few milliseconds apart) so a recording ends by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse
from websockets.typing import Subprotocol

from pushscope.demo import hostile, poll_server, static
from pushscope.demo.ws_apps import WS_ROUTES

if TYPE_CHECKING:
    from pushscope.demo.tls import Certificate

HOST = "127.0.0.1"

SSE_EVENTS = 8
SSE_INTERVAL = 0.05
SSE_RETRY_MS = 200
TOKEN_INTERVAL = 0.03
NDJSON_LINES = 6
NDJSON_INTERVAL = 0.05
CHAT_PATH = "/chat"
CHAT_SUBPROTOCOL = Subprotocol("chat.v1")
CHAT_PRESENCE_DELAY = 0.15
CHAT_AVATAR = b"\x89PNG\r\n\x1a\n" + bytes(range(24))  # small binary frame, not a real image

ITEMS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "widget", "price": 9.5},
    {"id": 2, "name": "gadget", "price": 24.0},
    {"id": 3, "name": "gizmo", "price": 3.25},
)

CHAT_REPLY = "Server-sent events stream tokens one chunk at a time until the final DONE marker."


@dataclass(frozen=True)
class ServerURLs:
    """Where the running demo servers listen."""

    http: str  # base URL of the Starlette app, e.g. "http://127.0.0.1:PORT"
    ws: str  # full URL of the WebSocket chat, e.g. "ws://127.0.0.1:PORT/chat"

    def ws_at(self, path: str) -> str:
        """The URL of another WebSocket endpoint (e.g. ``/ticker``) on the chat's server."""
        return self.ws.removesuffix(CHAT_PATH) + path


# --- REST -----------------------------------------------------------------------------------


async def list_items(request: Request) -> Response:
    """``GET /api/items``: all items."""
    return JSONResponse({"items": list(request.app.state.items.values())})


async def get_item(request: Request) -> Response:
    """``GET /api/items/{id}``: one item, or a JSON 404."""
    item = request.app.state.items.get(request.path_params["item_id"])
    if item is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    return JSONResponse(item)


async def create_item(request: Request) -> Response:
    """``POST /api/items``: store the JSON body and echo it back with its new id (201)."""
    body = await request.json()
    items: dict[int, dict[str, Any]] = request.app.state.items
    item = {"id": max(items, default=0) + 1, **body}
    items[item["id"]] = item
    return JSONResponse(item, status_code=201, headers={"Location": f"/api/items/{item['id']}"})


# --- SSE (EventSource style) ----------------------------------------------------------------


async def _sse_events(first_id: int) -> AsyncIterator[ServerSentEvent]:
    for n in range(first_id, SSE_EVENTS + 1):
        if n == 1:
            yield ServerSentEvent(comment="stream open", retry=SSE_RETRY_MS)
        if n % 3 == 0:
            quote = {"symbol": "PSC", "price": 100 + n, "ts": n}
            # Multi-line data: a JSON object pretty-printed over several "data:" lines.
            yield ServerSentEvent(json.dumps(quote, indent=1), event="price", id=str(n))
        else:
            yield ServerSentEvent(f"tick {n}", event="tick", id=str(n))
        if n == SSE_EVENTS // 2:
            yield ServerSentEvent(comment="ping")
        await asyncio.sleep(SSE_INTERVAL)


async def events(request: Request) -> Response:
    """``GET /events``: a bounded EventSource stream; 204 once the client has seen it all.

    A reconnecting client sends ``Last-Event-ID``; the stream resumes after that id, and an
    id at or past the last event gets ``204 No Content``, which tells EventSource to stop.
    """
    last_id = request.headers.get("last-event-id", "0")
    first_id = int(last_id) + 1 if last_id.isdigit() else 1
    if first_id > SSE_EVENTS:
        return Response(status_code=204)
    # ping=0: no timer-driven keep-alive comments, so every recording has the same shape.
    return EventSourceResponse(_sse_events(first_id), ping=0)


# --- AI chat token stream (OpenAI style) ----------------------------------------------------


def _completion_chunk(model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _token_events(model: str) -> AsyncIterator[ServerSentEvent]:
    deltas = [{"role": "assistant"}] + [{"content": w + " "} for w in CHAT_REPLY.split(" ")]
    for delta in deltas:
        yield ServerSentEvent(json.dumps(_completion_chunk(model, delta, None)), sep="\n")
        await asyncio.sleep(TOKEN_INTERVAL)
    yield ServerSentEvent(json.dumps(_completion_chunk(model, {}, "stop")), sep="\n")
    yield ServerSentEvent("[DONE]", sep="\n")


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: ``data: {chunk}`` events then ``data: [DONE]``."""
    body = await request.json()
    model = str(body.get("model", "demo-1"))
    if not body.get("stream", False):
        message = {"role": "assistant", "content": CHAT_REPLY}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return JSONResponse(
            {
                "id": "chatcmpl-demo",
                "object": "chat.completion",
                "model": model,
                "choices": [choice],
            }
        )
    return EventSourceResponse(_token_events(model), ping=0, sep="\n")


# --- NDJSON stream --------------------------------------------------------------------------


async def _ndjson_lines() -> AsyncIterator[bytes]:
    for n in range(1, NDJSON_LINES + 1):
        record = {"seq": n, "level": "info" if n % 3 else "warn", "msg": f"job step {n} done"}
        yield (json.dumps(record) + "\n").encode()
        await asyncio.sleep(NDJSON_INTERVAL)


async def ndjson_stream(request: Request) -> Response:
    """``GET /stream/ndjson``: a bounded stream of JSON lines."""
    return StreamingResponse(_ndjson_lines(), media_type="application/x-ndjson")


def create_app() -> Starlette:
    """Build the Starlette app with fresh in-memory state."""
    app = Starlette(
        routes=[
            Route("/api/items", list_items, methods=["GET"]),
            Route("/api/items", create_item, methods=["POST"]),
            Route("/api/items/{item_id:int}", get_item, methods=["GET"]),
            Route("/events", events, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/stream/ndjson", ndjson_stream, methods=["GET"]),
            *poll_server.ROUTES,
            *hostile.ROUTES,
            *static.ROUTES,
        ]
    )
    app.state.items = {item["id"]: dict(item) for item in ITEMS}
    app.state.poll = poll_server.PollState()
    return app


# --- WebSocket chat (websockets library) ----------------------------------------------------


class ChatRoom:
    """A broadcast chat room: one reply per client message plus unsolicited server messages."""

    def __init__(self) -> None:
        self.members: set[ServerConnection] = set()
        self.seq = 0

    @staticmethod
    def select_subprotocol(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """Pick ``chat.v1`` if the client offers it; accept clients that offer nothing."""
        return CHAT_SUBPROTOCOL if CHAT_SUBPROTOCOL in offered else None

    @staticmethod
    def process_request(connection: ServerConnection, request: WsRequest) -> WsResponse | None:
        """Reject every path but the chat and :data:`~demo.ws_apps.WS_ROUTES` with a 404."""
        path = request.path.split("?", 1)[0]
        if path != CHAT_PATH and path not in WS_ROUTES:
            return WsResponse(404, "Not Found", Headers(), b"no such endpoint\n")
        return None

    async def _send_presence(self, ws: ServerConnection) -> None:
        await asyncio.sleep(CHAT_PRESENCE_DELAY)
        await ws.send(json.dumps({"type": "presence", "online": len(self.members)}))

    async def handler(self, ws: ServerConnection) -> None:
        """Serve one client until it closes."""
        self.members.add(ws)
        welcome = {"type": "system", "text": "welcome to #lobby", "subprotocol": ws.subprotocol}
        await ws.send(json.dumps(welcome))
        await ws.send(CHAT_AVATAR)
        presence = asyncio.create_task(self._send_presence(ws))
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    continue
                try:
                    parsed = json.loads(message)
                except ValueError:
                    parsed = {"text": message}
                self.seq += 1
                reply = {
                    "type": "message",
                    "seq": self.seq,
                    "user": parsed.get("user", "anon"),
                    "text": parsed.get("text", ""),
                }
                broadcast(self.members, json.dumps(reply))
        except ConnectionClosed:
            pass
        finally:
            presence.cancel()
            self.members.discard(ws)


async def _route_ws(room: ChatRoom, ws: ServerConnection) -> None:
    """Serve one WebSocket connection with the handler for its path (the chat by default)."""
    path = ws.request.path.split("?", 1)[0] if ws.request is not None else CHAT_PATH
    with contextlib.suppress(ConnectionClosed):
        await WS_ROUTES.get(path, room.handler)(ws)


# --- Running both servers -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[int]:
    """Serve the ASGI `app` with uvicorn on 127.0.0.1 (an ephemeral port) while inside; yield
    its port once it listens."""
    config = uvicorn.Config(
        app,
        host=HOST,
        port=0,
        lifespan="off",
        log_level="warning",
        log_config=None,  # no stderr handlers of its own: the host decides (demo.background)
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    raise RuntimeError("uvicorn exited during startup")
                await asyncio.sleep(0.02)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task


class _ServingThread[T](threading.Thread):
    """A daemon thread whose event loop stays inside `serving()` until told to stop."""

    def __init__(self, name: str, serving: Callable[[], contextlib.AbstractAsyncContextManager[T]]):
        super().__init__(name=name, daemon=True)
        self.ready = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None
        self._serving = serving
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self.error = exc
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        async with self._serving() as value:
            self.value = value
            self.ready.set()
            await self._stop_event.wait()

    def stop(self, timeout: float) -> None:
        if self._loop is not None and self._stop_event is not None and self.is_alive():
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop_event.set)
        self.join(timeout)


@contextlib.contextmanager
def serving_in_thread[T](
    serving: Callable[[], contextlib.AbstractAsyncContextManager[T]],
    what: str,
    start_timeout: float = 15,
) -> Iterator[T]:
    """Run `serving()` in a thread of its own; yield what it yields (the URLs); stop it on
    exit. `what` names the servers in errors."""
    thread = _ServingThread(what, serving)
    thread.start()
    try:
        if not thread.ready.wait(start_timeout):
            raise RuntimeError(f"{what} did not start in time")
        if thread.value is None:
            raise RuntimeError(f"{what} failed to start") from thread.error
        yield thread.value
    finally:
        thread.stop(start_timeout)
        if thread.is_alive():
            raise RuntimeError(f"{what} did not stop in time")


@contextlib.asynccontextmanager
async def _demo_servers(certificate: Certificate | None = None) -> AsyncIterator[ServerURLs]:
    room = ChatRoom()
    if certificate is None:
        http_serving = uvicorn_serving(create_app())
        ws_ssl = None
    else:  # HTTPS with HTTP/2 (hypercorn) and wss
        from pushscope.demo.tls import hypercorn_serving, server_context

        http_serving = hypercorn_serving(create_app(), certificate)
        ws_ssl = server_context(certificate)
    secure = "s" if certificate is not None else ""
    async with (
        serve(
            functools.partial(_route_ws, room),
            HOST,
            0,
            select_subprotocol=room.select_subprotocol,
            process_request=room.process_request,
            close_timeout=2,
            ssl=ws_ssl,
        ) as ws_server,
        http_serving as http_port,
    ):
        ws_port = ws_server.sockets[0].getsockname()[1]
        yield ServerURLs(
            f"http{secure}://{HOST}:{http_port}", f"ws{secure}://{HOST}:{ws_port}{CHAT_PATH}"
        )


def run_servers(
    start_timeout: float = 15, certificate: Certificate | None = None
) -> contextlib.AbstractContextManager[ServerURLs]:
    """Start the HTTP app and the WebSocket chat on 127.0.0.1; stop both on exit. With a
    `certificate`, over TLS: HTTPS with HTTP/2 (hypercorn) and wss."""
    return serving_in_thread(lambda: _demo_servers(certificate), "demo servers", start_timeout)
