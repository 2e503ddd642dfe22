"""Demo clients: one async function per scenario, each sending its traffic through a proxy.

Every client takes the :class:`~demo.servers.ServerURLs` and an HTTP proxy URL (such as a
``mitmdump`` on 127.0.0.1), checks that it got what the server sends, and returns a one-line
summary. :data:`SCENARIOS` maps the capture names that ``demo-mix`` combines to clients;
:data:`SOLO_SCENARIOS` holds the polling, push and decoy scenarios recorded on their own.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect

from pushscope.demo.common import Scenario, check, http_client, sse_blocks, ws_tls
from pushscope.demo.decoy_clients import decoy_page_load, decoy_user_rest
from pushscope.demo.poll_clients import (
    poll_backoff,
    poll_chat,
    poll_etag,
    poll_short,
    poll_two_clients,
)
from pushscope.demo.push_clients import (
    long_poll,
    socketio_polling,
    sse_reconnect,
    ws_one_way,
    ws_rpc,
)
from pushscope.demo.servers import CHAT_SUBPROTOCOL, NDJSON_LINES, SSE_EVENTS, ServerURLs


async def rest(urls: ServerURLs, proxy: str) -> str:
    """Plain request/response JSON calls on one keep-alive connection."""
    async with http_client(proxy) as client:
        listed = await client.get(f"{urls.http}/api/items")
        check(listed.status_code == 200, f"list: {listed.status_code}")
        one = await client.get(f"{urls.http}/api/items/2")
        check(one.json()["id"] == 2, "get item 2")
        new_item = {"name": "doohickey", "price": 1.5}
        created = await client.post(f"{urls.http}/api/items", json=new_item)
        check(created.status_code == 201, f"create: {created.status_code}")
        missing = await client.get(f"{urls.http}/api/items/404")
        check(missing.status_code == 404, f"missing: {missing.status_code}")
    return f"rest: 4 requests, created item {created.json()['id']}"


async def sse_eventsource(urls: ServerURLs, proxy: str) -> str:
    """Behave like a browser EventSource: read the stream, wait ``retry`` ms, reconnect once
    with ``Last-Event-ID`` and stop on the server's 204."""
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    events: list[dict[str, str]] = []
    last_id, retry_ms = "", 3000
    async with http_client(proxy) as client:
        async with client.stream("GET", f"{urls.http}/events", headers=headers) as response:
            check(response.status_code == 200, f"events: {response.status_code}")
            async for block in sse_blocks(response):
                last_id = block.get("id", last_id)
                if block.get("retry", "").isdigit():
                    retry_ms = int(block["retry"])
                if "data" in block:
                    events.append(block)
        check(len(events) == SSE_EVENTS, f"expected {SSE_EVENTS} events, got {len(events)}")
        await asyncio.sleep(retry_ms / 1000)
        resume = {**headers, "Last-Event-ID": last_id}
        again = await client.get(f"{urls.http}/events", headers=resume)
        check(again.status_code == 204, f"reconnect: {again.status_code}")
    kinds = sorted({e.get("event", "message") for e in events})
    return f"sse-eventsource: {len(events)} events ({', '.join(kinds)}), reconnect got 204"


async def sse_post_tokens(urls: ServerURLs, proxy: str) -> str:
    """An OpenAI-style streamed chat completion: POST JSON, read ``data:`` chunks to [DONE]."""
    body: dict[str, Any] = {
        "model": "demo-1",
        "stream": True,
        "messages": [{"role": "user", "content": "How do token streams work?"}],
    }
    text: list[str] = []
    done = False
    async with (
        http_client(proxy) as client,
        client.stream(
            "POST",
            f"{urls.http}/v1/chat/completions",
            json=body,
            headers={"Accept": "text/event-stream"},
        ) as response,
    ):
        check(response.status_code == 200, f"completions: {response.status_code}")
        async for block in sse_blocks(response):
            if block.get("data") == "[DONE]":
                done = True
                continue  # read on to the end of the body rather than abort the stream
            delta = json.loads(block["data"])["choices"][0]["delta"]
            text.append(delta.get("content", ""))
    check(done, "no [DONE] marker")
    return f"sse-post-tokens: {len(text)} chunks, {''.join(text).strip()!r}"


async def ndjson_stream(urls: ServerURLs, proxy: str) -> str:
    """Read a newline-delimited JSON stream line by line."""
    records: list[dict[str, Any]] = []
    async with (
        http_client(proxy) as client,
        client.stream(
            "GET", f"{urls.http}/stream/ndjson", headers={"Accept": "application/x-ndjson"}
        ) as response,
    ):
        check(response.status_code == 200, f"ndjson: {response.status_code}")
        async for line in response.aiter_lines():
            if line.strip():
                records.append(json.loads(line))
    check(len(records) == NDJSON_LINES, f"expected {NDJSON_LINES} lines, got {len(records)}")
    return f"ndjson-stream: {len(records)} records"


async def websocket_chat(urls: ServerURLs, proxy: str) -> str:
    """Chat over WebSocket (``chat.v1``, permessage-deflate) through the proxy via CONNECT.

    Expects welcome + binary avatar + presence (unsolicited) and one reply per sent message.
    """
    lines = ["hi all", "anyone streaming today?", "bye"]
    expected = 3 + len(lines)
    received: list[str | bytes] = []
    async with connect(
        urls.ws,
        proxy=proxy,
        **ws_tls(urls.ws),
        subprotocols=[CHAT_SUBPROTOCOL],
        open_timeout=10,
        close_timeout=5,
        ping_interval=None,
    ) as ws:
        check(ws.subprotocol == CHAT_SUBPROTOCOL, f"subprotocol: {ws.subprotocol}")

        async def reader() -> None:
            while len(received) < expected:
                received.append(await ws.recv())

        reading = asyncio.create_task(reader())
        try:
            for text in lines:
                await ws.send(json.dumps({"user": "alice", "text": text}))
                await asyncio.sleep(0.1)
            await asyncio.wait_for(reading, timeout=5)
        finally:
            reading.cancel()
    binary = sum(isinstance(m, bytes) for m in received)
    return f"websocket-chat: sent {len(lines)}, received {len(received)} ({binary} binary)"


SCENARIOS: dict[str, Scenario] = {
    "rest": rest,
    "sse-eventsource": sse_eventsource,
    "sse-post-tokens": sse_post_tokens,
    "websocket-chat": websocket_chat,
    "ndjson-stream": ndjson_stream,
}
"""Capture name -> client. Each capture is named for the traffic it shows."""


async def demo_mix(urls: ServerURLs, proxy: str) -> str:
    """All scenarios at once, as one app talking to one backend would."""
    results = await asyncio.gather(*(client(urls, proxy) for client in SCENARIOS.values()))
    return "demo-mix: " + "; ".join(results)


SOLO_SCENARIOS: dict[str, Scenario] = {
    "poll-short": poll_short,
    "poll-etag": poll_etag,
    "poll-backoff": poll_backoff,
    "poll-chat": poll_chat,
    "long-poll": long_poll,
    "socketio-polling": socketio_polling,
    "sse-reconnect": sse_reconnect,
    "ws-one-way": ws_one_way,
    "ws-rpc": ws_rpc,
    "decoy-user-rest": decoy_user_rest,
    "decoy-page-load": decoy_page_load,
    "poll-two-clients": poll_two_clients,
}
"""Capture name -> client for scenarios recorded one at a time and left out of demo-mix."""
