"""WebSocket endpoints beside the chat: a one-way price ticker and a request/reply RPC.

Both run on the ``websockets`` server of :mod:`demo.servers`, which picks the handler by path
(:data:`WS_ROUTES`). Messages are compact JSON text frames; the ticker's prices come from a
fixed seed, so every recording carries the same messages.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection

from pushscope.demo import hostile

TICKER_PATH = "/ticker"
TICKER_MESSAGES = 20
TICKER_INTERVAL = 0.2
TICKER_SEED = 8
RPC_PATH = "/rpc"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


async def ticker(ws: ServerConnection) -> None:
    """``/ticker``: after one subscribe message, push quotes only; then wait for the close."""
    subscribe = json.loads(await ws.recv())
    channel = subscribe.get("channel", "prices")
    rng = random.Random(TICKER_SEED)
    price = 100.0
    for seq in range(1, TICKER_MESSAGES + 1):
        if seq > 1:
            await asyncio.sleep(TICKER_INTERVAL)
        price = round(price + rng.uniform(-0.5, 0.5), 2)
        await ws.send(_dumps({"channel": channel, "seq": seq, "symbol": "PSC", "price": price}))
    async for _ in ws:  # ignore anything else until the client closes
        pass


async def rpc(ws: ServerConnection) -> None:
    """``/rpc``: exactly one reply per JSON-RPC-style request, nothing unsolicited."""
    async for message in ws:
        call = json.loads(message)
        params = call.get("params", [])
        if call.get("method") == "add":
            reply = {"id": call.get("id"), "result": sum(params)}
        else:
            reply = {"id": call.get("id"), "error": "unknown method"}
        await ws.send(_dumps(reply))


WS_ROUTES: dict[str, Callable[[ServerConnection], Awaitable[None]]] = {
    TICKER_PATH: ticker,
    RPC_PATH: rpc,
    **hostile.WS_ROUTES,
}
"""Path -> handler for the WebSocket endpoints other than the chat."""
