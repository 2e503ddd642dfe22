"""The demo application: every kind of traffic pushscope knows, at once, through a proxy.

REST calls, a short-polling client, a long-polling client, an EventSource-style SSE feed, an
AI-chat POST streaming tokens as SSE, a WebSocket chat (both ways) and a one-way WebSocket
ticker, each repeated until the time is up (`run_demo`, what `pushscope demo` drives) or
until told to stop (`run_until`, what `demo.background` runs beside the TUI).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable

from pushscope.demo.clients import rest, sse_eventsource, sse_post_tokens, websocket_chat
from pushscope.demo.common import Scenario
from pushscope.demo.poll_clients import poll_short
from pushscope.demo.push_clients import long_poll, ws_one_way
from pushscope.demo.servers import ServerURLs

# Each client and the pause before it runs again.
CLIENTS: dict[str, tuple[Scenario, float]] = {
    "rest": (rest, 2.0),
    "short-poll": (poll_short, 0.0),
    "long-poll": (long_poll, 0.0),
    "sse-eventsource": (sse_eventsource, 0.5),
    "sse-post-tokens": (sse_post_tokens, 2.0),
    "websocket-chat": (websocket_chat, 1.0),
    "ws-ticker": (ws_one_way, 1.0),
}


async def _repeat(
    name: str, client: Scenario, pause: float, urls: ServerURLs, proxy: str, done: Counter[str]
) -> None:
    rng = random.Random(name)  # a person, not a timer: pauses vary around `pause`
    while True:
        try:
            await client(urls, proxy)
            done[name] += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            done[f"{name} (failed)"] += 1
        await asyncio.sleep(rng.expovariate(1 / pause) if pause else 0.0)


CANCEL_TIMEOUT = 5.0
"""Seconds cancelled clients get to unwind."""


async def run_until(
    urls: ServerURLs, proxy: str, until: Awaitable[object], done: Counter[str] | None = None
) -> Counter[str]:
    """Run every client through `proxy` until `until` completes; how many runs each finished
    (counted into `done` as they finish, when given).

    Clients still busy then are cancelled mid-exchange, as a closed browser tab would leave
    them."""
    done = Counter() if done is None else done
    tasks = [
        asyncio.create_task(_repeat(name, client, pause, urls, proxy, done))
        for name, (client, pause) in CLIENTS.items()
    ]
    try:
        await until
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=CANCEL_TIMEOUT)
    return done


async def run_demo(urls: ServerURLs, proxy: str, duration: float) -> Counter[str]:
    """Run every client through `proxy` for `duration` seconds; how many runs each finished."""
    return await run_until(urls, proxy, asyncio.sleep(duration))
