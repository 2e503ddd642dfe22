"""Helpers shared by the demo clients: the proxied httpx client, checks, SSE parsing, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from pushscope.demo.servers import ServerURLs

Scenario = Callable[[ServerURLs, str], Awaitable[str]]
"""A client: takes the server URLs and the proxy URL, returns a one-line summary."""

TIMEOUT = httpx.Timeout(10.0)

CLIENT_CA: contextvars.ContextVar[Path | None] = contextvars.ContextVar("CLIENT_CA", default=None)
"""The CA certificate the clients trust (the intercepting proxy's) when the demo servers speak
HTTPS (`demo --https`); None for plain HTTP. Set with `clients_trusting`."""


def _client_tls() -> ssl.SSLContext | None:
    """A fresh context per client: httpx sets its ALPN (h2) on the context it is given, which
    a WebSocket client sharing it would then offer too."""
    ca = CLIENT_CA.get()
    return ssl.create_default_context(cafile=str(ca)) if ca is not None else None


@contextlib.contextmanager
def clients_trusting(ca: Path) -> Iterator[None]:
    """While inside, the clients started here (tasks copy the context) speak HTTPS and HTTP/2,
    trusting the CA certificate `ca`."""
    token = CLIENT_CA.set(ca)
    try:
        yield
    finally:
        CLIENT_CA.reset(token)


def http_client(proxy: str, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client that sends everything through ``proxy`` (extra kwargs go to httpx);
    HTTP/2 over TLS when `CLIENT_CA` is set."""
    tls = _client_tls()
    if tls is not None:
        kwargs = {"http2": True, "verify": tls, **kwargs}
    # trust_env=False: no HTTP(S)_PROXY / NO_PROXY from the environment, so loopback targets
    # still go through the given proxy.
    return httpx.AsyncClient(proxy=proxy, trust_env=False, timeout=TIMEOUT, **kwargs)


def ws_tls(url: str) -> dict[str, Any]:
    """The `ssl` argument of a websockets `connect` to `url`: the trusted context for wss."""
    return {"ssl": _client_tls()} if url.startswith("wss:") and CLIENT_CA.get() else {}


def check(condition: bool, message: str) -> None:
    """Fail the scenario with ``message`` unless ``condition`` holds."""
    if not condition:
        raise RuntimeError(message)


def compact(value: Any) -> str:
    """JSON without spaces, as browsers' ``JSON.stringify`` writes it."""
    return json.dumps(value, separators=(",", ":"))


async def sleep_until(deadline: float) -> None:
    """Sleep until the event loop clock reaches ``deadline``; a fixed-rate timer's tick."""
    await asyncio.sleep(max(0.0, deadline - asyncio.get_running_loop().time()))


async def sse_blocks(response: httpx.Response) -> AsyncIterator[dict[str, str]]:
    """Parse a ``text/event-stream`` body into field dicts (comments under ``":"``)."""
    block: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if block:
                yield block
            block = {}
            continue
        field, _, value = line.partition(":")
        field = field or ":"
        value = value.removeprefix(" ")
        block[field] = f"{block[field]}\n{value}" if field in block else value
    if block:
        yield block
