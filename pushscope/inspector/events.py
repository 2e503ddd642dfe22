"""The model events every traffic source emits and the analyzer consumes.

A reader of a flow file, HAR, pcap or JSONL feed, and the live addon, each turn what they
see into this one stream, in time order per exchange:

    ExchangeOpened -> ResponseStarted? -> (BodyChunk | WebSocketMessage(s)Seen | SseItemSeen)*
        -> ExchangeClosed
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pushscope.inspector.model import (
    Direction,
    Exchange,
    GrpcCall,
    Response,
    SseComment,
    SseEvent,
    WebSocketMessage,
)
from pushscope.inspector.operations import Operation


@dataclass(slots=True)
class ExchangeOpened:
    """A request was seen. `exchange` says what is known of it so far: its id, source, request,
    peers, TLS server name and evidence; the analyzer copies those into an exchange of its own
    and fills in the rest from the events that follow."""

    exchange: Exchange
    websocket_hint: bool = False
    """The source knows this is a WebSocket even if its handshake headers are missing."""


@dataclass(slots=True)
class ResponseStarted:
    """Response headers arrived: enough to classify the exchange."""

    exchange_id: str
    response: Response


@dataclass(slots=True)
class BodyChunk:
    """A piece of the response body, as it arrived (`encoded`: Content-Encoding not undone)."""

    exchange_id: str
    data: bytes
    timestamp: float | None = None
    encoded: bool = True


@dataclass(slots=True)
class WebSocketMessageSeen:
    """A whole WebSocket message (or control frame) and its payload."""

    exchange_id: str
    message: WebSocketMessage
    payload: bytes = b""


@dataclass(slots=True)
class WebSocketMessagesSeen:
    """Several whole WebSocket messages of one exchange, in order: what a capture that stores
    a session's messages together (HAR, pcap) yields, one event instead of one per message.

    `payload(i)` is the payload of `messages[i]`. It may be computed only when asked for, so a
    consumer that only counts messages never pays for turning them into bytes."""

    exchange_id: str
    messages: list[WebSocketMessage]
    payload: Callable[[int], bytes]


@dataclass(slots=True)
class SseItemSeen:
    """An SSE event or comment already parsed by the source (a pushscope feed)."""

    exchange_id: str
    item: SseEvent | SseComment


@dataclass(slots=True)
class ExchangeClosed:
    """The exchange ended: response complete, connection closed, or an error.

    `body_digest`, `sse_retry_ms` and `stream_records` come from sources that recorded the
    outcome of a body rather than the body itself (a pushscope feed); `request_body_size`,
    `request_operation`, `response_body_size` and `response_ended` from sources that learn
    them only as the bodies pass (a packet capture, the live addon)."""

    exchange_id: str
    timestamp: float | None = None
    error: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: Direction | None = None
    body_digest: str | None = None
    sse_retry_ms: int | None = None
    stream_records: int | None = None
    body_unknown: bool = False
    """The body passed but was not seen (streamed by the proxy and not stored)."""
    request_body_size: int | None = None
    request_operation: Operation | None = None
    response_body_size: int | None = None
    response_ended: float | None = None
    grpc: GrpcCall | None = None
    """A gRPC call's status and message counts, where the source reads its framing."""


MAX_PROBLEMS = 100
"""Problems kept per source; a capture broken everywhere must not flood the report."""


@dataclass(slots=True)
class SourceProblem:
    """Something inside a readable capture could not be used (one entry, one stream...)."""

    source: int
    message: str


ModelEvent = (
    ExchangeOpened
    | ResponseStarted
    | BodyChunk
    | WebSocketMessageSeen
    | WebSocketMessagesSeen
    | SseItemSeen
    | ExchangeClosed
    | SourceProblem
)
