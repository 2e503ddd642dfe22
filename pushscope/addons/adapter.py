"""mitmproxy flows as pushscope's records: the only place the addon reads mitmproxy objects.

This runs on the proxy's hot path, once or twice per exchange: it copies mitmproxy's raw
fields (`request.data`, `headers.fields`) rather than its convenience properties, which
re-parse and re-validate on every access. What the fields mean is decided in
`addons.records`, where the analysis runs.
"""

from __future__ import annotations

from mitmproxy import http

from pushscope.addons.records import PAYLOAD_BYTES, Message, Opened, Responded
from pushscope.inspector.operations import RPC_BODY_CAP, rpc_body_wanted


def opened(flow: http.HTTPFlow) -> Opened:
    """The record of a flow whose request has arrived."""
    data = flow.request.data
    content = data.content
    client_conn = flow.client_conn
    rpc_body = None
    if content and data.method == b"POST" and _may_be_rpc(data.path, data.headers.fields):
        rpc_body = content[:RPC_BODY_CAP]
    return Opened(
        flow.id,
        data.method,
        data.scheme,
        data.host,
        data.port,
        data.authority,
        data.path,
        data.http_version,
        data.headers.fields,
        data.timestamp_start,
        len(content) if content else 0,
        client_conn.peername,
        flow.server_conn.address,
        client_conn.sni if client_conn.tls else None,
        rpc_body,
    )


def _may_be_rpc(path: bytes, fields: tuple[tuple[bytes, bytes], ...]) -> bool:
    """`rpc_body_wanted` for a POST's raw path and header fields."""
    content_type = None
    for name, value in fields:
        if len(name) == 12 and name.lower() == b"content-type":
            content_type = value.decode("latin-1")
            break
    return rpc_body_wanted("POST", path.decode("latin-1"), content_type)


def responded(flow: http.HTTPFlow) -> Responded:
    """The record of a flow whose response headers have arrived."""
    assert flow.response is not None
    data = flow.response.data
    return Responded(
        flow.id,
        data.status_code,
        data.reason,
        data.http_version,
        data.headers.fields,
        data.timestamp_start,
        data.timestamp_end,
    )


STREAMED_TYPES = (b"text/event-stream", b"application/grpc")
"""Media types whose responses are pushed piece by piece and streamed through: SSE, and gRPC
with gRPC-web and the `+proto` variants (mitmproxy otherwise buffers them, issue #7567)."""


def is_push_stream(flow: http.HTTPFlow) -> bool:
    """Is the response SSE or gRPC (`STREAMED_TYPES`)? (Read from the raw fields: mitmproxy's
    `headers.get` decodes and joins on every call.)"""
    assert flow.response is not None
    for name, value in flow.response.data.headers.fields:
        if len(name) == 12 and name.lower() == b"content-type":
            return value.lstrip().lower().startswith(STREAMED_TYPES)
    return False


def message(flow: http.HTTPFlow) -> Message:
    """The record of the WebSocket message that just passed."""
    assert flow.websocket is not None
    last = flow.websocket.messages[-1]
    content = last.content
    return Message(
        flow.id,
        last.from_client,
        int(last.type),
        len(content),
        last.timestamp,
        content[:PAYLOAD_BYTES],
    )
