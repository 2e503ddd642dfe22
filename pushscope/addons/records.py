"""What the addon's hooks take from a flow, as typed records, and the model built from them.

A hook runs on the proxy's hot path: it only copies mitmproxy's raw fields into a record, a
named tuple of bytes, numbers and tuples that costs little to make and, sent as a plain
tuple (`worker.pack`), to pickle: far less than model objects. The model is built from the
record where the analysis runs: in the addon's analysis process, or in mitmproxy's own when
embedded. The conversions match the flow-file reader
(`inspector.readers.mitm`), so an exchange seen live and the same flow read back from
`-w flows.mitm` are the same exchange: same id, times, URL.

Nothing here imports mitmproxy: the analysis process never loads it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pushscope.inspector.endpoints import flow_url, peer_address
from pushscope.inspector.events import ExchangeClosed
from pushscope.inspector.model import (
    Direction,
    Exchange,
    Headers,
    Request,
    Response,
    WebSocketMessage,
)
from pushscope.inspector.operations import request_operation

RawFields = tuple[tuple[bytes, bytes], ...]
"""Header fields as mitmproxy holds them: (name, value) bytes in wire order."""

PAYLOAD_BYTES = 4096
"""What a record keeps of a WebSocket message: more than the analysis and the feed read of
any (previews, the first client text, a close frame's code and reason)."""


class Opened(NamedTuple):
    """A request arrived: `ExchangeOpened`."""

    flow_id: str
    method: bytes
    scheme: bytes
    host: str
    port: int
    authority: bytes
    path: bytes
    http_version: bytes
    fields: RawFields
    timestamp_start: float
    body_size: int
    client: Any
    """The client's peername, as mitmproxy has it."""
    server: Any
    """The server's address, as mitmproxy has it."""
    sni: str | None
    rpc_body: bytes | None = None
    """The body's first `RPC_BODY_CAP` bytes, of a request that may be RPC only
    (`adapter.rpc_body`): the operation is read here, off the proxy's path."""

    def exchange(self, source: int = 0) -> Exchange:
        method = text(self.method)
        http_version = text(self.http_version)
        request_headers = headers(self.fields)
        url = flow_url(
            method,
            text(self.scheme),
            self.host,
            self.port,
            self.authority.decode("utf-8", "replace"),
            self.path.decode("utf-8", "replace"),
            http_version,
            request_headers,
        )
        request = Request(
            method,
            url,
            http_version or None,
            request_headers,
            self.timestamp_start,
            self.body_size,
            operation=request_operation(method, url, request_headers, self.rpc_body),
        )
        return Exchange(
            self.flow_id,
            source,
            request,
            peer_address(self.client),
            peer_address(self.server),
            tls_sni=self.sni,
        )


class Responded(NamedTuple):
    """Response headers arrived: `ResponseStarted`."""

    flow_id: str
    status: int
    reason: bytes
    http_version: bytes
    fields: RawFields
    timestamp_start: float | None
    timestamp_end: float | None

    def response(self) -> Response:
        return Response(
            self.status,
            text(self.reason),
            text(self.http_version) or None,
            headers(self.fields),
            self.timestamp_start,
            self.timestamp_end,
        )


class Body(NamedTuple):
    """A piece of a streamed body as it passed: `BodyChunk`."""

    flow_id: str
    data: bytes
    timestamp: float


class Message(NamedTuple):
    """A WebSocket message passed: `WebSocketMessageSeen`."""

    flow_id: str
    from_client: bool
    opcode: int
    size: int
    timestamp: float
    payload: bytes
    """The payload's first `PAYLOAD_BYTES`."""

    def message(self) -> WebSocketMessage:
        direction: Direction = "client" if self.from_client else "server"
        return WebSocketMessage(direction, self.opcode, self.size, self.timestamp)


class Closed(NamedTuple):
    """The exchange ended: `ExchangeClosed`, with what is known of the response body."""

    flow_id: str
    timestamp: float | None
    error: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: Direction | None = None
    body_unknown: bool = False
    """The body passed unseen (streamed by mitmproxy and not stored)."""
    body_size: int | None = None
    body: bytes | None = None
    """The body, when it was read whole."""

    def event(self) -> ExchangeClosed:
        return ExchangeClosed(
            self.flow_id,
            self.timestamp,
            self.error,
            self.close_code,
            self.close_reason,
            self.closed_by,
            body_unknown=self.body_unknown,
            response_body_size=self.body_size,
        )


Record = Opened | Responded | Body | Message | Closed

_TEXT_CACHE_SIZE = 4096
_texts: dict[bytes, str] = {}


def text(value: bytes) -> str:
    """`value` decoded as the flow-file reader does; the few values that recur on every
    exchange (header names, methods, versions, content types) are decoded once and shared."""
    decoded = _texts.get(value)
    if decoded is None:
        decoded = value.decode("utf-8", "replace")
        if len(value) <= 64:
            # Not sys.intern: in Python 3.12 interned strings are never freed, and header
            # values (dates, ids) are endless. A full cache simply starts over.
            if len(_texts) >= _TEXT_CACHE_SIZE:
                _texts.clear()
            _texts[value] = decoded
    return decoded


def headers(fields: RawFields) -> Headers:
    return tuple([(text(name), text(value)) for name, value in fields])
