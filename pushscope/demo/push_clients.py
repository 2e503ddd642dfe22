"""Push-style clients: long polling, Engine.IO polling, a reconnecting SSE reader, and two
WebSocket apps (a one-way ticker and a request/reply RPC)."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from pushscope.demo.common import check, compact, http_client, sse_blocks, ws_tls
from pushscope.demo.poll_server import EIO_MESSAGE_POLLS, FLAKY_EVENTS, LONG_POLL_EVENT_CYCLES
from pushscope.demo.servers import ServerURLs
from pushscope.demo.ws_apps import RPC_PATH, TICKER_MESSAGES, TICKER_PATH

LONG_POLLS = 6
EIO_POLLS = 6
EIO_SEED = 6
SSE_CONNECTIONS = 5
RPC_CALLS = 8
RPC_PAUSE = 0.05  # between one reply and the next request
YEAST = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


async def long_poll(urls: ServerURLs, proxy: str) -> str:
    """``GET /api/updates/poll`` 6 times, re-issued as soon as each answer arrives."""
    statuses: list[int] = []
    async with http_client(proxy) as client:
        for _ in range(LONG_POLLS):
            response = await client.get(f"{urls.http}/api/updates/poll")
            statuses.append(response.status_code)
    expected = [200 if k in LONG_POLL_EVENT_CYCLES else 204 for k in range(1, LONG_POLLS + 1)]
    check(statuses == expected, f"long-poll statuses {statuses}")
    events, timeouts = statuses.count(200), statuses.count(204)
    return f"long-poll: {LONG_POLLS} polls, {events} events, {timeouts} x 204"


async def socketio_polling(urls: ServerURLs, proxy: str) -> str:
    """Engine.IO v4 polling: handshake, POST ``40``, then 6 long-poll GETs, each with a new
    7-character ``t=`` cache-buster."""
    rng = random.Random(EIO_SEED)
    url = f"{urls.http}/socket.io/"

    def query(sid: str | None) -> dict[str, str]:
        t = "".join(rng.choice(YEAST) for _ in range(7))
        return {"EIO": "4", "transport": "polling", "t": t} | ({"sid": sid} if sid else {})

    packets: list[str] = []
    async with http_client(proxy) as client:
        opened = await client.get(url, params=query(None))
        check(opened.text.startswith("0{"), f"handshake: {opened.text!r}")
        sid = json.loads(opened.text[1:])["sid"]
        headers = {"Content-Type": "text/plain;charset=UTF-8"}
        sent = await client.post(url, params=query(sid), content=b"40", headers=headers)
        check(sent.text == "ok", f"post: {sent.status_code} {sent.text!r}")
        for _ in range(EIO_POLLS):
            polled = await client.get(url, params=query(sid))
            check(polled.status_code == 200, f"poll: {polled.status_code}")
            packets.append(polled.text)
    messages = [p for p in packets if p.startswith("42")]
    check(len(messages) == len(EIO_MESSAGE_POLLS), f"packets {packets}")
    return f"socketio-polling: sid {sid}, {len(packets)} polls: {', '.join(packets)}"


async def sse_reconnect(urls: ServerURLs, proxy: str) -> str:
    """An EventSource on a stream that ends after 2 events: reconnect after ``retry`` ms
    with ``Last-Event-ID``, 5 connections in all."""
    ids: list[str] = []
    last_id, retry_ms = "", 3000
    async with http_client(proxy) as client:
        for connection in range(SSE_CONNECTIONS):
            if connection:
                await asyncio.sleep(retry_ms / 1000)
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            async with client.stream("GET", f"{urls.http}/events/flaky", headers=headers) as r:
                check(r.status_code == 200, f"events: {r.status_code}")
                async for block in sse_blocks(r):
                    if block.get("retry", "").isdigit():
                        retry_ms = int(block["retry"])
                    if "data" in block:
                        last_id = block.get("id", last_id)
                        ids.append(last_id)
    expected = [str(n) for n in range(1, SSE_CONNECTIONS * FLAKY_EVENTS + 1)]
    check(ids == expected, f"event ids {ids}")
    return f"sse-reconnect: {SSE_CONNECTIONS} connections, event ids {ids[0]}..{ids[-1]}"


def _ws(urls: ServerURLs, proxy: str, path: str) -> connect:
    """Connect to a WebSocket path of the demo server through the proxy (HTTP CONNECT)."""
    url = urls.ws_at(path)
    return connect(
        url, proxy=proxy, **ws_tls(url), open_timeout=10, close_timeout=5, ping_interval=None
    )


async def _recv_json(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=5))


async def ws_one_way(urls: ServerURLs, proxy: str) -> str:
    """Subscribe once to ``/ticker``, take the 20 pushed quotes, close with 1000."""
    async with _ws(urls, proxy, TICKER_PATH) as ws:
        await ws.send(compact({"op": "subscribe", "channel": "prices"}))
        quotes = [await _recv_json(ws) for _ in range(TICKER_MESSAGES)]
    check([q["seq"] for q in quotes] == list(range(1, TICKER_MESSAGES + 1)), "ticker seqs")
    return f"ws-one-way: sent 1, received {len(quotes)} quotes, last price {quotes[-1]['price']}"


async def ws_rpc(urls: ServerURLs, proxy: str) -> str:
    """8 ``add`` calls on ``/rpc``, each waiting for its one reply; close with 1000."""
    async with _ws(urls, proxy, RPC_PATH) as ws:
        for k in range(1, RPC_CALLS + 1):
            if k > 1:
                await asyncio.sleep(RPC_PAUSE)
            await ws.send(compact({"id": k, "method": "add", "params": [k, 1]}))
            reply = await _recv_json(ws)
            check(reply == {"id": k, "result": k + 1}, f"reply {reply}")
    return f"ws-rpc: {RPC_CALLS} calls, {RPC_CALLS} replies"
