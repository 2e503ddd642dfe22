"""mitmproxy flows as pushscope's model: the only place the addon reads mitmproxy objects.

The conversions match the flow-file reader (`inspector.readers.mitm`), so an exchange seen live
and the same flow read back from `-w flows.mitm` are the same exchange: same id, times, URL.

This runs on the proxy's hot path, once or twice per exchange: it reads mitmproxy's raw
fields (`request.data`, `headers.fields`) rather than its convenience properties, which
re-parse and re-validate on every access (`pretty_url` alone cost a quarter of the addon).
"""

from __future__ import annotations

from mitmproxy import http

from inspector.endpoints import request_url
from inspector.model import (
    Direction,
    Exchange,
    Headers,
    Request,
    Response,
    WebSocketMessage,
    header,
)

_TEXT_CACHE_SIZE = 4096

_texts: dict[bytes, str] = {}


def _text(value: bytes) -> str:
    """`value` decoded as the flow-file reader does; the few values that recur on every
    exchange (header names, methods, versions, content types) are decoded once and shared."""
    text = _texts.get(value)
    if text is None:
        text = value.decode("utf-8", "replace")
        if len(value) <= 64:
            # Not sys.intern: in Python 3.12 interned strings are never freed, and header
            # values (dates, ids) are endless. A full cache simply starts over.
            if len(_texts) >= _TEXT_CACHE_SIZE:
                _texts.clear()
            _texts[value] = text
    return text


def _headers(fields: http.Headers) -> Headers:
    return tuple([(_text(name), _text(value)) for name, value in fields.fields])


def _address(address: tuple[str, int] | None) -> str | None:
    if not address:
        return None
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def _url(data: http.RequestData, method: str, http_version: str, headers: Headers) -> str:
    """The URL as the client asked for it, built as `inspector.readers.mitm` builds it when it
    reads the flow back from a file."""
    if method == "CONNECT":
        return data.authority.decode("utf-8", "replace") or f"{data.host}:{data.port}"
    scheme = _text(data.scheme)
    authority = ""
    if http_version.startswith(("HTTP/2", "HTTP/3")):
        authority = data.authority.decode("utf-8", "replace")
    authority = authority or header(headers, "host") or ""
    return request_url(
        scheme, data.host, data.port, authority, data.path.decode("utf-8", "replace")
    )


def exchange_of(flow: http.HTTPFlow, source: int = 0) -> Exchange:
    request = flow.request
    data = request.data
    method = _text(data.method)
    http_version = _text(data.http_version)
    headers = _headers(data.headers)
    content = data.content
    exchange = Exchange(
        id=flow.id,
        source=source,
        request=Request(
            method=method,
            url=_url(data, method, http_version, headers),
            http_version=http_version or None,
            headers=headers,
            timestamp_start=data.timestamp_start,
            body_size=len(content) if content else 0,
        ),
        client=_address(flow.client_conn.peername),
        server=_address(flow.server_conn.address),
    )
    if flow.client_conn.tls:
        exchange.tls_sni = flow.client_conn.sni
    return exchange


def response_of(flow: http.HTTPFlow) -> Response:
    response = flow.response
    assert response is not None
    data = response.data
    return Response(
        status=data.status_code,
        reason=_text(data.reason),
        http_version=_text(data.http_version) or None,
        headers=_headers(data.headers),
        timestamp_start=data.timestamp_start,
        timestamp_end=data.timestamp_end,
    )


def last_message(flow: http.HTTPFlow) -> tuple[WebSocketMessage, bytes]:
    """The WebSocket message that just passed, and its payload."""
    assert flow.websocket is not None
    message = flow.websocket.messages[-1]
    direction: Direction = "client" if message.from_client else "server"
    content = message.content
    return (
        WebSocketMessage(direction, int(message.type), len(content), message.timestamp),
        content,
    )
