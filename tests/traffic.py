"""Synthetic traffic as model events, for testing detection on timelines we choose exactly.

Captures recorded from real servers cover the same scenarios end to end (tests/readers); these
timelines cover what a recording cannot: hours of polling, Poisson users, thousands of clients.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from pushscope.inspector.events import (
    BodyChunk,
    ExchangeClosed,
    ExchangeOpened,
    ModelEvent,
    ResponseStarted,
    WebSocketMessageSeen,
)
from pushscope.inspector.model import (
    Direction,
    Exchange,
    Request,
    Response,
    WebSocketMessage,
    header,
)
from pushscope.inspector.operations import request_operation

_ids = iter(range(10**9))


def http(
    start: float,
    url: str = "http://api.test/api/status",
    *,
    method: str = "GET",
    duration: float = 0.05,
    status: int = 200,
    body: bytes = b'{"ok": true}',
    client: str = "10.0.0.1:50000",
    request_headers: tuple[tuple[str, str], ...] = (),
    content_type: str = "application/json",
    http_version: str = "HTTP/1.1",
    request_body_size: int = 0,
    request_body: bytes | None = None,
) -> list[ModelEvent]:
    """The events of one HTTP exchange. A `request_body` (JSON unless `request_headers` say
    otherwise) is read for its RPC operation, as a reader does; only its size is kept."""
    exchange_id = f"x{next(_ids)}"
    headers = (("Host", "api.test"), *request_headers)
    if request_body is not None:
        if header(headers, "content-type") is None:
            headers += (("Content-Type", "application/json"),)
        request_body_size = request_body_size or len(request_body)
    operation = request_operation(method, url, headers, request_body)
    request = Request(
        method, url, http_version, headers, start, request_body_size, operation=operation
    )
    response = Response(
        status,
        "OK",
        http_version,
        (("Content-Type", content_type),),
        start + duration / 2,
        start + duration,
        body_size=len(body),
    )
    events: list[ModelEvent] = [
        ExchangeOpened(Exchange(exchange_id, 0, request, client=client)),
        ResponseStarted(exchange_id, response),
    ]
    if body:
        events.append(BodyChunk(exchange_id, body, start + duration, encoded=False))
    events.append(ExchangeClosed(exchange_id, start + duration))
    return events


def websocket(
    start: float,
    messages: list[tuple[float, Direction, bytes]],
    url: str = "http://api.test/ws",
    client: str = "10.0.0.1:50001",
) -> list[ModelEvent]:
    """A WebSocket session with a valid handshake and the given (time, direction, text) messages."""
    exchange_id = f"x{next(_ids)}"
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    request = Request(
        "GET",
        url,
        "HTTP/1.1",
        (
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ),
        start,
    )
    response = Response(
        101,
        "Switching Protocols",
        "HTTP/1.1",
        (
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ),
        start,
        start + 0.01,
    )
    events: list[ModelEvent] = [
        ExchangeOpened(Exchange(exchange_id, 0, request, client=client)),
        ResponseStarted(exchange_id, response),
    ]
    for t, direction, payload in messages:
        events.append(
            WebSocketMessageSeen(
                exchange_id, WebSocketMessage(direction, 1, len(payload), t), payload
            )
        )
    end = (messages[-1][0] if messages else start) + 0.01
    events.append(ExchangeClosed(exchange_id, end, close_code=1000, closed_by="client"))
    return events


def sse(
    start: float,
    duration: float,
    body: bytes,
    url: str = "http://api.test/events",
    client: str = "10.0.0.1:50002",
    http_version: str = "HTTP/1.1",
) -> list[ModelEvent]:
    return http(
        start,
        url,
        duration=duration,
        body=body,
        client=client,
        content_type="text/event-stream",
        http_version=http_version,
        request_headers=(("Accept", "text/event-stream"),),
    )


def polls(
    count: int,
    period: float,
    *,
    jitter: float = 0.0,
    start: float = 1_700_000_000.0,
    change_every: int = 0,
    seed: int = 1,
    **kwargs: object,
) -> list[ModelEvent]:
    """A short-polling series; the body changes every `change_every` polls (0: never)."""
    rng = random.Random(seed)
    events: list[ModelEvent] = []
    t = start
    for i in range(count):
        version = i // change_every if change_every else 0
        events += http(t, body=b'{"version": %d}' % version, **kwargs)  # type: ignore[arg-type]
        t += period * (1 + rng.uniform(-jitter, jitter))
    return events


def in_time_order(*groups: list[ModelEvent]) -> Iterator[ModelEvent]:
    """Interleave exchanges from several groups by start time, each exchange's events together."""
    exchanges: list[tuple[float, list[ModelEvent]]] = []
    for group in groups:
        current: list[ModelEvent] = []
        for event in group:
            current.append(event)
            if isinstance(event, ExchangeClosed):
                opened = current[0]
                assert isinstance(opened, ExchangeOpened)
                exchanges.append((opened.exchange.started, current))
                current = []
    for _, events in sorted(exchanges, key=lambda item: item[0]):
        yield from events
