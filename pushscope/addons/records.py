"""What the addon's hooks take from a flow, as plain records, and the model built from them.

A hook runs on the proxy's hot path: it only copies mitmproxy's raw fields into a record, a
tuple of bytes, numbers and tuples that costs little to make and to pickle (model objects
cost twenty times more to pickle). The model is built from the record where the analysis
runs: in the addon's analysis process, or in mitmproxy's own when embedded. The conversions
match the flow-file reader (`inspector.readers.mitm`), so an exchange seen live and the same
flow read back from `-w flows.mitm` are the same exchange: same id, times, URL.

Nothing here imports mitmproxy: the analysis process never loads it.
"""

from __future__ import annotations

from typing import Any

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

Record = tuple[Any, ...]
"""`(kind, flow id, ...)`; the fields of each kind are listed beside it."""

OPENED = 0
"""method, scheme, host, port, authority, path, http_version (bytes but host), header fields
((name, value) bytes), timestamp_start, request body size, client peername, server address,
TLS SNI: `ExchangeOpened`."""
RESPONDED = 1
"""status, reason, http_version, header fields, timestamp_start, timestamp_end:
`ResponseStarted`."""
BODY = 2
"""data, arrival time: `BodyChunk` (a piece of a streamed body)."""
CLOSED = 3
"""timestamp, error, close_code, close_reason, closed_by, body_unknown: `ExchangeClosed`;
then the response body's size if known, and the body itself if it was read whole."""
MESSAGE = 4
"""from_client, opcode, size, timestamp, the payload's first `PAYLOAD_BYTES`:
`WebSocketMessageSeen`."""

PAYLOAD_BYTES = 4096
"""What a record keeps of a WebSocket message: more than the analysis and the feed read of
any (previews, the first client text, a close frame's code and reason)."""

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


def headers(fields: tuple[tuple[bytes, bytes], ...]) -> Headers:
    return tuple([(text(name), text(value)) for name, value in fields])


def exchange(record: Record, source: int = 0) -> Exchange:
    """The exchange an `OPENED` record describes."""
    (_, flow_id, method_raw, scheme, host, port, authority, path, version_raw) = record[:9]
    fields, started, body_size, client, server, sni = record[9:]
    method = text(method_raw)
    http_version = text(version_raw)
    request_headers = headers(fields)
    url = flow_url(
        method,
        text(scheme),
        host,
        port,
        authority.decode("utf-8", "replace"),
        path.decode("utf-8", "replace"),
        http_version,
        request_headers,
    )
    request = Request(method, url, http_version or None, request_headers, started, body_size)
    opened = Exchange(flow_id, source, request, peer_address(client), peer_address(server))
    opened.tls_sni = sni
    return opened


def response(record: Record) -> Response:
    """The response a `RESPONDED` record describes."""
    _, _, status, reason, version, fields, started, ended = record
    return Response(status, text(reason), text(version) or None, headers(fields), started, ended)


def message(record: Record) -> tuple[WebSocketMessage, bytes]:
    """The WebSocket message a `MESSAGE` record describes, and what is kept of its payload."""
    _, _, from_client, opcode, size, timestamp, payload = record
    direction: Direction = "client" if from_client else "server"
    return WebSocketMessage(direction, opcode, size, timestamp), payload


def closed(record: Record) -> ExchangeClosed:
    """The end a `CLOSED` record describes."""
    flow_id, timestamp, error, close_code, close_reason, closed_by, body_unknown = record[1:8]
    return ExchangeClosed(
        flow_id, timestamp, error, close_code, close_reason, closed_by, body_unknown=body_unknown
    )
