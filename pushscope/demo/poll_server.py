"""HTTP endpoints for polling, long polling, Engine.IO polling and a reconnecting SSE stream.

Each endpoint counts its own requests in :class:`PollState` (``app.state.poll``, fresh for
every app), and answers by that count, so a scripted client always sees the same sequence:
which poll gets new data, which long poll gets an event and which one times out.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STATUS_EVERY = 5  # /api/status: the version changes on every 5th request
FEED_EVERY = 4  # /api/feed: new content (and ETag) on the first and every 4th request
JOB_DONE_AT = 7  # /api/jobs/{id}: "done" from the 7th request on
LONG_POLL_TIMEOUT = 1.5
LONG_POLL_READY_AFTER = 0.4
LONG_POLL_EVENT_CYCLES = (2, 5)
EIO_POLL_TIMEOUT = 1.0
EIO_READY_AFTER = 0.3
EIO_MESSAGE_POLLS = (2, 4)
EIO_TEXT = "text/plain; charset=UTF-8"
FLAKY_RETRY_MS = 300
FLAKY_EVENTS = 2  # events per connection before the server ends the stream
FLAKY_INTERVAL = 0.05
SERVER_SEED = 4


@dataclass
class PollState:
    """Per-app state of the polling endpoints."""

    hits: Counter[str] = field(default_factory=Counter)
    feed_version: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    sid: str | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(SERVER_SEED))

    def hit(self, endpoint: str) -> int:
        """Count one request to ``endpoint``; return its 1-based number."""
        self.hits[endpoint] += 1
        return self.hits[endpoint]


def _state(request: Request) -> PollState:
    state: PollState = request.app.state.poll
    return state


async def _hold(ready_after: float | None, timeout: float) -> bool:
    """Hold a long-poll request: True once its event is ready, False at the timeout."""
    if ready_after is not None and ready_after < timeout:
        await asyncio.sleep(ready_after)
        return True
    await asyncio.sleep(timeout)
    return False


# --- Short polling --------------------------------------------------------------------------


async def status(request: Request) -> Response:
    """``GET /api/status``: the same body each time, except for a version bump every 5th."""
    n = _state(request).hit("status")
    return JSONResponse({"status": "ok", "version": n // STATUS_EVERY + 1})


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


async def feed(request: Request) -> Response:
    """``GET /api/feed``: conditional GET; ``304`` while the client's ETag is current."""
    state = _state(request)
    n = state.hit("feed")
    if n == 1 or n % FEED_EVERY == 0:
        state.feed_version += 1
    version = state.feed_version
    headers = {"ETag": f'"feed-v{version}"', "Cache-Control": "no-cache"}
    if headers["ETag"] in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    posts = [{"id": v, "title": f"post {v}"} for v in range(version, 0, -1)]
    return JSONResponse({"version": version, "posts": posts}, headers=headers)


async def job(request: Request) -> Response:
    """``GET /api/jobs/{id}``: ``pending`` until the 7th request, then ``done``."""
    n = _state(request).hit("job")
    job_state = "done" if n >= JOB_DONE_AT else "pending"
    return JSONResponse({"id": request.path_params["job_id"], "state": job_state})


async def list_messages(request: Request) -> Response:
    """``GET /chat/messages?since=ID``: the messages after ``since`` (``[]`` if none)."""
    since = request.query_params.get("since", "0")
    if not since.isdigit():
        return JSONResponse({"error": "since must be a message id"}, status_code=400)
    return JSONResponse([m for m in _state(request).messages if m["id"] > int(since)])


async def post_message(request: Request) -> Response:
    """``POST /chat/messages``: store a JSON message, answer it with its id (201)."""
    body = await request.json()
    messages = _state(request).messages
    message = {"id": len(messages) + 1, "user": body.get("user"), "text": body.get("text")}
    messages.append(message)
    return JSONResponse(message, status_code=201)


# --- Long polling ---------------------------------------------------------------------------


async def updates_poll(request: Request) -> Response:
    """``GET /api/updates/poll``: held until an event (cycles 2 and 5) or ``204`` at 1.5 s."""
    n = _state(request).hit("updates")
    ready_after = LONG_POLL_READY_AFTER if n in LONG_POLL_EVENT_CYCLES else None
    if await _hold(ready_after, LONG_POLL_TIMEOUT):
        return JSONResponse({"cycle": n, "events": [{"type": "update", "seq": n}]})
    return Response(status_code=204)


def _random_id(rng: random.Random, length: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
    return "".join(rng.choice(alphabet) for _ in range(length))


async def engine_io(request: Request) -> Response:
    """``/socket.io/``: Engine.IO v4 polling transport (handshake, packet POST, long polls)."""
    state, query = _state(request), request.query_params
    if query.get("EIO") != "4" or query.get("transport") != "polling":
        return JSONResponse({"code": 0, "message": "Transport unknown"}, status_code=400)
    sid = query.get("sid")
    if sid is None and request.method == "GET":
        state.sid = _random_id(state.rng, 20)
        handshake = {
            "sid": state.sid,
            "upgrades": [],
            "pingInterval": 25000,
            "pingTimeout": 20000,
            "maxPayload": 1000000,
        }
        return Response("0" + json.dumps(handshake, separators=(",", ":")), media_type=EIO_TEXT)
    if sid is None or sid != state.sid:
        return JSONResponse({"code": 1, "message": "Session ID unknown"}, status_code=400)
    if request.method == "POST":
        await request.body()  # the client's packets, e.g. "40" (connect to namespace "/")
        return Response("ok", media_type="text/html")
    n = state.hit("eio-poll")
    ready_after = EIO_READY_AFTER if n in EIO_MESSAGE_POLLS else None
    if await _hold(ready_after, EIO_POLL_TIMEOUT):
        return Response(f'42["news",{{"n":{n}}}]', media_type=EIO_TEXT)
    return Response("6", media_type=EIO_TEXT)  # noop


# --- SSE that keeps dropping ----------------------------------------------------------------


async def _flaky_events(first_id: int) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(retry=FLAKY_RETRY_MS, sep="\n")
    for n in range(first_id, first_id + FLAKY_EVENTS):
        await asyncio.sleep(FLAKY_INTERVAL)
        yield ServerSentEvent(json.dumps({"seq": n}), id=str(n), sep="\n")


async def flaky_events(request: Request) -> Response:
    """``GET /events/flaky``: ``retry: 300``, 2 events, then the stream ends; ids continue
    after ``Last-Event-ID`` on each reconnect."""
    last_id = request.headers.get("last-event-id", "0")
    first_id = int(last_id) + 1 if last_id.isdigit() else 1
    return EventSourceResponse(_flaky_events(first_id), ping=0, sep="\n")


ROUTES = [
    Route("/api/status", status, methods=["GET"]),
    Route("/api/feed", feed, methods=["GET"]),
    Route("/api/jobs/{job_id:int}", job, methods=["GET"]),
    Route("/chat/messages", list_messages, methods=["GET"]),
    Route("/chat/messages", post_message, methods=["POST"]),
    Route("/api/updates/poll", updates_poll, methods=["GET"]),
    Route("/socket.io/", engine_io, methods=["GET", "POST"]),
    Route("/events/flaky", flaky_events, methods=["GET"]),
]
"""The polling endpoints, for :func:`demo.servers.create_app`."""
