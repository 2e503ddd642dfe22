"""mitmproxy flows as pushscope's model: the only place the addon reads mitmproxy objects.

The conversions match the flow-file reader (`inspector.readers.mitm`), so an exchange seen live
and the same flow read back from `-w flows.mitm` are the same exchange: same id, times, URL.
"""

from __future__ import annotations

from mitmproxy import http

from inspector.model import Direction, Exchange, Headers, Request, Response, WebSocketMessage


def _headers(fields: http.Headers) -> Headers:
    return tuple(
        (name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
        for name, value in fields.fields
    )


def _address(address: tuple[str, int] | None) -> str | None:
    if not address:
        return None
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


def exchange_of(flow: http.HTTPFlow, source: int = 0) -> Exchange:
    request = flow.request
    exchange = Exchange(
        id=flow.id,
        source=source,
        request=Request(
            method=request.method,
            url=request.pretty_url,
            http_version=request.http_version or None,
            headers=_headers(request.headers),
            timestamp_start=request.timestamp_start,
            body_size=len(request.raw_content or b""),
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
    return Response(
        status=response.status_code,
        reason=response.reason,
        http_version=response.http_version or None,
        headers=_headers(response.headers),
        timestamp_start=response.timestamp_start,
        timestamp_end=response.timestamp_end,
    )


def last_message(flow: http.HTTPFlow) -> tuple[WebSocketMessage, bytes]:
    """The WebSocket message that just passed, and its payload."""
    assert flow.websocket is not None
    message = flow.websocket.messages[-1]
    direction: Direction = "client" if message.from_client else "server"
    return (
        WebSocketMessage(direction, int(message.type), len(message.content), message.timestamp),
        message.content,
    )
